// Fuzz target: the detections sidecar reader (edited by hand, so outside
// data), and what render asks of it.
#include "veil/core/error.hpp"
#include "veil/sidecar/sidecar.hpp"

#include <filesystem>
#include <sstream>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  try {
    const veil::Sidecar sidecar = veil::Sidecar::parse(in, "fuzz.jsonl");
    for (const auto& [file, media] : sidecar.media()) {
      for (const auto& [index, frame] : media.frames()) media.to_hide(index);
      media.to_hide(-1);
      sidecar.media_for(std::filesystem::path(file).filename().string(), "/x/" + file, "fuzz.jsonl");
    }
  } catch (const veil::Error&) {
    // Refused with a message: what bad input must get.
  }
  return 0;
}
