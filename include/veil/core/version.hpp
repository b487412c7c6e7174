#pragma once
// Veil's version (CMake's project version), as `veil --version` prints it and
// every sidecar's provenance header records it. Any thread may call it.
namespace veil {

const char* version();

}  // namespace veil
