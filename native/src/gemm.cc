// Matrix multiplication over OpenBLAS sgemm, with a fused bias + activation epilogue.
#include <cblas.h>

#include <cstdint>

#include "common.h"
#include "kernels.h"

namespace blazefl {

BLAZEFL_SIMD_CLONES
static void BiasActivationImpl(float* y, const float* bias, int64_t rows, int64_t cols, int act) {
  for (int64_t r = 0; r < rows; ++r) {
    float* row = y + r * cols;
    if (bias != nullptr) {
      if (act == 1) {
        for (int64_t j = 0; j < cols; ++j) {
          const float v = row[j] + bias[j];
          row[j] = v < 0.f ? 0.f : v;
        }
      } else {
        for (int64_t j = 0; j < cols; ++j) row[j] += bias[j];
      }
    } else if (act == 1) {
      for (int64_t j = 0; j < cols; ++j) row[j] = row[j] < 0.f ? 0.f : row[j];
    }
  }
}

void BiasActivation(float* y, const float* bias, int64_t rows, int64_t cols, Activation act) {
  if (bias == nullptr && act == Activation::kLinear) return;
  BiasActivationImpl(y, bias, rows, cols, static_cast<int>(act));
}

void BatchMatMul(bool transA, bool transB, int64_t batch, int64_t M, int64_t N, int64_t K,
                 const float* A, int64_t strideA, const float* B, int64_t strideB, float* C,
                 const float* bias, Activation act) {
  const int lda = static_cast<int>(transA ? M : K);
  const int ldb = static_cast<int>(transB ? K : N);
  // Every batch shares B and A is contiguous: one tall sgemm instead of `batch` small ones.
  if (batch > 1 && strideB == 0 && !transA && strideA == M * K && M * batch <= INT32_MAX) {
    M *= batch;
    batch = 1;
  }
  for (int64_t b = 0; b < batch; ++b) {
    float* c = C + b * M * N;
    if (K == 0) {
      for (int64_t i = 0; i < M * N; ++i) c[i] = 0.f;
    } else {
      cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
                  transB ? CblasTrans : CblasNoTrans, static_cast<int>(M), static_cast<int>(N),
                  static_cast<int>(K), 1.f, A + b * strideA, lda, B + b * strideB, ldb, 0.f, c,
                  static_cast<int>(N));
    }
  }
  BiasActivation(C, bias, batch * M, N, act);
}

}  // namespace blazefl
