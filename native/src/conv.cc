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

}  // namespace

void Conv2D(const ConvGeometry& g, const float* x, const float* w, float* y, const float* bias,
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
  float* col = ThreadScratch<kScratchCol>(chunk * K);
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

void Conv2DBackpropInput(const ConvGeometry& g, const float* dy, const float* w, float* dx) {
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
  float* col = ThreadScratch<kScratchCol>(chunk * K);
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

void Conv2DBackpropFilter(const ConvGeometry& g, const float* x, const float* dy, float* dw) {
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
  float* col = ThreadScratch<kScratchCol>(chunk * K);
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

}  // namespace blazefl
