#pragma once
// What a detector reports: one object of a privacy-relevant class in one frame.
#include <opencv2/core.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace veil {

// Faces and plates are what Veil hides. People and vehicles are scene
// context (see DetectionOptions::context): found so that a weak face or
// plate candidate can be judged by what is around it, reported in the
// sidecar, never hidden.
enum class ObjectClass { kFace, kPlate, kPerson, kVehicle };

std::string_view to_string(ObjectClass c);
// Parses "face" / "plate" (the classes Veil hides); returns nullopt for
// anything else, context classes included.
std::optional<ObjectClass> parse_object_class(std::string_view name);
// Parses "person" / "vehicle"; nullopt for anything else.
std::optional<ObjectClass> parse_context_class(std::string_view name);
// Whether objects of this class are scene context rather than something to hide.
inline bool is_context(ObjectClass c) { return c == ObjectClass::kPerson || c == ObjectClass::kVehicle; }

// One model's sighting of an object in one frame (see Detection::found_by).
struct Sighting {
  std::string model;  // its manifest name
  float score = 0.f;
  cv::Rect2f box;
  std::vector<cv::Point2f> corners;  // a plate's outline, when the model gives one
};

struct Detection {
  ObjectClass cls = ObjectClass::kFace;
  float score = 0.f;
  cv::Rect2f box;  // pixels in the frame: x, y, width, height
  // Optional outline that follows the object more closely than `box`
  // (a plate's four corners, clockwise from top-left). Empty when unknown.
  std::vector<cv::Point2f> corners;
  // The model that found it (its manifest name); empty when unknown. When
  // several did, the one with the highest score, whose box, corners and
  // score these are.
  std::string model;
  // When more than one model found the object in this frame (see
  // fuse_models): every model's sighting, `model`'s first. The area hidden
  // is the union of each sighting's mask and `box`'s, so nothing any model
  // covered is left visible. Empty when one model found it.
  std::vector<Sighting> found_by;
  // Set by the tracker; -1 for an untracked detection.
  int track_id = -1;
  bool predicted = false;  // filled in by the tracker, not seen by a detector
};

using Detections = std::vector<Detection>;

}  // namespace veil
