// Elementwise kernels with broadcasting, unary activations, sums and the SGD update.
#include <cmath>

#include "common.h"
#include "kernels.h"

namespace blazefl {

namespace {

// One innermost loop per (operation, stride pattern), each compiled for several instruction sets.
// vv: both operands contiguous; vs: b is a scalar along the row; sv: a is; gg: any strides.
#define BLAZEFL_BINARY_LOOPS(NAME, EXPR)                                                         \
  BLAZEFL_SIMD_CLONES void NAME##VV(const float* a, const float* b, float* o, int64_t n) {      \
    for (int64_t i = 0; i < n; ++i) {                                                           \
      const float x = a[i], y = b[i];                                                           \
      o[i] = (EXPR);                                                                            \
    }                                                                                           \
  }                                                                                             \
  BLAZEFL_SIMD_CLONES void NAME##VS(const float* a, const float* b, float* o, int64_t n) {      \
    const float y = b[0];                                                                       \
    for (int64_t i = 0; i < n; ++i) {                                                           \
      const float x = a[i];                                                                     \
      o[i] = (EXPR);                                                                            \
    }                                                                                           \
  }                                                                                             \
  BLAZEFL_SIMD_CLONES void NAME##SV(const float* a, const float* b, float* o, int64_t n) {      \
    const float x = a[0];                                                                       \
    for (int64_t i = 0; i < n; ++i) {                                                           \
      const float y = b[i];                                                                     \
      o[i] = (EXPR);                                                                            \
    }                                                                                           \
  }                                                                                             \
  void NAME##GG(const float* a, int64_t sa, const float* b, int64_t sb, float* o, int64_t n) {  \
    for (int64_t i = 0; i < n; ++i) {                                                           \
      const float x = a[i * sa], y = b[i * sb];                                                 \
      o[i] = (EXPR);                                                                            \
    }                                                                                           \
  }                                                                                             \
  void NAME##Row(const float* a, int64_t sa, const float* b, int64_t sb, float* o, int64_t n) { \
    if (sa == 1 && sb == 1) NAME##VV(a, b, o, n);                                               \
    else if (sa == 1 && sb == 0) NAME##VS(a, b, o, n);                                         \
    else if (sa == 0 && sb == 1) NAME##SV(a, b, o, n);                                         \
    else NAME##GG(a, sa, b, sb, o, n);                                                          \
  }

BLAZEFL_BINARY_LOOPS(Add, x + y)
BLAZEFL_BINARY_LOOPS(Sub, x - y)
BLAZEFL_BINARY_LOOPS(Mul, x * y)
BLAZEFL_BINARY_LOOPS(Div, x / y)
// The relu gradient, dy * step(x), with x in the second operand: NaN inputs give NaN.
BLAZEFL_BINARY_LOOPS(ReluGrad, x * (y > 0.f ? 1.f : (y != y ? y : 0.f)))
#undef BLAZEFL_BINARY_LOOPS

using RowFn = void (*)(const float*, int64_t, const float*, int64_t, float*, int64_t);

BLAZEFL_SIMD_CLONES
void ReluLoop(const float* x, float* o, int64_t n) {
  for (int64_t i = 0; i < n; ++i) o[i] = x[i] < 0.f ? 0.f : x[i];
}

BLAZEFL_SIMD_CLONES
void StepLoop(const float* x, float* o, int64_t n, float alpha) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    o[i] = v > 0.f ? 1.f : (v != v ? v : alpha);
  }
}

BLAZEFL_SIMD_CLONES
void AccumulateRow(double* acc, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) acc[i] += static_cast<double>(x[i]);
}

BLAZEFL_SIMD_CLONES
void SgdLoop(float* w, const float* g, int64_t n, float lr) {
  for (int64_t i = 0; i < n; ++i) {
    const float step = lr * g[i];
    w[i] = w[i] - step;
  }
}

}  // namespace

void Binary(BinaryOp op, const float* a, const int64_t* as, const float* b, const int64_t* bs,
            float* out, const int64_t* shape) {
  RowFn row = AddRow;
  switch (op) {
    case BinaryOp::kAdd: row = AddRow; break;
    case BinaryOp::kSub: row = SubRow; break;
    case BinaryOp::kMul: row = MulRow; break;
    case BinaryOp::kDiv: row = DivRow; break;
    case BinaryOp::kReluGrad: row = ReluGradRow; break;
  }
  static_assert(kMaxBroadcastRank == 4, "loops below are written for rank 4");
  const int64_t n = shape[3];
  float* o = out;
  for (int64_t i0 = 0; i0 < shape[0]; ++i0) {
    for (int64_t i1 = 0; i1 < shape[1]; ++i1) {
      for (int64_t i2 = 0; i2 < shape[2]; ++i2) {
        const float* pa = a + i0 * as[0] + i1 * as[1] + i2 * as[2];
        const float* pb = b + i0 * bs[0] + i1 * bs[1] + i2 * bs[2];
        row(pa, as[3], pb, bs[3], o, n);
        o += n;
      }
    }
  }
}

void Unary(UnaryOp op, const float* x, float* out, int64_t n, float alpha) {
  if (op == UnaryOp::kRelu) ReluLoop(x, out, n);
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
  double* acc = ThreadScratch<double, kScratchSum>(inner);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) acc[i] = 0.0;
    const float* block = x + o * mid * inner;
    for (int64_t m = 0; m < mid; ++m) AccumulateRow(acc, block + m * inner, inner);
    float* dst = out + o * inner;
    for (int64_t i = 0; i < inner; ++i) dst[i] = static_cast<float>(acc[i]);
  }
}

void SgdUpdate(float* w, const float* g, int64_t n, float lr) { SgdLoop(w, g, n, lr); }

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
