#pragma once
// Counts what a run hides in one file: objects (tracks), boxes, and frames
// with any, for RunStats. Shared by anonymize and render so that both count
// alike. One thread at a time.
#include "veil/core/detection.hpp"
#include "veil/pipeline/anonymizer.hpp"

#include <map>
#include <set>

namespace veil {

class ObjectTally {
 public:
  // One frame's boxes, as they are hidden.
  void add_frame(const Detections& hidden);
  // Adds this file's counts to `stats`.
  void add_to(RunStats& stats) const;

 private:
  std::map<ObjectClass, std::set<int>> tracks_;
  std::map<ObjectClass, std::int64_t> untracked_;
  std::map<ObjectClass, std::int64_t> detected_;
  std::int64_t tracked_ = 0;
  std::int64_t frames_with_objects_ = 0;
};

}  // namespace veil
