// N-API bindings of the native kernels. Every entry point validates its arguments (types, ranges
// and buffer lengths against the geometry) before any memory is touched, and throws a JS
// TypeError or RangeError instead of reading or writing out of bounds.
//
// Tensors cross as Float32Arrays without copies; conv and pool geometry crosses as one
// Int32Array so a call allocates nothing on the JS side.
#include <node_api.h>

#include <cstdint>
#include <cstdio>
#include <limits>
#include <mutex>
#include <string>

#include "kernels.h"

namespace {

using blazefl::Activation;
using blazefl::BinaryOp;
using blazefl::ConvGeometry;
using blazefl::PoolGeometry;
using blazefl::UnaryOp;

constexpr int64_t kIntMax = std::numeric_limits<int32_t>::max();
/** No tensor handled here has more elements than this (2^40); keeps int64 products exact. */
constexpr double kMaxElements = 1099511627776.0;

/** Reads and checks the arguments of one call; the first failure throws and sticks. */
class Call {
 public:
  Call(napi_env env, napi_callback_info info, const char* name, size_t expected)
      : env_(env), name_(name) {
    argc_ = kMaxArgs;
    if (napi_get_cb_info(env, info, &argc_, argv_, nullptr, nullptr) != napi_ok) {
      Fail("could not read the arguments");
    } else if (argc_ < expected) {
      Fail("expected " + std::to_string(expected) + " arguments, got " + std::to_string(argc_));
    }
  }

  bool ok() const { return ok_; }

  /** Fails the call with a RangeError unless `condition` holds. */
  void Require(bool condition, const char* message) {
    if (ok_ && !condition) Fail(message);
  }

  /** A Float32Array argument (or null when nullable); *length gets its element count. */
  float* F32(size_t i, const char* what, int64_t* length, bool nullable = false) {
    *length = 0;
    if (!ok_) return nullptr;
    if (nullable && IsNullish(i)) return nullptr;
    napi_typedarray_type type;
    size_t len = 0;
    void* data = nullptr;
    bool isTyped = false;
    if (napi_is_typedarray(env_, argv_[i], &isTyped) != napi_ok || !isTyped ||
        napi_get_typedarray_info(env_, argv_[i], &type, &len, &data, nullptr, nullptr) != napi_ok ||
        type != napi_float32_array) {
      FailType(std::string(what) + " must be a Float32Array");
      return nullptr;
    }
    *length = static_cast<int64_t>(len);
    static float empty = 0.f;
    return data != nullptr ? static_cast<float*>(data) : &empty;
  }

  /**
   * A Float32Array argument with at least `need` elements. `need` is computed in double by the
   * caller, so products of huge dimensions cannot wrap around; they just fail this check.
   */
  float* F32Need(size_t i, const char* what, double need, bool nullable = false) {
    int64_t length = 0;
    float* data = F32(i, what, &length, nullable);
    if (!ok_ || data == nullptr) return data;
    if (!(static_cast<double>(length) >= need)) {
      Fail(std::string(what) + " has " + std::to_string(length) + " elements, needs " +
           std::to_string(static_cast<int64_t>(need)));
      return nullptr;
    }
    return data;
  }

  /** A Float64Array argument with at least `need` elements. */
  double* F64Need(size_t i, const char* what, int64_t need) {
    if (!ok_) return nullptr;
    napi_typedarray_type type;
    size_t len = 0;
    void* data = nullptr;
    bool isTyped = false;
    if (napi_is_typedarray(env_, argv_[i], &isTyped) != napi_ok || !isTyped ||
        napi_get_typedarray_info(env_, argv_[i], &type, &len, &data, nullptr, nullptr) != napi_ok ||
        type != napi_float64_array) {
      FailType(std::string(what) + " must be a Float64Array");
      return nullptr;
    }
    if (static_cast<int64_t>(len) < need) {
      Fail(std::string(what) + " has " + std::to_string(len) + " elements, needs " +
           std::to_string(need));
      return nullptr;
    }
    return static_cast<double*>(data);
  }

