// The logistic function over an array, in its own file so that only this
// loop is compiled with -ffast-math (see CMakeLists.txt): that lets GCC
// call glibc's vectorised expf (libmvec), several floats per call, which
// is accurate to a few units in the last place.
#include "veil/detect/fast_layers.hpp"

#include <algorithm>
#include <cmath>

namespace veil {

// Built twice, for AVX2 (8 floats per expf call) and for any x86-64 (4),
// and picked when the program starts.
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target_clones("avx2", "default")))
#endif
void sigmoid(const float* src, float* dst, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    // exp of -|x| only, at most 60: never overflows, and stays on libmvec's
    // fast path (inputs near its limits take a slow scalar one). Beyond 60,
    // sigmoid is 1 to float precision, or below 1e-26.
    const float x = src[i];
    const float e = std::exp(-std::min(std::fabs(x), 60.f));
    const float r = 1.f / (1.f + e);
    dst[i] = x >= 0.f ? r : e * r;
  }
}

}  // namespace veil
