// Direct (indirect-GEMM) convolution kernels, compiled once per instruction set.
//
// Each *_avx512.cc / *_avx2.cc translation unit is built with its own -m flags and includes
// direct-conv-impl.inc, whose code lives in an anonymous namespace: nothing compiled for a wider
// instruction set can be merged into, or called from, the portable code except these entry
// points, which conv.cc calls only after checking the CPU at run time.
//
// The inputs are zero-padded copies, so no index is ever out of bounds: a window's tap (kh, kw)
// of output pixel p starts at in + pixelOffset[p] + tapOffset[kh * kW + kw].
#pragma once

#include <cstdint>

namespace blazefl {

/** out[p, 0:N] = sum over taps t and channels c of in[pixelOffset[p] + tapOffset[t] + c] * B[t * C + c, 0:N]. */
struct DirectConvForwardArgs {
  const float* in;             // zero-padded input
  const int64_t* pixelOffset;  // [pixels]
  const int64_t* tapOffset;    // [taps]
  int64_t pixels, taps, channels;
  const float* filter;  // B: [taps * channels, N], row stride ldb
  int64_t n, ldb;
  float* out;  // [pixels, N], row stride ldo
  int64_t ldo;
  const float* bias;  // [N] or null
  int activation;     // 0 linear, 1 relu
  int accumulate;     // 1: add to what `out` holds (bias and activation still apply)
};

/**
 * dW[q, 0:N] (+)= sum over pixels p in [p0, p1) of in[pixelOffset[p] + rowOffset[q]] * dy[p, 0:N]
 * for the filter rows q in [0, rows). rowOffset[q] = tapOffset[t] + c for q = t * C + c.
 */
struct DirectConvFilterArgs {
  const float* in;             // zero-padded input
  const int64_t* pixelOffset;  // [pixels]
  const int64_t* rowOffset;    // [rows]
  int64_t pixels, rows;
  const float* dy;  // [pixels, N], row stride ldy
  int64_t n, ldy;
  float* dw;  // [rows, N], row stride ldw
  int64_t ldw;
};

namespace avx512 {
/** Vector width in floats (any N works; a partial last vector is masked). */
constexpr int kWidth = 16;
void DirectConvForward(const DirectConvForwardArgs& args);
void DirectConvFilter(const DirectConvFilterArgs& args);
}  // namespace avx512

namespace avx2 {
constexpr int kWidth = 8;
void DirectConvForward(const DirectConvForwardArgs& args);
void DirectConvFilter(const DirectConvFilterArgs& args);
}  // namespace avx2

}  // namespace blazefl