  /** An Int32Array argument with exactly `count` elements. */
  const int32_t* I32Exact(size_t i, const char* what, size_t count) {
    if (!ok_) return nullptr;
    napi_typedarray_type type;
    size_t len = 0;
    void* data = nullptr;
    bool isTyped = false;
    if (napi_is_typedarray(env_, argv_[i], &isTyped) != napi_ok || !isTyped ||
        napi_get_typedarray_info(env_, argv_[i], &type, &len, &data, nullptr, nullptr) != napi_ok ||
        type != napi_int32_array) {
      FailType(std::string(what) + " must be an Int32Array");
      return nullptr;
    }
    if (len != count) {
      Fail(std::string(what) + " must have " + std::to_string(count) + " elements, got " +
           std::to_string(len));
      return nullptr;
    }
    return static_cast<const int32_t*>(data);
  }

  /** An integer-valued number in [lo, hi]. */
  int64_t Int(size_t i, const char* what, int64_t lo, int64_t hi) {
    if (!ok_) return lo;
    double v = 0;
    if (napi_get_value_double(env_, argv_[i], &v) != napi_ok) {
      FailType(std::string(what) + " must be a number");
      return lo;
    }
    if (!(v >= static_cast<double>(lo) && v <= static_cast<double>(hi)) ||
        v != static_cast<double>(static_cast<int64_t>(v))) {
      Fail(std::string(what) + " must be an integer in [" + std::to_string(lo) + ", " +
           std::to_string(hi) + "], got " + std::to_string(v));
      return lo;
    }
    return static_cast<int64_t>(v);
  }

  double Num(size_t i, const char* what) {
    if (!ok_) return 0;
    double v = 0;
    if (napi_get_value_double(env_, argv_[i], &v) != napi_ok) FailType(std::string(what) + " must be a number");
    return v;
  }

  bool Bool(size_t i, const char* what) {
    if (!ok_) return false;
    bool v = false;
    if (napi_get_value_bool(env_, argv_[i], &v) != napi_ok) FailType(std::string(what) + " must be a boolean");
    return v;
  }

  /** Checks a condition that involves several arguments. */
  bool Check(bool condition, const std::string& message) {
    if (ok_ && !condition) Fail(message);
    return ok_;
  }

 private:
  static constexpr size_t kMaxArgs = 16;

  bool IsNullish(size_t i) {
    napi_valuetype t;
    if (napi_typeof(env_, argv_[i], &t) != napi_ok) return false;
    return t == napi_null || t == napi_undefined;
  }
  void Fail(const std::string& message) {
    if (!ok_) return;
    ok_ = false;
    napi_throw_range_error(env_, "ERR_BLAZEFL_NATIVE_ARG", (std::string("blazefl native ") + name_ + ": " + message).c_str());
  }
  void FailType(const std::string& message) {
    if (!ok_) return;
    ok_ = false;
    napi_throw_type_error(env_, "ERR_BLAZEFL_NATIVE_ARG", (std::string("blazefl native ") + name_ + ": " + message).c_str());
  }

  napi_env env_;
  const char* name_;
  size_t argc_ = 0;
  napi_value argv_[kMaxArgs] = {};
  bool ok_ = true;
};

Activation ReadActivation(Call& call, size_t i) {
  return static_cast<Activation>(call.Int(i, "activation", 0, 1));
}

/** Conv geometry from an Int32Array of 15 values, checked for sign and size. */
bool ReadConvGeometry(Call& call, size_t i, ConvGeometry* g) {
  const int32_t* v = call.I32Exact(i, "geometry", 15);
  if (v == nullptr) return false;
  *g = ConvGeometry{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14]};
  const bool positive = g->inH >= 1 && g->inW >= 1 && g->inC >= 1 && g->kH >= 1 && g->kW >= 1 &&
                        g->outC >= 1 && g->strideH >= 1 && g->strideW >= 1 && g->dilationH >= 1 &&
                        g->dilationW >= 1;
  const bool nonNegative = g->batch >= 0 && g->outH >= 0 && g->outW >= 0 && g->padTop >= 0 && g->padLeft >= 0;
  if (!call.Check(positive && nonNegative, "geometry has a negative or zero dimension")) return false;
  // Sizes in double first (no wrap-around), then: sgemm takes int dimensions.
  const double pixels = static_cast<double>(g->batch) * g->outH * g->outW;
  const double patch = static_cast<double>(g->kH) * g->kW * g->inC;
  const double input = static_cast<double>(g->batch) * g->inH * g->inW * g->inC;
  return call.Check(pixels <= kIntMax && patch <= kIntMax && input <= kMaxElements &&
                        pixels * g->outC <= kMaxElements && patch * g->outC <= kMaxElements,
                    "geometry is too large for 32-bit BLAS");
}

