// 2-D NHWC convolution and its two gradients, as im2col / col2im around OpenBLAS sgemm.
//
// The output pixels (batch * outH * outW rows) are processed in chunks whose im2col matrix fits
// the per-thread scratch target (ConvChunkBytes), so the patch matrix stays in cache between
// its construction and the sgemm that reads it.
#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <cstring>

#include "common.h"
#include "direct-conv.h"
#include "direct-dispatch.h"
#include "kernels.h"

namespace blazefl {

static std::atomic<int64_t> g_chunk_bytes{1 << 20};

void SetConvChunkBytes(int64_t bytes) { g_chunk_bytes.store(std::max<int64_t>(bytes, 4096)); }
int64_t ConvChunkBytes() { return g_chunk_bytes.load(); }

namespace {

inline void CopyFloats(float* dst, const float* src, int64_t n) {
  if (n <= 16) {
    for (int64_t i = 0; i < n; ++i) dst[i] = src[i];
  } else {
    std::memcpy(dst, src, sizeof(float) * static_cast<size_t>(n));
  }
}

inline void ZeroFloats(float* dst, int64_t n) {
  if (n <= 16) {
    for (int64_t i = 0; i < n; ++i) dst[i] = 0.f;
  } else {
    std::memset(dst, 0, sizeof(float) * static_cast<size_t>(n));
  }
}

BLAZEFL_SIMD_CLONES
void AddFloats(float* dst, const float* src, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] += src[i];
}

/** Walks output pixels in order, tracking (n, oh, ow) without divisions. */
struct PixelCursor {
  int64_t n, oh, ow;
  PixelCursor(const ConvGeometry& g, int64_t p) {
    const int64_t perImage = g.outH * g.outW;
    n = p / perImage;
    const int64_t rem = p % perImage;
    oh = rem / g.outW;
    ow = rem % g.outW;
  }
  void Next(const ConvGeometry& g) {
    if (++ow == g.outW) {
      ow = 0;
      if (++oh == g.outH) {
        oh = 0;
        ++n;
      }
    }
  }
};

/** Rows of the im2col matrix [pixels, kH * kW * inC] for output pixels [p0, p0 + rows). */
void Im2Col(const ConvGeometry& g, const float* x, int64_t p0, int64_t rows, float* col) {
  const int64_t K = g.patchSize();
  const int64_t rowLen = g.kW * g.inC;
  PixelCursor c(g, p0);
  for (int64_t r = 0; r < rows; ++r, c.Next(g)) {
    float* dst = col + r * K;
    const float* image = x + c.n * g.inH * g.inW * g.inC;
    const int64_t iw0 = c.ow * g.strideW - g.padLeft;
    for (int64_t kh = 0; kh < g.kH; ++kh) {
      float* d = dst + kh * rowLen;
      const int64_t ih = c.oh * g.strideH - g.padTop + kh * g.dilationH;
      if (ih < 0 || ih >= g.inH) {
        ZeroFloats(d, rowLen);
        continue;
      }
      const float* src = image + ih * g.inW * g.inC;
      if (g.dilationW == 1) {
        const int64_t lo = std::min<int64_t>(std::max<int64_t>(0, -iw0), g.kW);
        const int64_t hi = std::max<int64_t>(std::min<int64_t>(g.kW, g.inW - iw0), lo);
        if (lo > 0) ZeroFloats(d, lo * g.inC);
        if (hi > lo) CopyFloats(d + lo * g.inC, src + (iw0 + lo) * g.inC, (hi - lo) * g.inC);
        if (hi < g.kW) ZeroFloats(d + hi * g.inC, (g.kW - hi) * g.inC);
      } else {
        for (int64_t kw = 0; kw < g.kW; ++kw) {
          const int64_t iw = iw0 + kw * g.dilationW;
          if (iw < 0 || iw >= g.inW) {
            ZeroFloats(d + kw * g.inC, g.inC);
          } else {
            CopyFloats(d + kw * g.inC, src + iw * g.inC, g.inC);
          }
        }
      }
    }
  }
}

/** Scatter-adds im2col rows for output pixels [p0, p0 + rows) into dx (which starts zeroed). */
void Col2Im(const ConvGeometry& g, const float* col, int64_t p0, int64_t rows, float* dx) {
  const int64_t K = g.patchSize();
  const int64_t rowLen = g.kW * g.inC;
  PixelCursor c(g, p0);
  for (int64_t r = 0; r < rows; ++r, c.Next(g)) {
    const float* src = col + r * K;
    float* image = dx + c.n * g.inH * g.inW * g.inC;
    const int64_t iw0 = c.ow * g.strideW - g.padLeft;
    for (int64_t kh = 0; kh < g.kH; ++kh) {
      const int64_t ih = c.oh * g.strideH - g.padTop + kh * g.dilationH;
      if (ih < 0 || ih >= g.inH) continue;
      const float* s = src + kh * rowLen;
      float* d = image + ih * g.inW * g.inC;
      if (g.dilationW == 1) {
        const int64_t lo = std::min<int64_t>(std::max<int64_t>(0, -iw0), g.kW);
        const int64_t hi = std::max<int64_t>(std::min<int64_t>(g.kW, g.inW - iw0), lo);
        if (hi > lo) AddFloats(d + (iw0 + lo) * g.inC, s + lo * g.inC, (hi - lo) * g.inC);
      } else {
        for (int64_t kw = 0; kw < g.kW; ++kw) {
          const int64_t iw = iw0 + kw * g.dilationW;
          if (iw >= 0 && iw < g.inW) AddFloats(d + iw * g.inC, s + kw * g.inC, g.inC);
        }
      }
    }
  }
}

/** A 1x1, stride-1, unpadded conv whose input is already its own im2col matrix. */
bool IsPointwise(const ConvGeometry& g) {
  return g.kH == 1 && g.kW == 1 && g.strideH == 1 && g.strideW == 1 && g.padTop == 0 &&
         g.padLeft == 0 && g.outH == g.inH && g.outW == g.inW;
}

/** Output pixels per chunk, so that one chunk's im2col matrix is about ConvChunkBytes. */
int64_t RowsPerChunk(const ConvGeometry& g) {
  const int64_t bytesPerRow = std::max<int64_t>(1, g.patchSize() * static_cast<int64_t>(sizeof(float)));
  const int64_t rows = std::max<int64_t>(1, ConvChunkBytes() / bytesPerRow);
  return std::min(rows, std::max<int64_t>(1, g.outPixels()));
}

void BlasConv2D(const ConvGeometry& g, const float* x, const float* w, float* y, const float* bias,
                Activation act) {
  const int64_t K = g.patchSize();
  const int64_t P = g.outPixels();
  if (P == 0) return;
  if (IsPointwise(g)) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(P),
                static_cast<int>(g.outC), static_cast<int>(K), 1.f, x, static_cast<int>(K), w,
                static_cast<int>(g.outC), 0.f, y, static_cast<int>(g.outC));
    BiasActivation(y, bias, P, g.outC, act);
    return;
  }
  const int64_t chunk = RowsPerChunk(g);
  float* col = ThreadScratch<float, kScratchCol>(chunk * K);
  for (int64_t p0 = 0; p0 < P; p0 += chunk) {
    const int64_t rows = std::min(chunk, P - p0);
    Im2Col(g, x, p0, rows, col);
    float* out = y + p0 * g.outC;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(rows),
                static_cast<int>(g.outC), static_cast<int>(K), 1.f, col, static_cast<int>(K), w,
                static_cast<int>(g.outC), 0.f, out, static_cast<int>(g.outC));
    BiasActivation(out, bias, rows, g.outC, act);
  }
}

