// Direct conv kernels for AVX2 + FMA (built with -mavx2 -mfma; called only when the CPU has them).
#include <immintrin.h>

#include <cstdint>

#include "direct-conv.h"

namespace {

struct Simd {
  using V = __m256;
  static constexpr int kWidth = 8;
  static constexpr int kMaxVectors = 2;
  /** Rows of a register tile with NV vectors per row: at most 12 accumulators of 16 registers. */
  static constexpr int TileRows(int nv) { return nv == 2 ? 6 : 12; }
  static inline V Zero() { return _mm256_setzero_ps(); }
  static inline V Load(const float* p) { return _mm256_loadu_ps(p); }
  static inline void Store(float* p, V v) { _mm256_storeu_ps(p, v); }
  /** Lanes [0, n) set: the mask of the first n floats (vmaskmovps never touches the others). */
  static inline __m256i Mask(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static inline V LoadN(const float* p, int n) { return _mm256_maskload_ps(p, Mask(n)); }
  static inline void StoreN(float* p, V v, int n) { _mm256_maskstore_ps(p, Mask(n), v); }
  static inline V Broadcast(const float* p) { return _mm256_broadcast_ss(p); }
  static inline V Fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static inline V Add(V a, V b) { return _mm256_add_ps(a, b); }
  static inline V Relu(V v) { return _mm256_max_ps(_mm256_setzero_ps(), v); }
};

}  // namespace

#define BLAZEFL_ISA avx2
#include "direct-conv-impl.inc"