bool ReadPoolGeometry(Call& call, size_t i, PoolGeometry* g) {
  const int32_t* v = call.I32Exact(i, "geometry", 12);
  if (v == nullptr) return false;
  *g = PoolGeometry{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11]};
  const bool ok = g->batch >= 0 && g->inH >= 1 && g->inW >= 1 && g->channels >= 1 && g->kH >= 1 &&
                  g->kW >= 1 && g->outH >= 0 && g->outW >= 0 && g->strideH >= 1 && g->strideW >= 1 &&
                  g->padTop >= 0 && g->padLeft >= 0;
  if (!call.Check(ok, "geometry has a negative or zero dimension")) return false;
  const double input = static_cast<double>(g->batch) * g->inH * g->inW * g->channels;
  const double output = static_cast<double>(g->batch) * g->outH * g->outW * g->channels;
  return call.Check(static_cast<double>(g->inH) * g->inW <= kIntMax && input <= kMaxElements &&
                        output <= kMaxElements,
                    "geometry is too large");
}

// matMul(transA, transB, batch, M, N, K, a, strideA, b, strideB, out, bias|null, activation)
napi_value MatMul(napi_env env, napi_callback_info info) {
  Call call(env, info, "matMul", 13);
  const bool ta = call.Bool(0, "transA"), tb = call.Bool(1, "transB");
  const int64_t batch = call.Int(2, "batch", 1, kIntMax);
  const int64_t M = call.Int(3, "M", 0, kIntMax), N = call.Int(4, "N", 0, kIntMax), K = call.Int(5, "K", 0, kIntMax);
  const int64_t sa = call.Int(7, "strideA", 0, kIntMax * 8), sb = call.Int(9, "strideB", 0, kIntMax * 8);
  const double db = static_cast<double>(batch);
  const double mk = static_cast<double>(M) * K, kn = static_cast<double>(K) * N, mn = static_cast<double>(M) * N;
  const float* a = call.F32Need(6, "a", (db - 1) * sa + mk);
  const float* b = call.F32Need(8, "b", (db - 1) * sb + kn);
  float* out = call.F32Need(10, "out", db * mn);
  const float* bias = call.F32Need(11, "bias", N, true);
  const Activation act = ReadActivation(call, 12);
  if (!call.Check(sa == 0 || sa >= mk, "strideA overlaps batches") ||
      !call.Check(sb == 0 || sb >= kn, "strideB overlaps batches"))
    return nullptr;
  if (!call.ok()) return nullptr;
  blazefl::BatchMatMul(ta, tb, batch, M, N, K, a, sa, b, sb, out, bias, act);
  return nullptr;
}

// conv2d(geometry, x, w, y, bias|null, activation)
napi_value Conv2D(napi_env env, napi_callback_info info) {
  Call call(env, info, "conv2d", 6);
  ConvGeometry g{};
  if (!ReadConvGeometry(call, 0, &g)) return nullptr;
  const float* x = call.F32Need(1, "x", g.inputSize());
  const float* w = call.F32Need(2, "filter", g.filterSize());
  float* y = call.F32Need(3, "out", g.outputSize());
  const float* bias = call.F32Need(4, "bias", g.outC, true);
  const Activation act = ReadActivation(call, 5);
  if (!call.ok()) return nullptr;
  blazefl::Conv2D(g, x, w, y, bias, act);
  return nullptr;
}

