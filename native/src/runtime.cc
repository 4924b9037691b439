// Process-wide OpenBLAS settings.
#include <cblas.h>

#include "kernels.h"

namespace blazefl {

void SetBlasThreads(int threads) { openblas_set_num_threads(threads < 1 ? 1 : threads); }

const char* BlasCoreName() {
  const char* name = openblas_get_corename();
  return name != nullptr ? name : "unknown";
}

}  // namespace blazefl
