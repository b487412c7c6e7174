#include "veil/pipeline/anonymizer.hpp"

namespace veil {

std::int64_t RunStats::boxes() const {
  std::int64_t n = tracked;
  for (const auto& [cls, count] : detections) n += count;
  return n;
}

nlohmann::json RunStats::to_json(const std::set<ObjectClass>& classes) const {
  nlohmann::json objects_json = nlohmann::json::object(), detected_json = nlohmann::json::object();
  for (ObjectClass c : classes) {
    const std::string name(to_string(c));
    objects_json[name] = objects.count(c) ? objects.at(c) : 0;
    detected_json[name] = detections.count(c) ? detections.at(c) : 0;
  }
  return {{"files", files},
          {"frames", frames},
          {"objects", objects_json},
          {"boxes", boxes()},
          {"detected_boxes", detected_json},
          {"tracked_boxes", tracked},
          {"frames_with_objects", frames_with_objects},
          {"seconds", seconds},
          {"footage_seconds", footage_seconds},
          {"outputs", outputs},
          {"failures", failures},
          {"truncated", truncated}};
}

}  // namespace veil