// conv2dBackpropInput(geometry, dy, w, dx)
napi_value Conv2DBackpropInput(napi_env env, napi_callback_info info) {
  Call call(env, info, "conv2dBackpropInput", 4);
  ConvGeometry g{};
  if (!ReadConvGeometry(call, 0, &g)) return nullptr;
  if (!call.Check(g.dilationH == 1 && g.dilationW == 1, "dilation must be 1")) return nullptr;
  const float* dy = call.F32Need(1, "dy", g.outputSize());
  const float* w = call.F32Need(2, "filter", g.filterSize());
  float* dx = call.F32Need(3, "out", g.inputSize());
  if (!call.ok()) return nullptr;
  blazefl::Conv2DBackpropInput(g, dy, w, dx);
  return nullptr;
}

// conv2dBackpropFilter(geometry, x, dy, dw)
napi_value Conv2DBackpropFilter(napi_env env, napi_callback_info info) {
  Call call(env, info, "conv2dBackpropFilter", 4);
  ConvGeometry g{};
  if (!ReadConvGeometry(call, 0, &g)) return nullptr;
  if (!call.Check(g.dilationH == 1 && g.dilationW == 1, "dilation must be 1")) return nullptr;
  const float* x = call.F32Need(1, "x", g.inputSize());
  const float* dy = call.F32Need(2, "dy", g.outputSize());
  float* dw = call.F32Need(3, "out", g.filterSize());
  if (!call.ok()) return nullptr;
  blazefl::Conv2DBackpropFilter(g, x, dy, dw);
  return nullptr;
}

// maxPool(geometry, x, y)
napi_value MaxPool(napi_env env, napi_callback_info info) {
  Call call(env, info, "maxPool", 3);
  PoolGeometry g{};
  if (!ReadPoolGeometry(call, 0, &g)) return nullptr;
  const float* x = call.F32Need(1, "x", g.inputSize());
  float* y = call.F32Need(2, "out", g.outputSize());
  if (!call.ok()) return nullptr;
  blazefl::MaxPool(g, x, y);
  return nullptr;
}

// maxPoolGrad(geometry, dy, x, dx)
napi_value MaxPoolGrad(napi_env env, napi_callback_info info) {
  Call call(env, info, "maxPoolGrad", 4);
  PoolGeometry g{};
  if (!ReadPoolGeometry(call, 0, &g)) return nullptr;
  const float* dy = call.F32Need(1, "dy", g.outputSize());
  const float* x = call.F32Need(2, "x", g.inputSize());
  float* dx = call.F32Need(3, "out", g.inputSize());
  if (!call.ok()) return nullptr;
  blazefl::MaxPoolGrad(g, dy, x, dx);
  return nullptr;
}

/** Largest element offset a strided view touches, plus one (0 for an empty shape). */
double Extent(const int64_t* shape, const int64_t* strides) {
  double last = 0;
  for (int d = 0; d < blazefl::kMaxBroadcastRank; ++d) {
    if (shape[d] == 0) return 0;
    last += static_cast<double>(shape[d] - 1) * static_cast<double>(strides[d]);
  }
  return last + 1;
}

// binary(op, a, b, out, geometry Int32Array[12]: shape[4], aStrides[4], bStrides[4])
napi_value Binary(napi_env env, napi_callback_info info) {
  Call call(env, info, "binary", 5);
  const int64_t op = call.Int(0, "op", 0, 4);
  const int32_t* v = call.I32Exact(4, "geometry", 12);
  if (v == nullptr) return nullptr;
  int64_t shape[4], as[4], bs[4];
  double total = 1;
  bool sane = true;
  for (int d = 0; d < 4; ++d) {
    shape[d] = v[d];
    as[d] = v[4 + d];
    bs[d] = v[8 + d];
    sane = sane && shape[d] >= 0 && as[d] >= 0 && bs[d] >= 0;
    total *= static_cast<double>(shape[d]);
  }
  if (!call.Check(sane, "geometry has a negative entry")) return nullptr;
  if (!call.Check(total <= kMaxElements, "shape is too large")) return nullptr;
  const float* a = call.F32Need(1, "a", Extent(shape, as));
  const float* b = call.F32Need(2, "b", Extent(shape, bs));
  float* out = call.F32Need(3, "out", total);
  if (!call.ok() || total == 0) return nullptr;
  blazefl::Binary(static_cast<BinaryOp>(op), a, as, b, bs, out, shape);
  return nullptr;
}

