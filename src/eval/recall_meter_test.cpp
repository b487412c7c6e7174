#include "veil/eval/recall_meter.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace veil {
namespace {

GroundTruthBox face(float x, float y, float w, float h, int id = -1) {
  return {ObjectClass::kFace, cv::Rect2f(x, y, w, h), id};
}

TEST(RecallMeter, ABoxIsHiddenWhenSeventyPercentIsMasked) {
  cv::Mat img(100, 100, CV_8UC3, cv::Scalar(90, 90, 90));
  cv::Mat mask = cv::Mat::zeros(img.size(), CV_8U);
  mask(cv::Rect(10, 10, 20, 14)).setTo(255);  // 70% of a 20x20 box
  mask(cv::Rect(50, 50, 20, 13)).setTo(255);  // 65%
  RecallMeter m;
  m.add(img, mask, {}, {face(10, 10, 20, 20), face(50, 50, 20, 20)});
  RecallReport r = m.report();
  EXPECT_EQ(r.classes[ObjectClass::kFace].hidden_from(10).hit, 1);
  EXPECT_EQ(r.classes[ObjectClass::kFace].hidden_from(10).total, 2);
}

TEST(RecallMeter, ListsEachMissedBoxWithHowMuchWasHiddenAndTheNearestDetection) {
  cv::Mat img(100, 100, CV_8UC3, cv::Scalar(90, 90, 90));
  cv::Mat mask = cv::Mat::zeros(img.size(), CV_8U);
  mask(cv::Rect(10, 10, 20, 14)).setTo(255);  // hidden (70%)
  mask(cv::Rect(50, 50, 20, 10)).setTo(255);  // half hidden: a leak
  Detection found{ObjectClass::kFace, 0.9f, cv::Rect2f(50, 50, 20, 10)};
  RecallMeter m;
  m.add(img, mask, {found}, {face(10, 10, 20, 20), face(50, 50, 20, 20), face(80, 5, 8, 8)}, "street");
  RecallReport r = m.report();
  ASSERT_EQ(r.missed.size(), 2u);  // the half-hidden face and the unseen small one
  EXPECT_EQ(r.missed[0].where, "street");
  EXPECT_EQ(r.missed[0].box, cv::Rect2f(50, 50, 20, 20));
  EXPECT_NEAR(r.missed[0].hidden_share, 0.5, 1e-9);
  EXPECT_NEAR(r.missed[0].best_iou, 0.5, 1e-6);
  EXPECT_EQ(r.missed[1].best_iou, 0.0);
  nlohmann::json j = r.to_json(10);  // lists only boxes >= 10 px, like the headline
  ASSERT_EQ(j["missed"].size(), 1u);
  EXPECT_EQ(j["missed"][0]["where"], "street");
  EXPECT_EQ(j["missed"][0]["class"], "face");
}

// An object several models found boxes it with each model's box: the
// detection-style recall counts the best of them.
TEST(RecallMeter, IoU50CountsTheBestBoxOfAFusedObject) {
  cv::Mat img(100, 100, CV_8UC3, cv::Scalar(90, 90, 90));
  cv::Mat mask = cv::Mat::zeros(img.size(), CV_8U);
  Detection fused{ObjectClass::kFace, 0.9f, cv::Rect2f(40, 40, 40, 40)};  // IoU 0.25 with the face
  fused.found_by = {{"retinaface-face", 0.9f, fused.box, {}}, {"yunet-face", 0.8f, cv::Rect2f(41, 41, 20, 20), {}}};
  RecallMeter m;
  m.add(img, mask, {fused}, {face(40, 40, 20, 20)});
  EXPECT_EQ(m.report().classes[ObjectClass::kFace].iou50_from(0).hit, 1);
}

TEST(RecallMeter, PixelsAlreadyOfTheFillColourDoNotCountAsHidden) {
  cv::Mat img(50, 50, CV_8UC3, cv::Scalar(0, 0, 0));  // a black input cannot show a black fill
  cv::Mat mask(img.size(), CV_8U, cv::Scalar(255));
  RecallMeter m;
  m.add(img, mask, {}, {face(10, 10, 20, 20)});
  EXPECT_EQ(m.report().classes[ObjectClass::kFace].hidden_from(0).hit, 0);
  EXPECT_EQ(m.report().hidden_outside_gt, 0);
}

TEST(RecallMeter, AreaOutsideGrownTruthAndFalseDetections) {
  cv::Mat img(100, 100, CV_8UC3, cv::Scalar(90, 90, 90));
  cv::Mat mask = cv::Mat::zeros(img.size(), CV_8U);
  mask(cv::Rect(40, 40, 20, 20)).setTo(255);  // exactly the box: nothing outside
  mask(cv::Rect(0, 0, 10, 10)).setTo(255);    // 1% of the image, far from it
  Detection near{ObjectClass::kFace, 0.9f, cv::Rect2f(41, 41, 20, 20)};
  Detection far{ObjectClass::kFace, 0.6f, cv::Rect2f(0, 0, 10, 10)};
  RecallMeter m;
  m.add(img, mask, {near, far}, {face(40, 40, 20, 20)});
  RecallReport r = m.report();
  EXPECT_NEAR(r.hidden_outside_gt, 0.01, 1e-9);
  EXPECT_EQ(r.classes[ObjectClass::kFace].false_detections, 1);
  EXPECT_EQ(r.classes[ObjectClass::kFace].iou50_from(0).hit, 1);
}

TEST(RecallMeter, CountsFlickerLeaksPerObject) {
  cv::Mat img(60, 60, CV_8UC3, cv::Scalar(90, 90, 90));
  cv::Mat on(img.size(), CV_8U, cv::Scalar(255)), off = cv::Mat::zeros(img.size(), CV_8U);
  RecallMeter m;
  // Object 1: hidden, missed, missed, hidden, missed (end): one leak.
  // Object 2: missed, hidden: not a leak (first detection is late, not flicker).
  const bool pattern1[] = {true, false, false, true, false};
  const bool pattern2[] = {false, true, true, true, true};
  for (int i = 0; i < 5; ++i) {
    m.add(img, pattern1[i] ? on : off, {}, {face(5, 5, 20, 20, 1)});
    m.add(img, pattern2[i] ? on : off, {}, {face(30, 30, 20, 20, 2)});
  }
  RecallReport r = m.report();
  EXPECT_EQ(r.flicker_leaks, 1);
  EXPECT_EQ(r.object_frames_hidden.hit, 6);
  EXPECT_EQ(r.object_frames_hidden.total, 10);
  EXPECT_EQ(r.to_json(10)["video"]["flicker_leaks"], 1);
}

TEST(RecallMeter, HeightBinsMatchCoveragePy) {
  EXPECT_EQ(height_bin(9.99f), 0);
  EXPECT_EQ(height_bin(10), 1);
  EXPECT_EQ(height_bin(31.9f), 2);
  EXPECT_EQ(height_bin(32), 3);
  EXPECT_EQ(height_bin(64), 4);
  EXPECT_EQ(height_bin(4000), 4);
}

}  // namespace
}  // namespace veil