void BlasConv2DBackpropInput(const ConvGeometry& g, const float* dy, const float* w, float* dx) {
  const int64_t K = g.patchSize();
  const int64_t P = g.outPixels();
  if (IsPointwise(g)) {
    if (P == 0) return;
    // dx[P, inC] = dy[P, outC] * w[inC, outC]^T
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(P),
                static_cast<int>(g.inC), static_cast<int>(g.outC), 1.f, dy,
                static_cast<int>(g.outC), w, static_cast<int>(g.outC), 0.f, dx,
                static_cast<int>(g.inC));
    return;
  }
  std::memset(dx, 0, sizeof(float) * static_cast<size_t>(g.inputSize()));
  if (P == 0) return;
  const int64_t chunk = RowsPerChunk(g);
  float* col = ThreadScratch<float, kScratchCol>(chunk * K);
  for (int64_t p0 = 0; p0 < P; p0 += chunk) {
    const int64_t rows = std::min(chunk, P - p0);
    // col[rows, K] = dy[rows, outC] * w[K, outC]^T
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(rows),
                static_cast<int>(K), static_cast<int>(g.outC), 1.f, dy + p0 * g.outC,
                static_cast<int>(g.outC), w, static_cast<int>(g.outC), 0.f, col,
                static_cast<int>(K));
    Col2Im(g, col, p0, rows, dx);
  }
}

