// Elementwise kernels with broadcasting, unary activations, sums and the SGD update.
#include <cmath>
#include <cstdint>
#include <cstring>

#include "common.h"
#include "kernels.h"

namespace blazefl {

namespace {

// One rank-4 loop nest per operation, compiled for several instruction sets (one dispatch per
// call, not per row). The innermost stride pattern is fixed for the whole call, so it is chosen
// once: vv (both contiguous), vs (b constant along the row), sv (a constant), or any strides.
#define BLAZEFL_BINARY_KERNEL(NAME, EXPR)                                                        \
  BLAZEFL_SIMD_CLONES void NAME##Kernel(const float* a, const int64_t* as, const float* b,       \
                                        const int64_t* bs, float* o, const int64_t* shape) {     \
    const int64_t n = shape[3], sa = as[3], sb = bs[3];                                          \
    const int pattern = (sa == 1 && sb == 1) ? 0 : (sa == 1 && sb == 0) ? 1                      \
                        : (sa == 0 && sb == 1) ? 2 : 3;                                          \
    for (int64_t i0 = 0; i0 < shape[0]; ++i0)                                                    \
      for (int64_t i1 = 0; i1 < shape[1]; ++i1)                                                  \
        for (int64_t i2 = 0; i2 < shape[2]; ++i2, o += n) {                                      \
          const float* pa = a + i0 * as[0] + i1 * as[1] + i2 * as[2];                            \
          const float* pb = b + i0 * bs[0] + i1 * bs[1] + i2 * bs[2];                            \
          if (pattern == 0) {                                                                    \
            for (int64_t i = 0; i < n; ++i) {                                                    \
              const float x = pa[i], y = pb[i];                                                  \
              o[i] = (EXPR);                                                                     \
            }                                                                                    \
          } else if (pattern == 1) {                                                             \
            const float y = pb[0];                                                               \
            for (int64_t i = 0; i < n; ++i) {                                                    \
              const float x = pa[i];                                                             \
              o[i] = (EXPR);                                                                     \
            }                                                                                    \
          } else if (pattern == 2) {                                                             \
            const float x = pa[0];                                                               \
            for (int64_t i = 0; i < n; ++i) {                                                    \
              const float y = pb[i];                                                             \
              o[i] = (EXPR);                                                                     \
            }                                                                                    \
          } else {                                                                               \
            for (int64_t i = 0; i < n; ++i) {                                                    \
              const float x = pa[i * sa], y = pb[i * sb];                                        \
              o[i] = (EXPR);                                                                     \
            }                                                                                    \
          }                                                                                      \
        }                                                                                        \
  }

BLAZEFL_BINARY_KERNEL(Add, x + y)
BLAZEFL_BINARY_KERNEL(Sub, x - y)
BLAZEFL_BINARY_KERNEL(Mul, x * y)
BLAZEFL_BINARY_KERNEL(Div, x / y)
// The relu gradient, dy * step(x), with x in the second operand: NaN inputs give NaN.
BLAZEFL_BINARY_KERNEL(ReluGrad, x * (y > 0.f ? 1.f : (y != y ? y : 0.f)))
#undef BLAZEFL_BINARY_KERNEL

using BinaryFn = void (*)(const float*, const int64_t*, const float*, const int64_t*, float*,
                          const int64_t*);

BLAZEFL_SIMD_CLONES
void ReluLoop(const float* x, float* o, int64_t n) {
  for (int64_t i = 0; i < n; ++i) o[i] = x[i] < 0.f ? 0.f : x[i];
}

BLAZEFL_SIMD_CLONES
void SquareLoop(const float* x, float* o, int64_t n) {
  for (int64_t i = 0; i < n; ++i) o[i] = x[i] * x[i];
}

BLAZEFL_SIMD_CLONES
void ChannelAffineLoop(const float* x, const float* mean, const float* factor,
                       const float* offset, float* out, int64_t n, int64_t c) {
  for (int64_t base = 0; base < n; base += c)
    for (int64_t k = 0; k < c; ++k) {
      const float centred = x[base + k] - mean[k];
      const float scaled = centred * factor[k];
      out[base + k] = offset == nullptr ? scaled : offset[k] + scaled;
    }
}

BLAZEFL_SIMD_CLONES
void ChannelScaleLoop(const float* dy, const float* factor, float* out, int64_t n, int64_t c) {
  for (int64_t base = 0; base < n; base += c)
    for (int64_t k = 0; k < c; ++k) out[base + k] = dy[base + k] * factor[k];
}

BLAZEFL_SIMD_CLONES
void StepLoop(const float* x, float* o, int64_t n, float alpha) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    o[i] = v > 0.f ? 1.f : (v != v ? v : alpha);
  }
}

/** out[o, i] = sum over m of x[o, m, i] (inner > 1), accumulating in `acc` (inner doubles). */
BLAZEFL_SIMD_CLONES
void ColumnSums(const float* x, float* out, int64_t outer, int64_t mid, int64_t inner,
                double* acc) {
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) acc[i] = 0.0;
    const float* block = x + o * mid * inner;
    for (int64_t m = 0; m < mid; ++m) {
      const float* row = block + m * inner;
      for (int64_t i = 0; i < inner; ++i) acc[i] += static_cast<double>(row[i]);
    }
    float* dst = out + o * inner;
    for (int64_t i = 0; i < inner; ++i) dst[i] = static_cast<float>(acc[i]);
  }
}

BLAZEFL_SIMD_CLONES
void SgdLoop(float* w, const float* g, int64_t n, float lr) {
  for (int64_t i = 0; i < n; ++i) {
    const float step = lr * g[i];
    w[i] = w[i] - step;
  }
}