// unary(op, x, out, alpha)
napi_value Unary(napi_env env, napi_callback_info info) {
  Call call(env, info, "unary", 4);
  const int64_t op = call.Int(0, "op", 0, 2);
  int64_t n = 0;
  const float* x = call.F32(1, "x", &n);
  float* out = call.F32Need(2, "out", n);
  const float alpha = static_cast<float>(call.Num(3, "alpha"));
  if (!call.ok()) return nullptr;
  blazefl::Unary(static_cast<UnaryOp>(op), x, out, n, alpha);
  return nullptr;
}

// reduceSum(x, out, outer, mid, inner)
napi_value ReduceSum(napi_env env, napi_callback_info info) {
  Call call(env, info, "reduceSum", 5);
  const int64_t outer = call.Int(2, "outer", 0, INT64_C(1) << 40);
  const int64_t mid = call.Int(3, "mid", 0, INT64_C(1) << 40);
  const int64_t inner = call.Int(4, "inner", 1, INT64_C(1) << 40);
  const float* x = call.F32Need(0, "x", static_cast<double>(outer) * mid * inner);
  float* out = call.F32Need(1, "out", static_cast<double>(outer) * inner);
  if (!call.ok()) return nullptr;
  blazefl::ReduceSum(x, out, outer, mid, inner);
  return nullptr;
}

// weightedAccumulate(sum, x, w): sum += w * x in double; false when x holds NaN or infinity
napi_value WeightedAccumulate(napi_env env, napi_callback_info info) {
  Call call(env, info, "weightedAccumulate", 3);
  int64_t n = 0;
  const float* x = call.F32(1, "x", &n);
  double* sum = call.F64Need(0, "sum", n);
  const double w = call.Num(2, "weight");
  if (!call.ok()) return nullptr;
  napi_value result;
  napi_get_boolean(env, blazefl::WeightedAccumulate(sum, x, n, w), &result);
  return result;
}

// divideToFloat(out, sum, d): out = float(sum / d), the division in double
napi_value DivideToFloat(napi_env env, napi_callback_info info) {
  Call call(env, info, "divideToFloat", 3);
  int64_t n = 0;
  float* out = call.F32(0, "out", &n);
  const double* sum = call.F64Need(1, "sum", n);
  const double d = call.Num(2, "divisor");
  if (!call.ok()) return nullptr;
  blazefl::DivideToFloat(out, sum, n, d);
  return nullptr;
}

// allFinite(x): whether x holds no NaN and no infinity
napi_value AllFinite(napi_env env, napi_callback_info info) {
  Call call(env, info, "allFinite", 1);
  int64_t n = 0;
  const float* x = call.F32(0, "x", &n);
  if (!call.ok()) return nullptr;
  napi_value result;
  napi_get_boolean(env, blazefl::AllFinite(x, n), &result);
  return result;
}

// sgdUpdate(w, g, lr): w -= lr * g in place
napi_value SgdUpdate(napi_env env, napi_callback_info info) {
  Call call(env, info, "sgdUpdate", 3);
  int64_t n = 0;
  float* w = call.F32(0, "weights", &n);
  const float* g = call.F32Need(1, "gradient", n);
  const float lr = static_cast<float>(call.Num(2, "learningRate"));
  if (!call.ok()) return nullptr;
  blazefl::SgdUpdate(w, g, n, lr);
  return nullptr;
}

// sgdMomentumUpdate(w, g, buf, lr, momentum, decay): SGD with momentum and decay in place;
// buf is a Float32Array (updated in place) or null (no momentum)
napi_value SgdMomentumUpdate(napi_env env, napi_callback_info info) {
  Call call(env, info, "sgdMomentumUpdate", 6);
  int64_t n = 0;
  float* w = call.F32(0, "weights", &n);
  const float* g = call.F32Need(1, "gradient", static_cast<double>(n));
  float* buf = call.F32Need(2, "buffer", static_cast<double>(n), true);
  const float lr = static_cast<float>(call.Num(3, "learningRate"));
  const float momentum = static_cast<float>(call.Num(4, "momentum"));
  const float decay = static_cast<float>(call.Num(5, "weightDecay"));
  if (!call.ok()) return nullptr;
  blazefl::SgdMomentumUpdate(w, g, buf, n, lr, momentum, decay);
  return nullptr;
}

