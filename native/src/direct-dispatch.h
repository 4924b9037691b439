// Which direct kernels run, shared by the conv and matmul dispatchers.
#pragma once

#include "direct-conv.h"
#include "kernels.h"

namespace blazefl {

/** The implementation in use now: kAvx512, kAvx2 (direct kernels) or kBlas. */
ConvImpl ActiveImpl();

#if defined(BLAZEFL_HAVE_DIRECT_CONV)
/** Runs the direct forward (indirect GEMM) kernel of `impl` (kAvx512 or kAvx2). */
void RunDirectForward(ConvImpl impl, const DirectConvForwardArgs& args);
/** Runs the direct filter-gradient (transposed-input GEMM) kernel of `impl`. */
void RunDirectFilter(ConvImpl impl, const DirectConvFilterArgs& args);
#endif

/** Counts one call served by the direct kernels (for tests). */
void CountDirectCall();

}  // namespace blazefl
