#pragma once
// The detector families Veil can run (a manifest entry's "family"): the
// class each finds and how to build one. Inside libveil: the analyzer
// builds line-ups from it, and tools/int8_calibrate builds one model to
// measure.
#include "detect/int8_ranges.hpp"
#include "veil/pipeline/frame_analyzer.hpp"

#include <filesystem>
#include <map>
#include <string>

namespace veil {

struct DetectorFamily {
  ObjectClass cls;
  // The detector for a model file, with the user's thresholds from
  // `options` and the network's precision. Throws veil::Error.
  DetectorPtr (*make)(const std::filesystem::path& file, const DetectionOptions& options,
                      const ModelPrecision& precision);
};

// Family name -> family. Thread-safe.
const std::map<std::string, DetectorFamily>& families();

}  // namespace veil