void BlasConv2DBackpropFilter(const ConvGeometry& g, const float* x, const float* dy, float* dw) {
  const int64_t K = g.patchSize();
  const int64_t P = g.outPixels();
  if (P == 0) {
    std::memset(dw, 0, sizeof(float) * static_cast<size_t>(g.filterSize()));
    return;
  }
  if (IsPointwise(g)) {
    // dw[inC, outC] = x[P, inC]^T * dy[P, outC]
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(K),
                static_cast<int>(g.outC), static_cast<int>(P), 1.f, x, static_cast<int>(K), dy,
                static_cast<int>(g.outC), 0.f, dw, static_cast<int>(g.outC));
    return;
  }
  const int64_t chunk = RowsPerChunk(g);
  float* col = ThreadScratch<float, kScratchCol>(chunk * K);
  for (int64_t p0 = 0; p0 < P; p0 += chunk) {
    const int64_t rows = std::min(chunk, P - p0);
    Im2Col(g, x, p0, rows, col);
    // dw[K, outC] (+)= col[rows, K]^T * dy[rows, outC]
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(K),
                static_cast<int>(g.outC), static_cast<int>(rows), 1.f, col, static_cast<int>(K),
                dy + p0 * g.outC, static_cast<int>(g.outC), p0 == 0 ? 0.f : 1.f, dw,
                static_cast<int>(g.outC));
  }
}

}  // namespace

// ----------------------------------------------------------------------------- dispatch
//
// The direct kernels (direct-conv.h) are used when the CPU has AVX-512F or AVX2 + FMA, the
// channel counts they write are a multiple of the vector width, and the padded input stays
// modest; everything else takes the im2col + OpenBLAS path above.

namespace {

std::atomic<int> g_conv_impl{static_cast<int>(ConvImpl::kAuto)};
std::atomic<int64_t> g_direct_calls{0};

/** Largest zero-padded input copy the direct path makes, in floats (256 MiB). */
constexpr int64_t kMaxPaddedFloats = int64_t{64} << 20;

bool CpuSupports(ConvImpl impl) {
  switch (impl) {
    case ConvImpl::kAuto:
    case ConvImpl::kBlas:
      return true;
#if defined(BLAZEFL_HAVE_DIRECT_CONV)
    case ConvImpl::kAvx512:
      __builtin_cpu_init();
      return __builtin_cpu_supports("avx512f");
    case ConvImpl::kAvx2:
      __builtin_cpu_init();
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    default:
      return false;
  }
}

#if defined(BLAZEFL_HAVE_DIRECT_CONV)

/**
 * Copies images [batch, H, W, C] into a zeroed [batch, Hp, Wp, C] buffer, source row r and
 * column c landing at (r + top, c + left); whatever falls outside is dropped.
 */
void PadImages(const float* src, int64_t batch, int64_t H, int64_t W, int64_t C, int64_t top,
               int64_t left, int64_t Hp, int64_t Wp, float* dst) {
  std::memset(dst, 0, sizeof(float) * static_cast<size_t>(batch * Hp * Wp * C));
  const int64_t c0 = std::max<int64_t>(0, -left);
  const int64_t c1 = std::min<int64_t>(W, Wp - left);
  if (c1 <= c0) return;
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t r = 0; r < H; ++r) {
      const int64_t rp = r + top;
      if (rp < 0 || rp >= Hp) continue;
      std::memcpy(dst + ((n * Hp + rp) * Wp + c0 + left) * C, src + ((n * H + r) * W + c0) * C,
                  sizeof(float) * static_cast<size_t>((c1 - c0) * C));
    }
  }
}

