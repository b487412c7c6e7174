// The support rule on made-up boxes: which weak candidates stay.
#include "detect/support_rule.hpp"

#include <gtest/gtest.h>

namespace veil {
namespace {

Detection box(ObjectClass cls, float score, cv::Rect2f b, std::string model = "m1") {
  Detection d;
  d.cls = cls;
  d.score = score;
  d.box = b;
  d.model = std::move(model);
  return d;
}

const SupportOptions kRule;  // face_below 0.7, plate_below 0.75
const Detection kPerson = box(ObjectClass::kPerson, 0.8f, {100, 100, 100, 300}, "yolox-nano");
const Detection kCar = box(ObjectClass::kVehicle, 0.8f, {400, 300, 200, 120}, "yolox-nano");

TEST(SupportRule, StrongCandidatesNeedNothing) {
  EXPECT_EQ(support_for(box(ObjectClass::kFace, 0.7f, {700, 10, 20, 24}), {}, {}, {}, kRule), Support::kStrong);
  EXPECT_EQ(support_for(box(ObjectClass::kPlate, 0.75f, {700, 10, 40, 12}), {}, {}, {}, kRule), Support::kStrong);
}

TEST(SupportRule, AWeakFaceNeedsAPersonOrVehicleAroundIt) {
  const Detection head = box(ObjectClass::kFace, 0.4f, {130, 80, 30, 36});  // above the box, inside the grown one
  EXPECT_EQ(support_for(head, {kPerson}, {}, {}, kRule), Support::kContext);
  const Detection driver = box(ObjectClass::kFace, 0.4f, {450, 320, 20, 24});
  EXPECT_EQ(support_for(driver, {kCar}, {}, {}, kRule), Support::kContext);
  const Detection leaves = box(ObjectClass::kFace, 0.69f, {700, 10, 20, 24});
  EXPECT_EQ(support_for(leaves, {kPerson, kCar}, {}, {}, kRule), Support::kNone);
  // Half of it must lie inside the grown box.
  const Detection beside_person = box(ObjectClass::kFace, 0.4f, {215, 200, 30, 30});
  EXPECT_EQ(support_for(beside_person, {kPerson}, {}, {}, kRule), Support::kNone);
}

TEST(SupportRule, AWeakPlateNeedsAVehicleNotAPerson) {
  const Detection plate = box(ObjectClass::kPlate, 0.3f, {480, 390, 40, 12});
  EXPECT_EQ(support_for(plate, {kCar}, {}, {}, kRule), Support::kContext);
  const Detection tape = box(ObjectClass::kPlate, 0.6f, {120, 200, 60, 20});
  EXPECT_EQ(support_for(tape, {kPerson}, {}, {}, kRule), Support::kNone);
}

TEST(SupportRule, ASecondModelOrATrackSupportsAWeakCandidate) {
  Detection both = box(ObjectClass::kFace, 0.35f, {700, 10, 20, 24}, "yunet-face");
  both.found_by = {{"yunet-face", 0.35f, both.box, {}}, {"retinaface-face", 0.3f, both.box, {}}};
  EXPECT_EQ(support_for(both, {}, {}, {}, kRule), Support::kSecondModel);
  // A model's second box on one object is not a second opinion.
  Detection twice = both;
  twice.found_by[1].model = "yunet-face";
  EXPECT_EQ(support_for(twice, {}, {}, {}, kRule), Support::kNone);

  const Detection weak = box(ObjectClass::kFace, 0.35f, {700, 10, 20, 24});
  Detection predicted = box(ObjectClass::kFace, 0.9f, {703, 12, 20, 24});
  predicted.predicted = true;
  EXPECT_EQ(support_for(weak, {}, {}, {predicted}, kRule), Support::kTrack);
  predicted.cls = ObjectClass::kPlate;
  EXPECT_EQ(support_for(weak, {}, {}, {predicted}, kRule), Support::kNone);
}

TEST(SupportRule, AWeakFaceBesideAConfirmedFaceOfItsSizeIsInACrowd) {
  const Detection back_row = box(ObjectClass::kFace, 0.4f, {300, 50, 10, 12});
  const Detection neighbour = box(ObjectClass::kFace, 0.95f, {325, 52, 11, 13});  // 2.1 heights away
  EXPECT_EQ(support_for(back_row, {}, {neighbour}, {}, kRule), Support::kCrowd);
  const Detection far_off = box(ObjectClass::kFace, 0.95f, {360, 52, 11, 13});  // 5 heights away
  EXPECT_EQ(support_for(back_row, {}, {far_off}, {}, kRule), Support::kNone);
  const Detection big = box(ObjectClass::kFace, 0.95f, {315, 40, 30, 36});  // 3x its size
  EXPECT_EQ(support_for(back_row, {}, {big}, {}, kRule), Support::kNone);
  SupportOptions no_crowds = kRule;
  no_crowds.crowd_distance = 0.f;
  EXPECT_EQ(support_for(back_row, {}, {neighbour}, {}, no_crowds), Support::kNone);
}

TEST(SupportRule, KeepSupportedDropsOnlyTheUnsupported) {
  Detections found = {box(ObjectClass::kFace, 0.95f, {325, 52, 11, 13}),  // confirmed
                      box(ObjectClass::kFace, 0.4f, {300, 50, 10, 12}),   // in its crowd
                      box(ObjectClass::kFace, 0.5f, {700, 400, 20, 24}),  // alone: dropped
                      box(ObjectClass::kPlate, 0.3f, {480, 390, 40, 12}), // on the car
                      box(ObjectClass::kPlate, 0.3f, {20, 600, 40, 12})}; // on nothing: dropped
  const Detections kept = keep_supported(found, {kPerson, kCar}, {}, kRule);
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_FLOAT_EQ(kept[0].score, 0.95f);
  EXPECT_FLOAT_EQ(kept[1].box.x, 300.f);
  EXPECT_EQ(kept[2].cls, ObjectClass::kPlate);
  EXPECT_FLOAT_EQ(kept[2].box.x, 480.f);
}

}  // namespace
}  // namespace veil
