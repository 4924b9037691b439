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
 * A per-thread growable buffer, one per (type, slot). Each worker thread gets its own, so
 * concurrent kernels never share scratch memory. It only grows; the conv paths bound its size.
 */
template <typename T, int Slot>
inline T* ThreadScratch(int64_t count) {
  static thread_local std::vector<T> buffer;
  if (static_cast<int64_t>(buffer.size()) < count) buffer.resize(static_cast<size_t>(count));
  return buffer.data();
}

/** Scratch slots: buffers used at the same time need different slots. */
enum ScratchSlot {
  kScratchCol = 0,      // im2col chunk
  kScratchPool = 1,     // max pool running maxima / argmax
  kScratchPadded = 2,   // zero-padded conv input
  kScratchFilter = 3,   // rearranged filter
  kScratchOffsets = 4,  // pixel / tap offsets
  kScratchSum = 5,      // reduction accumulators
};

}  // namespace blazefl
