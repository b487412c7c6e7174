#include "veil/core/version.hpp"

namespace veil {

const char* version() { return VEIL_VERSION; }

}  // namespace veil