/** Padded extent that every window of `out` outputs reaches: (out - 1) * stride + span. */
int64_t PaddedExtent(int64_t out, int64_t stride, int64_t k, int64_t dilation) {
  return (out - 1) * stride + (k - 1) * dilation + 1;
}

/** Offsets of tap (0, 0) for every output pixel, and of every tap from it. */
void FillOffsets(const ConvGeometry& g, int64_t Hp, int64_t Wp, int64_t C, int64_t* pixel,
                 int64_t* tap) {
  int64_t p = 0;
  for (int64_t n = 0; n < g.batch; ++n)
    for (int64_t oh = 0; oh < g.outH; ++oh)
      for (int64_t ow = 0; ow < g.outW; ++ow)
        pixel[p++] = ((n * Hp + oh * g.strideH) * Wp + ow * g.strideW) * C;
  for (int64_t kh = 0; kh < g.kH; ++kh)
    for (int64_t kw = 0; kw < g.kW; ++kw)
      tap[kh * g.kW + kw] = (kh * g.dilationH * Wp + kw * g.dilationW) * C;
}

bool DirectConv2D(ConvImpl impl, const ConvGeometry& g, const float* x, const float* w, float* y,
                  const float* bias, Activation act) {
  const int64_t Hp = PaddedExtent(g.outH, g.strideH, g.kH, g.dilationH);
  const int64_t Wp = PaddedExtent(g.outW, g.strideW, g.kW, g.dilationW);
  if (g.batch * Hp * Wp * g.inC > kMaxPaddedFloats) return false;
  float* padded = ThreadScratch<float, kScratchPadded>(g.batch * Hp * Wp * g.inC);
  PadImages(x, g.batch, g.inH, g.inW, g.inC, g.padTop, g.padLeft, Hp, Wp, padded);
  const int64_t P = g.outPixels();
  const int64_t T = g.kH * g.kW;
  int64_t* offsets = ThreadScratch<int64_t, kScratchOffsets>(P + T);
  FillOffsets(g, Hp, Wp, g.inC, offsets, offsets + P);
  DirectConvForwardArgs args{padded, offsets, offsets + P, P, T, g.inC, w, g.outC, g.outC,
                             y, g.outC, bias, static_cast<int>(act), 0};
  RunDirectForward(impl, args);
  return true;
}

/**
 * Stride 1 only: dx is the 'full' correlation of dy with the filter flipped in space and
 * transposed in channels, i.e. a forward conv of dy padded by (k - 1 - pad).
 */
