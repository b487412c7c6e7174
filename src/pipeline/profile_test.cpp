// Profiles: each sets the line-up, the precision and the sweep, and nothing else; a
// user's own choices, applied after, win (the CLI does so).
#include "veil/pipeline/profile.hpp"

#include "veil/core/error.hpp"

#include <gtest/gtest.h>

namespace veil {
namespace {

TEST(Profile, NamesRoundTripAndUnknownOnesAreRefused) {
  for (const std::string& name : profile_names()) EXPECT_EQ(to_string(parse_profile(name)), name);
  EXPECT_THROW(parse_profile("fastest"), Error);
  EXPECT_THROW(parse_profile(""), Error);
}

TEST(Profile, EachSetsItsLineUpAndSweep) {
  AnonymizeOptions o;
  o.redact.mode = RedactMode::kFill;  // not the profile's to change
  apply_profile(Profile::kFast, o);
  EXPECT_EQ(o.detection.face_models, (std::vector<std::string>{"yunet-face"}));
  EXPECT_EQ(o.detection.plate_models, DetectionOptions{}.plate_models);
  EXPECT_EQ(o.detection.precision, Precision::kInt8);
  EXPECT_EQ(o.sweep_frames, 12);
  EXPECT_EQ(o.redact.mode, RedactMode::kFill);
  apply_profile(Profile::kThorough, o);
  EXPECT_EQ(o.detection.face_models, DetectionOptions{}.face_models);
  EXPECT_EQ(o.detection.plate_models, DetectionOptions{}.plate_models);
  EXPECT_EQ(o.sweep_frames, 1);
  EXPECT_EQ(o.detection.precision, Precision::kFloat);
  apply_profile(Profile::kDefault, o);
  EXPECT_EQ(o.sweep_frames, AnonymizeOptions{}.sweep_frames);
  EXPECT_EQ(o.detection.precision, Precision::kAuto);
  EXPECT_EQ(o.detection.face_models.size(), 2u);
}

}  // namespace
}  // namespace veil
