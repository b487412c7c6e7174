#pragma once
// The list of model files Veil may load: name, file, checksum, licence and
// where to get it. Weights never live in git; this list is the contract.
#include <string>
#include <vector>

namespace veil {

struct ModelEntry {
  std::string name;     // stable id used by the code, e.g. "yunet-face"
  std::string file;     // path relative to a model folder
  std::string sha256;   // lowercase hex
  std::string license;
  // Whether the licence lets anyone use the weights for any purpose,
  // commercial ones included. Veil's defaults use only such models.
  bool commercial_use = false;
  // The detector family that decodes it: "yunet", "hyperlpr3", "yolov8".
  std::string family;
  std::string role;
  std::vector<std::string> sources;  // download URLs, tried in order
};

class ModelManifest {
 public:
  // Parses manifest JSON; throws veil::Error on malformed input.
  static ModelManifest parse(const std::string& json_text);
  // The manifest compiled into this build (models/manifest.json).
  static const ModelManifest& builtin();

  const std::vector<ModelEntry>& entries() const { return entries_; }
  // Throws veil::Error for an unknown name.
  const ModelEntry& find(const std::string& name) const;

 private:
  std::vector<ModelEntry> entries_;
};

}  // namespace veil
