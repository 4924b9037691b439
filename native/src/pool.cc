// 2-D NHWC max pooling and its gradient. Channels are the innermost, vectorised loop.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "common.h"
#include "kernels.h"

namespace blazefl {

namespace {

/** Window bounds [lo, hi) of one output coordinate, clipped to the input. */
inline void WindowRange(int64_t o, int64_t stride, int64_t pad, int64_t k, int64_t in,
                        int64_t* lo, int64_t* hi) {
  const int64_t corner = o * stride - pad;
  *lo = std::max<int64_t>(0, corner);
  *hi = std::max<int64_t>(std::min<int64_t>(in, corner + k), *lo);
}

inline void MaxInto(float* out, const float* in, int64_t c) {
  for (int64_t i = 0; i < c; ++i) out[i] = in[i] > out[i] ? in[i] : out[i];
}

inline void ArgMaxInto(float* best, int32_t* where, const float* in, int32_t pos, int64_t c) {
  for (int64_t i = 0; i < c; ++i) {
    const bool better = in[i] > best[i];
    best[i] = better ? in[i] : best[i];
    where[i] = better ? pos : where[i];
  }
}

inline void SelectInto(float* dx, const float* g, const int32_t* where, int32_t pos, int64_t c) {
  for (int64_t i = 0; i < c; ++i) dx[i] = where[i] == pos ? g[i] : 0.f;
}

/** Windows tile the input exactly once (no overlap, no padding): dx can be written directly. */
bool IsTiling(const PoolGeometry& g) {
  return g.strideH == g.kH && g.strideW == g.kW && g.padTop == 0 && g.padLeft == 0 &&
         g.outH * g.kH <= g.inH && g.outW * g.kW <= g.inW;
}

/** Max pool of one image (the whole loop nest is one multi-versioned function). */
BLAZEFL_SIMD_CLONES
void MaxPoolImage(const PoolGeometry& g, const float* image, float* out) {
  const int64_t C = g.channels;
  for (int64_t oh = 0; oh < g.outH; ++oh) {
    int64_t h0, h1;
    WindowRange(oh, g.strideH, g.padTop, g.kH, g.inH, &h0, &h1);
    for (int64_t ow = 0; ow < g.outW; ++ow) {
      int64_t w0, w1;
      WindowRange(ow, g.strideW, g.padLeft, g.kW, g.inW, &w0, &w1);
      float* o = out + (oh * g.outW + ow) * C;
      for (int64_t c = 0; c < C; ++c) o[c] = -INFINITY;
      for (int64_t ih = h0; ih < h1; ++ih)
        for (int64_t iw = w0; iw < w1; ++iw) MaxInto(o, image + (ih * g.inW + iw) * C, C);
    }
  }
}

/**
 * Gradient of one image's max pool. With tiling windows every dx element is written once
 * (selected gradient or zero); otherwise dx starts zeroed and gradients are added.
 */
BLAZEFL_SIMD_CLONES
void MaxPoolGradImage(const PoolGeometry& g, const float* dy, const float* image, float* grad,
                      bool tiling, float* best, int32_t* where) {
  const int64_t C = g.channels;
  for (int64_t oh = 0; oh < g.outH; ++oh) {
    int64_t h0, h1;
    WindowRange(oh, g.strideH, g.padTop, g.kH, g.inH, &h0, &h1);
    for (int64_t ow = 0; ow < g.outW; ++ow) {
      int64_t w0, w1;
      WindowRange(ow, g.strideW, g.padLeft, g.kW, g.inW, &w0, &w1);
      for (int64_t c = 0; c < C; ++c) {
        best[c] = -INFINITY;
        where[c] = -1;
      }
      for (int64_t ih = h0; ih < h1; ++ih)
        for (int64_t iw = w0; iw < w1; ++iw)
          ArgMaxInto(best, where, image + (ih * g.inW + iw) * C,
                     static_cast<int32_t>(ih * g.inW + iw), C);
      const float* gy = dy + (oh * g.outW + ow) * C;
      if (tiling) {
        for (int64_t ih = h0; ih < h1; ++ih)
          for (int64_t iw = w0; iw < w1; ++iw)
            SelectInto(grad + (ih * g.inW + iw) * C, gy, where,
                       static_cast<int32_t>(ih * g.inW + iw), C);
      } else {
        for (int64_t c = 0; c < C; ++c)
          if (where[c] >= 0) grad[static_cast<int64_t>(where[c]) * C + c] += gy[c];
      }
    }
  }
}

/**
 * The gradient of 2x2, stride-2 pooling without padding (the common case), for one image:
 * each window's four values stay in registers, and the first maximum in scan order (the stock
 * kernel's choice, ties included) gets the gradient. Writes every dx element of the covered
 * rows and columns.
 */
BLAZEFL_SIMD_CLONES
void MaxPoolGrad2x2Image(const PoolGeometry& g, const float* dy, const float* image,
                         float* grad) {
  const int64_t C = g.channels;
  const int64_t rowStride = g.inW * C;
  for (int64_t oh = 0; oh < g.outH; ++oh)
    for (int64_t ow = 0; ow < g.outW; ++ow) {
      const int64_t base = (2 * oh * g.inW + 2 * ow) * C;
      const float* x0 = image + base;
      const float* x1 = x0 + C;
      const float* x2 = x0 + rowStride;
      const float* x3 = x2 + C;
      float* d0 = grad + base;
      float* d1 = d0 + C;
      float* d2 = d0 + rowStride;
      float* d3 = d2 + C;
      const float* gy = dy + (oh * g.outW + ow) * C;
      for (int64_t c = 0; c < C; ++c) {
        // NaN never wins a '>' comparison, as in ArgMaxInto: a window of NaNs sends nothing.
        float m = -INFINITY;
        int w = -1;
        if (x0[c] > m) { m = x0[c]; w = 0; }
        if (x1[c] > m) { m = x1[c]; w = 1; }
        if (x2[c] > m) { m = x2[c]; w = 2; }
        if (x3[c] > m) { w = 3; }
        const float v = gy[c];
        d0[c] = w == 0 ? v : 0.f;
        d1[c] = w == 1 ? v : 0.f;
        d2[c] = w == 2 ? v : 0.f;
        d3[c] = w == 3 ? v : 0.f;
      }
    }
}

}  // namespace

void MaxPool(const PoolGeometry& g, const float* x, float* y) {
  const int64_t C = g.channels;
  for (int64_t n = 0; n < g.batch; ++n)
    MaxPoolImage(g, x + n * g.inH * g.inW * C, y + n * g.outH * g.outW * C);
}

void MaxPoolGrad(const PoolGeometry& g, const float* dy, const float* x, float* dx) {
  const int64_t C = g.channels;
  float* best = ThreadScratch<float, kScratchPool>(C);
  int32_t* where = ThreadScratch<int32_t, kScratchPool>(C);
  const bool tiling = IsTiling(g);
  if (!tiling) std::memset(dx, 0, sizeof(float) * static_cast<size_t>(g.inputSize()));
  for (int64_t n = 0; n < g.batch; ++n) {
    float* grad = dx + n * g.inH * g.inW * C;
    if (tiling) {
      // Rows and columns no window covers get no gradient.
      for (int64_t ih = 0; ih < g.inH; ++ih) {
        if (ih >= g.outH * g.kH) {
          std::memset(grad + ih * g.inW * C, 0, sizeof(float) * static_cast<size_t>(g.inW * C));
        } else if (g.outW * g.kW < g.inW) {
          const int64_t from = g.outW * g.kW;
          std::memset(grad + (ih * g.inW + from) * C, 0,
                      sizeof(float) * static_cast<size_t>((g.inW - from) * C));
        }
      }
    }
    if (tiling && g.kH == 2 && g.kW == 2)
      MaxPoolGrad2x2Image(g, dy + n * g.outH * g.outW * C, x + n * g.inH * g.inW * C, grad);
    else
      MaxPoolGradImage(g, dy + n * g.outH * g.outW * C, x + n * g.inH * g.inW * C, grad, tiling,
                       best, where);
  }
}

}  // namespace blazefl
