#include "veil/pipeline/profile.hpp"

#include "veil/core/error.hpp"

namespace veil {

Profile parse_profile(std::string_view name) {
  if (name == "fast") return Profile::kFast;
  if (name == "default") return Profile::kDefault;
  if (name == "thorough") return Profile::kThorough;
  throw Error("unknown profile '" + std::string(name) + "' (expected fast, default or thorough)");
}

std::string_view to_string(Profile profile) {
  switch (profile) {
    case Profile::kFast: return "fast";
    case Profile::kDefault: return "default";
    case Profile::kThorough: return "thorough";
  }
  return "default";
}

std::vector<std::string> profile_names() { return {"fast", "default", "thorough"}; }

void apply_profile(Profile profile, AnonymizeOptions& options) {
  const DetectionOptions defaults;
  options.detection.face_models = defaults.face_models;
  options.detection.plate_models = defaults.plate_models;
  options.detection.precision = defaults.precision;
  options.sweep_frames = AnonymizeOptions{}.sweep_frames;
  if (profile == Profile::kFast) {
    // Sweep 12 keeps the 720p dashcam's far plates in 76/76 frames (16:
    // 69/76) at 3.1x a veryfast transcode at 1080p; without YOLOv8 it hid
    // them in none (docs/speed.md, "Profiles").
    options.detection.face_models = {defaults.face_models.front()};
    options.detection.precision = Precision::kInt8;
    options.sweep_frames = 12;
  } else if (profile == Profile::kThorough) {
    // Every pass on every frame, every network in float.
    options.detection.precision = Precision::kFloat;
    options.sweep_frames = 1;
  }
}

}  // namespace veil
