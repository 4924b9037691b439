// Direct conv kernels for AVX-512F (built with -mavx512f -mfma; called only when the CPU has it).
#include <immintrin.h>

#include <cstdint>

// GCC 12 warns inside its own _mm512_max_ps (an intentionally undefined pass-through operand).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "direct-conv.h"

namespace {

struct Simd {
  using V = __m512;
  static constexpr int kWidth = 16;
  static constexpr int kMaxVectors = 4;
  /** Rows of a register tile with NV vectors per row: at most 24 accumulators of 32 registers. */
  static constexpr int TileRows(int nv) { return nv == 4 ? 6 : nv == 3 ? 8 : 12; }
  static inline V Zero() { return _mm512_setzero_ps(); }
  static inline V Load(const float* p) { return _mm512_loadu_ps(p); }
  static inline void Store(float* p, V v) { _mm512_storeu_ps(p, v); }
  /** The first n (< 16) floats; the rest of the vector is zero and memory past n is not read. */
  static inline V LoadN(const float* p, int n) {
    return _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1u), p);
  }
  static inline void StoreN(float* p, V v, int n) {
    _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << n) - 1u), v);
  }
  static inline V Broadcast(const float* p) { return _mm512_set1_ps(*p); }
  static inline V Fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static inline V Add(V a, V b) { return _mm512_add_ps(a, b); }
  // max(0, v) keeps NaN and -0 like the scalar `v < 0 ? 0 : v` (maxps returns its 2nd operand).
  static inline V Relu(V v) { return _mm512_max_ps(_mm512_setzero_ps(), v); }
};

}  // namespace

#define BLAZEFL_ISA avx512
#include "direct-conv-impl.inc"