// channelAffine(x, mean, factor, offset | null, out): channels-last batch norm forward
napi_value ChannelAffine(napi_env env, napi_callback_info info) {
  Call call(env, info, "channelAffine", 5);
  int64_t n = 0, c = 0;
  const float* x = call.F32(0, "x", &n);
  const float* mean = call.F32(1, "mean", &c);
  const float* factor = call.F32Need(2, "factor", static_cast<double>(c));
  const float* offset = call.F32Need(3, "offset", static_cast<double>(c), true);
  float* out = call.F32Need(4, "out", static_cast<double>(n));
  call.Require(c > 0 && n % c == 0, "x's size is not a multiple of the channels");
  if (!call.ok()) return nullptr;
  blazefl::ChannelAffine(x, mean, factor, offset, out, n, c);
  return nullptr;
}

// channelSums(dy, x, mean, s1, s2): per-channel sums of dy and dy * (x - mean), in double
napi_value ChannelSums(napi_env env, napi_callback_info info) {
  Call call(env, info, "channelSums", 5);
  int64_t n = 0, c = 0;
  const float* dy = call.F32(0, "dy", &n);
  const float* x = call.F32Need(1, "x", static_cast<double>(n));
  const float* mean = call.F32(2, "mean", &c);
  double* s1 = call.F64Need(3, "s1", c);
  double* s2 = call.F64Need(4, "s2", c);
  call.Require(c > 0 && n % c == 0, "dy's size is not a multiple of the channels");
  if (!call.ok()) return nullptr;
  blazefl::ChannelSums(dy, x, mean, n, c, s1, s2);
  return nullptr;
}

// channelScale(dy, factor, out): out = dy * factor per channel (channels last)
napi_value ChannelScale(napi_env env, napi_callback_info info) {
  Call call(env, info, "channelScale", 3);
  int64_t n = 0, c = 0;
  const float* dy = call.F32(0, "dy", &n);
  const float* factor = call.F32(1, "factor", &c);
  float* out = call.F32Need(2, "out", static_cast<double>(n));
  call.Require(c > 0 && n % c == 0, "dy's size is not a multiple of the channels");
  if (!call.ok()) return nullptr;
  blazefl::ChannelScale(dy, factor, out, n, c);
  return nullptr;
}

// broadcastMiddle(dy, out, outer, mid, inner, scale)
napi_value BroadcastMiddle(napi_env env, napi_callback_info info) {
  Call call(env, info, "broadcastMiddle", 6);
  const int64_t outer = call.Int(2, "outer", 0, std::numeric_limits<int32_t>::max());
  const int64_t mid = call.Int(3, "mid", 0, std::numeric_limits<int32_t>::max());
  const int64_t inner = call.Int(4, "inner", 0, std::numeric_limits<int32_t>::max());
  const float* dy = call.F32Need(0, "dy", static_cast<double>(outer) * static_cast<double>(inner));
  float* out = call.F32Need(1, "out", static_cast<double>(outer) * mid * inner);
  const float scale = static_cast<float>(call.Num(5, "scale"));
  if (!call.ok()) return nullptr;
  blazefl::BroadcastMiddle(dy, out, outer, mid, inner, scale);
  return nullptr;
}

// setConvChunkBytes(bytes)
napi_value SetConvChunkBytes(napi_env env, napi_callback_info info) {
  Call call(env, info, "setConvChunkBytes", 1);
  const int64_t bytes = call.Int(0, "bytes", 4096, INT64_C(1) << 34);
  if (call.ok()) blazefl::SetConvChunkBytes(bytes);
  return nullptr;
}

