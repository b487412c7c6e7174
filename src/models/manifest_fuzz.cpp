// Fuzz target: the model manifest reader.
#include "veil/core/error.hpp"
#include "veil/models/model_manifest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    veil::ModelManifest::parse(std::string(reinterpret_cast<const char*>(data), size));
  } catch (const veil::Error&) {
  }
  return 0;
}
