#include "pipeline/object_tally.hpp"

namespace veil {

void ObjectTally::add_frame(const Detections& hidden) {
  if (!hidden.empty()) ++frames_with_objects_;
  for (const Detection& d : hidden) {
    if (d.track_id >= 0) {
      tracks_[d.cls].insert(d.track_id);
    } else {
      ++untracked_[d.cls];
    }
    if (d.predicted) {
      ++tracked_;
    } else {
      ++detected_[d.cls];
    }
  }
}

void ObjectTally::add_to(RunStats& stats) const {
  for (const auto& [cls, ids] : tracks_) stats.objects[cls] += std::int64_t(ids.size());
  for (const auto& [cls, n] : untracked_) stats.objects[cls] += n;
  for (const auto& [cls, n] : detected_) stats.detections[cls] += n;
  stats.tracked += tracked_;
  stats.frames_with_objects += frames_with_objects_;
}

}  // namespace veil