bool DirectConv2DBackpropInput(ConvImpl impl, const ConvGeometry& g, const float* dy,
                               const float* w, float* dx) {
  if (g.strideH != 1 || g.strideW != 1 || g.dilationH != 1 || g.dilationW != 1) return false;
  const int64_t top = g.kH - 1 - g.padTop;
  const int64_t left = g.kW - 1 - g.padLeft;
  if (top < 0 || left < 0) return false;
  const int64_t Hp = g.inH + g.kH - 1;
  const int64_t Wp = g.inW + g.kW - 1;
  if (g.batch * Hp * Wp * g.outC > kMaxPaddedFloats) return false;
  float* padded = ThreadScratch<float, kScratchPadded>(g.batch * Hp * Wp * g.outC);
  PadImages(dy, g.batch, g.outH, g.outW, g.outC, top, left, Hp, Wp, padded);
  const int64_t T = g.kH * g.kW;
  // flipped[(kh', kw', oc), c] = w[(kH-1-kh', kW-1-kw', c), oc]
  float* flipped = ThreadScratch<float, kScratchFilter>(T * g.outC * g.inC);
  for (int64_t kh = 0; kh < g.kH; ++kh)
    for (int64_t kw = 0; kw < g.kW; ++kw) {
      const float* src = w + ((g.kH - 1 - kh) * g.kW + (g.kW - 1 - kw)) * g.inC * g.outC;
      float* dst = flipped + (kh * g.kW + kw) * g.outC * g.inC;
      for (int64_t c = 0; c < g.inC; ++c)
        for (int64_t oc = 0; oc < g.outC; ++oc) dst[oc * g.inC + c] = src[c * g.outC + oc];
    }
  const int64_t P = g.batch * g.inH * g.inW;
  int64_t* offsets = ThreadScratch<int64_t, kScratchOffsets>(P + T);
  int64_t p = 0;
  for (int64_t n = 0; n < g.batch; ++n)
    for (int64_t ih = 0; ih < g.inH; ++ih)
      for (int64_t iw = 0; iw < g.inW; ++iw) offsets[p++] = ((n * Hp + ih) * Wp + iw) * g.outC;
  for (int64_t kh = 0; kh < g.kH; ++kh)
    for (int64_t kw = 0; kw < g.kW; ++kw) offsets[P + kh * g.kW + kw] = (kh * Wp + kw) * g.outC;
  DirectConvForwardArgs args{padded, offsets, offsets + P, P, T, g.outC, flipped, g.inC, g.inC,
                             dx, g.inC, nullptr, 0, 0};
  RunDirectForward(impl, args);
  return true;
}

bool DirectConv2DBackpropFilter(ConvImpl impl, const ConvGeometry& g, const float* x,
                                const float* dy, float* dw) {
  if (g.dilationH != 1 || g.dilationW != 1) return false;
  const int64_t Hp = PaddedExtent(g.outH, g.strideH, g.kH, 1);
  const int64_t Wp = PaddedExtent(g.outW, g.strideW, g.kW, 1);
  if (g.batch * Hp * Wp * g.inC > kMaxPaddedFloats) return false;
  float* padded = ThreadScratch<float, kScratchPadded>(g.batch * Hp * Wp * g.inC);
  PadImages(x, g.batch, g.inH, g.inW, g.inC, g.padTop, g.padLeft, Hp, Wp, padded);
  const int64_t P = g.outPixels();
  const int64_t T = g.kH * g.kW;
  const int64_t rows = T * g.inC;
  int64_t* offsets = ThreadScratch<int64_t, kScratchOffsets>(P + T + rows);
  FillOffsets(g, Hp, Wp, g.inC, offsets, offsets + P);
  int64_t* rowOffsets = offsets + P + T;
  for (int64_t t = 0; t < T; ++t)
    for (int64_t c = 0; c < g.inC; ++c) rowOffsets[t * g.inC + c] = offsets[P + t] + c;
  DirectConvFilterArgs args{padded, offsets, rowOffsets, P, rows, dy, g.outC, g.outC, dw, g.outC};
  RunDirectFilter(impl, args);
  return true;
}

bool UseDirect(ConvImpl impl) { return impl == ConvImpl::kAvx512 || impl == ConvImpl::kAvx2; }

/**
 * Whether the direct kernels suit `g`. Forced implementations always take them (the kernel
 * tests). Under "auto" they take only convolutions with at least 128 output pixels per image,
 * and, for the input gradient, an output nearly as large as the input: the direct input
 * gradient convolves the whole zero-padded dy, so on ResNet-18's 'valid' 3x3 convolutions over
 * 1x1 to 4x4 maps it did up to 9 times the work and ran 20 times slower than im2col + OpenBLAS
 * (measured: 143 ms against 6 ms for dy [32,1,1,512], filter [3,3,512,512]). The choice depends
 * on the shape only, so every process picks the same kernel and the same bits.
 */
