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
  // One model per class (YuNet faces, HyperLPR3 plates) and the fine passes
  // spread over 8 frames. It misses the small US plates that only the
  // YOLOv8 model finds (docs/recall.md, "far plates").
  kFast,
  // The default line-up (two models per class) and a sweep of 4.
  kDefault,
  // The default line-up with every pass on every frame (sweep 1).
  kThorough,
};

// "fast", "default", "thorough". Throws veil::Error for any other name.
Profile parse_profile(std::string_view name);
std::string_view to_string(Profile profile);
// The profiles' names, in the order above.
std::vector<std::string> profile_names();

// Sets what `profile` decides (the face and plate models, the sweep) on
// `options`, leaving everything else as it is. Callers apply the user's own
// choices afterwards, so that those win.
void apply_profile(Profile profile, AnonymizeOptions& options);

}  // namespace veil