// setKernelImplementation(name): "auto" | "blas" | "avx2" | "avx512"; false when unsupported here
napi_value SetConvImplementation(napi_env env, napi_callback_info info) {
  Call call(env, info, "setKernelImplementation", 1);
  if (!call.ok()) return nullptr;
  char name[16] = {0};
  size_t length = 0;
  napi_value argv[1];
  size_t argc = 1;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (napi_get_value_string_utf8(env, argv[0], name, sizeof(name), &length) != napi_ok) {
    napi_throw_type_error(env, "ERR_BLAZEFL_NATIVE_ARG", "blazefl native setKernelImplementation: name must be a string");
    return nullptr;
  }
  const std::string which(name, length);
  blazefl::ConvImpl impl;
  if (which == "auto") impl = blazefl::ConvImpl::kAuto;
  else if (which == "blas") impl = blazefl::ConvImpl::kBlas;
  else if (which == "avx2") impl = blazefl::ConvImpl::kAvx2;
  else if (which == "avx512") impl = blazefl::ConvImpl::kAvx512;
  else {
    napi_throw_range_error(env, "ERR_BLAZEFL_NATIVE_ARG", "blazefl native setKernelImplementation: name must be auto, blas, avx2 or avx512");
    return nullptr;
  }
  napi_value result;
  napi_get_boolean(env, blazefl::SetConvImplementation(impl), &result);
  return result;
}

// setBlasThreads(n)
napi_value SetBlasThreads(napi_env env, napi_callback_info info) {
  Call call(env, info, "setBlasThreads", 1);
  const int64_t n = call.Int(0, "threads", 1, 1024);
  if (call.ok()) blazefl::SetBlasThreads(static_cast<int>(n));
  return nullptr;
}

napi_value SetString(napi_env env, napi_value obj, const char* key, const char* value) {
  napi_value v;
  napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, key, v);
  return obj;
}

// info(): { abi, blasCore, simd, kernelImpl, convChunkBytes, directCalls }
napi_value Info(napi_env env, napi_callback_info) {
  napi_value obj;
  napi_create_object(env, &obj);
  napi_value abi;
  napi_create_int32(env, BLAZEFL_NATIVE_ABI, &abi);
  napi_set_named_property(env, obj, "abi", abi);
  SetString(env, obj, "blasCore", blazefl::BlasCoreName());
  SetString(env, obj, "simd", blazefl::SimdLevel());
  SetString(env, obj, "kernelImpl", blazefl::ConvImplementationName());
  napi_value chunk;
  napi_create_double(env, static_cast<double>(blazefl::ConvChunkBytes()), &chunk);
  napi_set_named_property(env, obj, "convChunkBytes", chunk);
  napi_value direct;
  napi_create_double(env, static_cast<double>(blazefl::DirectConvCalls()), &direct);
  napi_set_named_property(env, obj, "directCalls", direct);
  return obj;
}

std::once_flag g_blas_once;

}  // namespace

NAPI_MODULE_INIT() {
  // One BLAS thread: parallelism comes from one engine per worker thread or process.
  std::call_once(g_blas_once, [] { blazefl::SetBlasThreads(1); });
  const napi_property_descriptor fns[] = {
      {"matMul", nullptr, MatMul, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"conv2d", nullptr, Conv2D, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"conv2dBackpropInput", nullptr, Conv2DBackpropInput, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"conv2dBackpropFilter", nullptr, Conv2DBackpropFilter, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"maxPool", nullptr, MaxPool, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"maxPoolGrad", nullptr, MaxPoolGrad, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"binary", nullptr, Binary, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"unary", nullptr, Unary, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"reduceSum", nullptr, ReduceSum, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"weightedAccumulate", nullptr, WeightedAccumulate, nullptr, nullptr, nullptr, napi_enumerable,
       nullptr},
      {"allFinite", nullptr, AllFinite, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"divideToFloat", nullptr, DivideToFloat, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"sgdUpdate", nullptr, SgdUpdate, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"sgdMomentumUpdate", nullptr, SgdMomentumUpdate, nullptr, nullptr, nullptr, napi_enumerable,
       nullptr},
      {"channelAffine", nullptr, ChannelAffine, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"channelSums", nullptr, ChannelSums, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"channelScale", nullptr, ChannelScale, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"broadcastMiddle", nullptr, BroadcastMiddle, nullptr, nullptr, nullptr, napi_enumerable,
       nullptr},
      {"setConvChunkBytes", nullptr, SetConvChunkBytes, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setKernelImplementation", nullptr, SetConvImplementation, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setBlasThreads", nullptr, SetBlasThreads, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof(fns) / sizeof(fns[0]), fns);
  return exports;
}
