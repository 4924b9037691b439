// Matrix multiplication over OpenBLAS sgemm, with a fused bias + activation epilogue.
#include <cblas.h>

#include <algorithm>
#include <cstdint>

#include "common.h"
#include "direct-dispatch.h"
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

#if defined(BLAZEFL_HAVE_DIRECT_CONV)
namespace {

/**
 * The direct kernels beat OpenBLAS on the skinny products of small-batch training (one side of
 * 32 rows: OpenBLAS packs the whole other operand for a few rows' worth of work).
 */
constexpr int64_t kSkinny = 96;
/**
 * Largest output of the A^T B path: it writes C in column blocks, which measured slower than
 * OpenBLAS once C outgrows the L2 cache (e.g. a 3136 x 512 weight gradient).
 */
constexpr int64_t kMaxTransposedOutput = int64_t{1} << 19;
/** Reduction block of the NN path: a [kBlock x 64] panel of B stays in L1/L2 across row tiles. */
constexpr int64_t kBlock = 256;

/** C[M, N] (+)= A[M, K] * B[K, N] in reduction blocks (row strides K, N, N). */
void DirectNN(ConvImpl impl, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
              const float* B, int64_t ldb, float* C, int64_t ldc, const float* bias, int act) {
  int64_t* offsets = ThreadScratch<int64_t, kScratchOffsets>(M + 1);
  for (int64_t m = 0; m < M; ++m) offsets[m] = m * lda;
  offsets[M] = 0;  // the single tap
  for (int64_t k0 = 0; k0 < K; k0 += kBlock) {
    const int64_t kb = std::min(kBlock, K - k0);
    const bool last = k0 + kb >= K;
    DirectConvForwardArgs args{A + k0, offsets, offsets + M, M, 1, kb, B + k0 * ldb, N, ldb, C, ldc,
                               last ? bias : nullptr, last ? act : 0, k0 > 0 ? 1 : 0};
    RunDirectForward(impl, args);
  }
}

bool DirectMatMul(bool transA, bool transB, int64_t M, int64_t N, int64_t K, const float* A,
                  const float* B, float* C, const float* bias, Activation act) {
  const ConvImpl impl = ActiveImpl();
  if (impl != ConvImpl::kAvx512 && impl != ConvImpl::kAvx2) return false;
  if (K == 0) return false;
  const int a = static_cast<int>(act);
  if (!transA && !transB && M <= kSkinny) {
    DirectNN(impl, M, N, K, A, K, B, N, C, N, bias, a);
    return true;
  }
  if (!transA && transB && M <= kSkinny) {
    // C = A B^T with B [N, K]: compute C^T[N, M] = B A^T (B's rows are contiguous), then
    // transpose the small result back.
    float* at = ThreadScratch<float, kScratchFilter>(K * M + N * M);
    float* ct = at + K * M;
    for (int64_t m = 0; m < M; ++m)
      for (int64_t k = 0; k < K; ++k) at[k * M + m] = A[m * K + k];
    DirectNN(impl, N, M, K, B, K, at, M, ct, M, nullptr, 0);
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n) C[m * N + n] = ct[n * M + m];
    BiasActivation(C, bias, M, N, act);
    return true;
  }
  if (transA && !transB && K <= kSkinny && M * N <= kMaxTransposedOutput) {
    // C[M, N] = A^T B with A [K, M]: the filter-gradient kernel with "pixels" = K.
    int64_t* offsets = ThreadScratch<int64_t, kScratchOffsets>(K + M);
    for (int64_t k = 0; k < K; ++k) offsets[k] = k * M;
    for (int64_t m = 0; m < M; ++m) offsets[K + m] = m;
    DirectConvFilterArgs args{A, offsets, offsets + K, K, M, B, N, N, C, N};
    RunDirectFilter(impl, args);
    BiasActivation(C, bias, M, N, act);
    return true;
  }
  return false;
}

}  // namespace
#endif

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
#if defined(BLAZEFL_HAVE_DIRECT_CONV)
  bool direct = true;
  for (int64_t b = 0; b < batch && direct; ++b)
    direct = DirectMatMul(transA, transB, M, N, K, A + b * strideA, B + b * strideB, C + b * M * N,
                          bias, act);
  if (direct) {
    CountDirectCall();
    return;
  }
#endif
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
