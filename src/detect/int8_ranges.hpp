#pragma once
// What running a model in 8-bit integers needs beyond its file: the range
// of values each quantised activation takes, measured once over dev images
// (`veil models calibrate`), checked into models/int8/ and compiled in.
// A table belongs to one model file, named by its sha256: a model whose
// bytes change must be calibrated again (a test checks every table against
// the manifest).
#include "detect/onnx_session.hpp"

#include <map>
#include <mutex>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

namespace veil {

struct ActivationRanges {
  std::string model;   // manifest name
  std::string sha256;  // of the model file measured
  std::string source;  // what it was measured on, in words
  // Whether int8 is used for this model by default (Precision::kAuto):
  // set where recall in int8 was measured to equal float's.
  bool by_default = false;
  // Tensor name -> (lowest, highest) value seen.
  std::map<std::string, std::pair<float, float>> ranges;

  nlohmann::json to_json() const;
  // Throws veil::Error for a table of another shape.
  static ActivationRanges from_json(const nlohmann::json& j);
};

// The compiled-in table of the model file with this sha256; null when that
// file has none (it then runs in float). Thread-safe.
const ActivationRanges* builtin_int8_ranges(const std::string& sha256);
// Every compiled-in table.
const std::vector<ActivationRanges>& builtin_int8_tables();

// Gathers the range of each tensor over many runs. Thread-safe: passes run
// side by side.
class RangeRecorder {
 public:
  void observe(const std::string& tensor, const TensorView& values);
  std::map<std::string, std::pair<float, float>> ranges() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::pair<float, float>> ranges_;
};

// How a detector loads its network: in float, in int8 from `int8`'s ranges,
// or in float while `record` gathers the ranges int8 will need.
struct ModelPrecision {
  const ActivationRanges* int8 = nullptr;
  RangeRecorder* record = nullptr;
};

}  // namespace veil
