#pragma once
// The hand-off to labelling: a JSON Lines manifest with one
// {"source-ref": "<output>"} per anonymized file, the input format of
// SageMaker Ground Truth labelling jobs (where the anonymized footage goes
// next in the job Veil replaces). `anonymize --manifest` and `watch
// --manifest` write it; a local output is named by its absolute path.
#include "veil/storage/object_store.hpp"

#include <set>
#include <string>
#include <vector>

namespace veil {

// One thread at a time may use it.
class LabellingManifest {
 public:
  // Keeps the lines already at `location` (a path or an s3:// URL), so that
  // a watch restarted, or an anonymize run into the same manifest, adds to
  // it. Throws veil::Error when it exists but cannot be read.
  LabellingManifest(std::string location, StorageOptions storage);

  // Lists `output` (once, however often it is added).
  void add(const std::string& output);
  // Writes the manifest when something was added since the last write:
  // atomically, the whole list. Throws veil::Error.
  void write();

  const std::string& location() const { return location_; }

 private:
  std::string location_;
  StorageOptions storage_;
  std::vector<std::string> lines_;
  std::set<std::string> refs_;
  bool changed_ = false;
};

}  // namespace veil
