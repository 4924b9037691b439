// BlazeFL.ts native CPU kernels: plain C++ over OpenBLAS, no N-API in here.
//
// Every tensor is a dense row-major float32 array; NHWC for images, [KH, KW, C, OC] for conv
// filters (the tfjs layouts). Callers (addon.cc) validate shapes and buffer lengths before calling
// in; the kernels themselves clip every spatial index, so padding and borders never read or write
// out of bounds. Scratch memory is thread_local, so one process may run the kernels from several
// worker threads at once.
#pragma once

#include <cstddef>
#include <cstdint>

namespace blazefl {

// ----------------------------------------------------------------------------- matmul
/** Epilogue applied to a matmul or conv output: none, or relu. */
enum class Activation : int { kLinear = 0, kRelu = 1 };

/**
 * C[b] = op(A[b]) * op(B[b]) (+ bias, then activation) for b in [0, batch).
 * A[b] is M x K (K x M when transA), B[b] is K x N (N x K when transB), C[b] is M x N.
 * strideA / strideB are the element offsets between batches; 0 broadcasts one matrix.
 * bias, when not null, has N elements and is added to every row.
 */
void BatchMatMul(bool transA, bool transB, int64_t batch, int64_t M, int64_t N, int64_t K,
                 const float* A, int64_t strideA, const float* B, int64_t strideB, float* C,
                 const float* bias, Activation act);

/** In place: rows x cols matrix y += bias (per column, may be null), then the activation. */
void BiasActivation(float* y, const float* bias, int64_t rows, int64_t cols, Activation act);

// ----------------------------------------------------------------------------- conv
/** Geometry of a 2-D NHWC convolution, as tfjs's computeConv2DInfo gives it. */
struct ConvGeometry {
  int64_t batch, inH, inW, inC;   // input  [batch, inH, inW, inC]
  int64_t kH, kW, outC;           // filter [kH, kW, inC, outC]
  int64_t outH, outW;             // output [batch, outH, outW, outC]
  int64_t strideH, strideW;
  int64_t padTop, padLeft;        // bottom/right padding is implied by outH/outW
  int64_t dilationH, dilationW;
  int64_t patchSize() const { return kH * kW * inC; }
  int64_t outPixels() const { return batch * outH * outW; }
  int64_t inputSize() const { return batch * inH * inW * inC; }
  int64_t filterSize() const { return kH * kW * inC * outC; }
  int64_t outputSize() const { return outPixels() * outC; }
};

/** Which conv implementation runs: auto picks the best the CPU supports. */
enum class ConvImpl : int { kAuto = 0, kBlas = 1, kAvx2 = 2, kAvx512 = 3 };
/** Forces a conv implementation (process-wide); false when the CPU or build lacks it. */
bool SetConvImplementation(ConvImpl impl);
/** The implementation the conv kernels use now: "avx512", "avx2" or "blas". */
const char* ConvImplementationName();
/** How many conv calls the direct kernels served so far (process-wide; for tests). */
int64_t DirectConvCalls();

/** y = conv2d(x, w) (+ bias, activation). */
void Conv2D(const ConvGeometry& g, const float* x, const float* w, float* y, const float* bias,
            Activation act);
/** dx = gradient of conv2d with respect to its input (dilation must be 1). */
void Conv2DBackpropInput(const ConvGeometry& g, const float* dy, const float* w, float* dx);
/** dw = gradient of conv2d with respect to its filter (dilation must be 1). */
void Conv2DBackpropFilter(const ConvGeometry& g, const float* x, const float* dy, float* dw);

// ----------------------------------------------------------------------------- pooling
/** Geometry of a 2-D NHWC max pool (no dilation). */
struct PoolGeometry {
  int64_t batch, inH, inW, channels;
  int64_t kH, kW, outH, outW;
  int64_t strideH, strideW, padTop, padLeft;
  int64_t inputSize() const { return batch * inH * inW * channels; }
  int64_t outputSize() const { return batch * outH * outW * channels; }
};

/** y = maxpool(x); padding never wins (windows skip it), as in tfjs. */
void MaxPool(const PoolGeometry& g, const float* x, float* y);
/** dx = gradient of maxpool: dy goes to the first maximum of each window (tfjs semantics). */
void MaxPoolGrad(const PoolGeometry& g, const float* dy, const float* x, float* dx);

// ----------------------------------------------------------------------------- elementwise
/** Binary operations. */
enum class BinaryOp : int { kAdd = 0, kSub = 1, kMul = 2, kDiv = 3, kReluGrad = 4 };

/** Maximum rank of a broadcast after adjacent dimensions are merged. */
constexpr int kMaxBroadcastRank = 4;

/**
 * out = a (op) b over a broadcast shape of rank kMaxBroadcastRank (leading dims padded with 1).
 * aStrides / bStrides are the element strides of a and b in that shape, 0 where broadcast.
 */
void Binary(BinaryOp op, const float* a, const int64_t* aStrides, const float* b,
            const int64_t* bStrides, float* out, const int64_t* shape);

/** Unary operations. */
enum class UnaryOp : int { kRelu = 0, kStep = 1, kSquare = 2 };

/** out = op(x); Step maps x > 0 to 1, NaN to NaN, the rest to alpha. */
void Unary(UnaryOp op, const float* x, float* out, int64_t n, float alpha);

/** out[o, i] = sum over m of x[o, m, i]; accumulates in double. */
void ReduceSum(const float* x, float* out, int64_t outer, int64_t mid, int64_t inner);

/** Channels-last batch norm: out[p, k] = offset[k] + (x[p, k] - mean[k]) * factor[k] (offset may be null). */
void ChannelAffine(const float* x, const float* mean, const float* factor, const float* offset,
                   float* out, int64_t n, int64_t c);

/** Per channel, in double: s1[k] = sum over p of dy[p, k]; s2[k] = sum of dy[p, k] * (x[p, k] - mean[k]). */
void ChannelSums(const float* dy, const float* x, const float* mean, int64_t n, int64_t c,
                 double* s1, double* s2);

/** out[p, k] = dy[p, k] * factor[k]. */
void ChannelScale(const float* dy, const float* factor, float* out, int64_t n, int64_t c);

/** out[o, m, i] = dy[o, i] * scale: the gradient of a mean over the middle axes. */
void BroadcastMiddle(const float* dy, float* out, int64_t outer, int64_t mid, int64_t inner,
                     float scale);

/**
 * sum[i] = sum[i] + w * x[i] in double, the product then the sum (two roundings, as JavaScript
 * computes it); returns false when some x[i] is NaN or infinite (the sum is then spoilt).
 */
bool WeightedAccumulate(double* sum, const float* x, int64_t n, double w);

/** Whether every x[i] is finite (no NaN, no infinity). */
bool AllFinite(const float* x, int64_t n);

/**
 * out[i] = float(sum[i] / d): the division in double, then one rounding to float (as JavaScript
 * stores a double quotient into a Float32Array).
 */
void DivideToFloat(float* out, const double* sum, int64_t n, double d);

/** In place: w -= lr * g (one SGD step). */
void SgdUpdate(float* w, const float* g, int64_t n, float lr);
/** SGD with weight decay and momentum in place: buf = buf * m + (g + w * decay); w -= buf * lr (buf may be null). */
void SgdMomentumUpdate(float* w, const float* g, float* buf, int64_t n, float lr, float momentum,
                       float decay);

// ----------------------------------------------------------------------------- runtime
/** Sets OpenBLAS's thread count (it is process-wide). */
void SetBlasThreads(int threads);
/** Bytes of im2col scratch the conv kernels aim for per chunk (process-wide). */
void SetConvChunkBytes(int64_t bytes);
int64_t ConvChunkBytes();
/** OpenBLAS's name for the core it picked, e.g. "SkylakeX". */
const char* BlasCoreName();
/** The instruction set the elementwise kernels picked at run time. */
const char* SimdLevel();

}  // namespace blazefl
