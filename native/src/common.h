// Shared helpers of the native kernels: run-time CPU dispatch and per-thread scratch memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

// Hot elementwise loops are compiled for several instruction sets and the best one is picked at
// load time (GCC/Clang function multi-versioning through ifunc). The baseline build stays
// portable: no -march flags are ever passed.
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(BLAZEFL_NO_CLONES)
#define BLAZEFL_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#define BLAZEFL_HAVE_CLONES 1
#else
#define BLAZEFL_SIMD_CLONES
#endif

namespace blazefl {

/**
 * A per-thread growable float buffer. Each worker thread gets its own, so concurrent kernels
 * never share scratch memory. It only grows; its size is bounded by the conv chunk size.
 */
template <int Slot>
inline float* ThreadScratch(int64_t count) {
  static thread_local std::vector<float> buffer;
  if (static_cast<int64_t>(buffer.size()) < count) buffer.resize(static_cast<size_t>(count));
  return buffer.data();
}

/** Per-thread scratch of doubles (accumulators). */
inline double* ThreadScratchDouble(int64_t count) {
  static thread_local std::vector<double> buffer;
  if (static_cast<int64_t>(buffer.size()) < count) buffer.resize(static_cast<size_t>(count));
  return buffer.data();
}

/** Per-thread scratch of int32 (argmax positions). */
inline int32_t* ThreadScratchInt(int64_t count) {
  static thread_local std::vector<int32_t> buffer;
  if (static_cast<int64_t>(buffer.size()) < count) buffer.resize(static_cast<size_t>(count));
  return buffer.data();
}

enum ScratchSlot { kScratchCol = 0, kScratchPool = 1 };

}  // namespace blazefl