bool DirectSuits(const ConvGeometry& g, bool inputGradient) {
  if (static_cast<ConvImpl>(g_conv_impl.load(std::memory_order_relaxed)) != ConvImpl::kAuto)
    return true;
  const int64_t out = g.outH * g.outW;
  if (out < 128) return false;
  return !inputGradient || out * 4 >= g.inH * g.inW * 3;
}

#endif  // BLAZEFL_HAVE_DIRECT_CONV

}  // namespace

ConvImpl ActiveImpl() {
  const auto chosen = static_cast<ConvImpl>(g_conv_impl.load(std::memory_order_relaxed));
  if (chosen != ConvImpl::kAuto) return chosen;
  // AVX2-only CPUs keep OpenBLAS: the AVX2 direct kernels are correct but were not measured
  // faster than OpenBLAS on real AVX2 hardware, so they only run when asked for.
  static const ConvImpl best = CpuSupports(ConvImpl::kAvx512) ? ConvImpl::kAvx512 : ConvImpl::kBlas;
  return best;
}

#if defined(BLAZEFL_HAVE_DIRECT_CONV)
void RunDirectForward(ConvImpl impl, const DirectConvForwardArgs& args) {
  if (impl == ConvImpl::kAvx512) avx512::DirectConvForward(args);
  else avx2::DirectConvForward(args);
}

void RunDirectFilter(ConvImpl impl, const DirectConvFilterArgs& args) {
  if (impl == ConvImpl::kAvx512) avx512::DirectConvFilter(args);
  else avx2::DirectConvFilter(args);
}

#endif

bool SetConvImplementation(ConvImpl impl) {
  if (!CpuSupports(impl)) return false;
  g_conv_impl.store(static_cast<int>(impl));
  return true;
}

int64_t DirectConvCalls() { return g_direct_calls.load(std::memory_order_relaxed); }

void CountDirectCall() { g_direct_calls.fetch_add(1, std::memory_order_relaxed); }

const char* ConvImplementationName() {
  switch (ActiveImpl()) {
    case ConvImpl::kAvx512: return "avx512";
    case ConvImpl::kAvx2: return "avx2";
    default: return "blas";
  }
}

void Conv2D(const ConvGeometry& g, const float* x, const float* w, float* y, const float* bias,
            Activation act) {
  if (g.outPixels() == 0) return;
#if defined(BLAZEFL_HAVE_DIRECT_CONV)
  const ConvImpl impl = ActiveImpl();
  if (UseDirect(impl) && DirectSuits(g, false) && DirectConv2D(impl, g, x, w, y, bias, act)) {
    g_direct_calls.fetch_add(1, std::memory_order_relaxed);
    return;
  }
#endif
  BlasConv2D(g, x, w, y, bias, act);
}

void Conv2DBackpropInput(const ConvGeometry& g, const float* dy, const float* w, float* dx) {
#if defined(BLAZEFL_HAVE_DIRECT_CONV)
  const ConvImpl impl = ActiveImpl();
  if (g.outPixels() > 0 && UseDirect(impl) && DirectSuits(g, true) &&
      DirectConv2DBackpropInput(impl, g, dy, w, dx)) {
    g_direct_calls.fetch_add(1, std::memory_order_relaxed);
    return;
  }
#endif
  BlasConv2DBackpropInput(g, dy, w, dx);
}

void Conv2DBackpropFilter(const ConvGeometry& g, const float* x, const float* dy, float* dw) {
#if defined(BLAZEFL_HAVE_DIRECT_CONV)
  const ConvImpl impl = ActiveImpl();
  if (g.outPixels() > 0 && UseDirect(impl) && DirectSuits(g, false) &&
      DirectConv2DBackpropFilter(impl, g, x, dy, dw)) {
    g_direct_calls.fetch_add(1, std::memory_order_relaxed);
    return;
  }
#endif
  BlasConv2DBackpropFilter(g, x, dy, dw);
}

}  // namespace blazefl