BLAZEFL_SIMD_CLONES
void SgdMomentumLoop(float* w, const float* g, float* buf, int64_t n, float lr, float momentum,
                     float decay) {
  // The same roundings, in the same order, as SgdOptimizer's tfjs ops: g + w * decay, then
  // buf * momentum + g, then w - buf * lr.
  for (int64_t i = 0; i < n; ++i) {
    float grad = g[i];
    if (decay != 0.0f) {
      const float d = w[i] * decay;
      grad = grad + d;
    }
    if (buf != nullptr) {
      const float b = buf[i] * momentum;
      grad = b + grad;
      buf[i] = grad;
    }
    const float step = grad * lr;
    w[i] = w[i] - step;
  }
}

}  // namespace

void Binary(BinaryOp op, const float* a, const int64_t* as, const float* b, const int64_t* bs,
            float* out, const int64_t* shape) {
  static_assert(kMaxBroadcastRank == 4, "the kernels are written for rank 4");
  BinaryFn kernel = AddKernel;
  switch (op) {
    case BinaryOp::kAdd: kernel = AddKernel; break;
    case BinaryOp::kSub: kernel = SubKernel; break;
    case BinaryOp::kMul: kernel = MulKernel; break;
    case BinaryOp::kDiv: kernel = DivKernel; break;
    case BinaryOp::kReluGrad: kernel = ReluGradKernel; break;
  }
  kernel(a, as, b, bs, out, shape);
}

void Unary(UnaryOp op, const float* x, float* out, int64_t n, float alpha) {
  if (op == UnaryOp::kRelu) ReluLoop(x, out, n);
  else if (op == UnaryOp::kSquare) SquareLoop(x, out, n);
  else StepLoop(x, out, n, alpha);
}

void ReduceSum(const float* x, float* out, int64_t outer, int64_t mid, int64_t inner) {
  if (inner == 1) {
    for (int64_t o = 0; o < outer; ++o) {
      const float* row = x + o * mid;
      // Four independent double accumulators, combined in a fixed order: deterministic.
      double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      int64_t m = 0;
      for (; m + 4 <= mid; m += 4) {
        s0 += row[m];
        s1 += row[m + 1];
        s2 += row[m + 2];
        s3 += row[m + 3];
      }
      for (; m < mid; ++m) s0 += row[m];
      out[o] = static_cast<float>((s0 + s1) + (s2 + s3));
    }
    return;
  }
  ColumnSums(x, out, outer, mid, inner, ThreadScratch<double, kScratchSum>(inner));
}

namespace {

// A float is NaN or infinite exactly when its exponent bits are all ones: an integer test, so the
// flags can be OR-ed in any order and the loops vectorise without -ffast-math.
inline uint32_t NonFiniteBit(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return static_cast<uint32_t>((bits & 0x7f800000u) == 0x7f800000u);
}

BLAZEFL_SIMD_CLONES
uint32_t WeightedAccumulateLoop(double* sum, const float* x, int64_t n, double w) {
  uint32_t bad = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    bad |= NonFiniteBit(v);
    sum[i] = sum[i] + w * static_cast<double>(v);
  }
  return bad;
}

BLAZEFL_SIMD_CLONES
void DivideLoop(float* out, const double* sum, int64_t n, double d) {
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(sum[i] / d);
}

BLAZEFL_SIMD_CLONES
uint32_t NonFiniteLoop(const float* x, int64_t n) {
  uint32_t bad = 0;
  for (int64_t i = 0; i < n; ++i) bad |= NonFiniteBit(x[i]);
  return bad;
}

}  // namespace

bool WeightedAccumulate(double* sum, const float* x, int64_t n, double w) {
  return WeightedAccumulateLoop(sum, x, n, w) == 0;
}

bool AllFinite(const float* x, int64_t n) { return NonFiniteLoop(x, n) == 0; }

void DivideToFloat(float* out, const double* sum, int64_t n, double d) { DivideLoop(out, sum, n, d); }

void SgdUpdate(float* w, const float* g, int64_t n, float lr) { SgdLoop(w, g, n, lr); }

void ChannelAffine(const float* x, const float* mean, const float* factor, const float* offset,
                   float* out, int64_t n, int64_t c) {
  ChannelAffineLoop(x, mean, factor, offset, out, n, c);
}

void ChannelSums(const float* dy, const float* x, const float* mean, int64_t n, int64_t c,
                 double* s1, double* s2) {
  for (int64_t k = 0; k < c; ++k) s1[k] = s2[k] = 0.0;
  for (int64_t base = 0; base < n; base += c)
    for (int64_t k = 0; k < c; ++k) {
      const double d = dy[base + k];
      s1[k] += d;
      s2[k] += d * (static_cast<double>(x[base + k]) - static_cast<double>(mean[k]));
    }
}

void ChannelScale(const float* dy, const float* factor, float* out, int64_t n, int64_t c) {
  ChannelScaleLoop(dy, factor, out, n, c);
}

void BroadcastMiddle(const float* dy, float* out, int64_t outer, int64_t mid, int64_t inner,
                     float scale) {
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t m = 0; m < mid; ++m) {
      float* dst = out + (o * mid + m) * inner;
      const float* src = dy + o * inner;
      for (int64_t i = 0; i < inner; ++i) dst[i] = src[i] * scale;
    }
}

void SgdMomentumUpdate(float* w, const float* g, float* buf, int64_t n, float lr, float momentum,
                       float decay) {
  SgdMomentumLoop(w, g, buf, n, lr, momentum, decay);
}

const char* SimdLevel() {
#if defined(BLAZEFL_HAVE_CLONES)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return "avx512f";
  if (__builtin_cpu_supports("avx2")) return "avx2";
  return "sse2";
#else
  return "baseline";
#endif
}

}  // namespace blazefl
