#pragma once
// Named trade-offs between speed and thoroughness, so that a user picks one
// word instead of a line-up, a sweep and their interplay. Each profile's
// speed and recall, measured in one run, are in docs/speed.md.
#include "veil/pipeline/anonymizer.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace veil {

enum class Profile {
  // One face model (YuNet), both plate models, int8 where Veil holds a
  // table (YOLOv8), and the fine passes spread over 12 frames: about half
  // the default's time at 1080p; it misses the faces only RetinaFace finds.
  kFast,
  // The default line-up (two models per class), a sweep of 8, int8 where
  // it keeps recall (YOLOv8; Precision::kAuto), float elsewhere.
  kDefault,
  // The default line-up, float, every pass on every frame (sweep 1).
  kThorough,
};

// "fast", "default", "thorough". Throws veil::Error for any other name.
Profile parse_profile(std::string_view name);
std::string_view to_string(Profile profile);
// The profiles' names, in the order above.
std::vector<std::string> profile_names();

// Sets what `profile` decides (the models, the precision, the sweep) on
// `options`, leaving everything else as it is. Callers apply the user's own
// choices afterwards, so that those win.
void apply_profile(Profile profile, AnonymizeOptions& options);

}  // namespace veil
