// The YOLOv8 plate family with the real model on real photos.
#include "detect/yolo_plate_detector.hpp"

#include "veil/core/error.hpp"

#include "test_paths.hpp"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

namespace veil {
namespace {

namespace fs = std::filesystem;

fs::path model_file() { return test::model_dir() / "yolov8-plate" / "license_plate_detector_int8.onnx"; }

float tallest(const Detections& found) {
  float h = 0;
  for (const Detection& d : found) h = std::max(h, d.box.height);
  return h;
}

// Its large false plates score low: the score needed rises with the box's
// height. On a faces-dev photo whose caption text it takes for a 187 px
// tall plate (score 0.28, 0.47 of the height), the caption goes; on the plates-dev photos the
// plates stay (the rest of this test suite and veil eval).
TEST(YoloPlate, LargeBoxesNeedHigherScores) {
  const fs::path photo = test::shared_dir() / "data" / "faces-dev" / "images" / "maksssksksss525.jpg";
  if (!fs::exists(model_file()) || !fs::exists(photo)) GTEST_SKIP();
  cv::Mat bgr = cv::imread(photo.string());
  ASSERT_FALSE(bgr.empty());
  PlateOptions flat = YoloPlateDetector::default_options();
  flat.large_threshold = 0.f;
  flat.max_frame_height = 1.f;  // at 0.47 of the photo's height, geometry alone would drop it
  EXPECT_GT(tallest(YoloPlateDetector(model_file(), flat).detect(bgr)), 150.f);
  YoloPlateDetector det(model_file(), YoloPlateDetector::default_options());
  EXPECT_LT(tallest(det.detect(bgr)), 96.f);

  const PlateOptions o = YoloPlateDetector::default_options();
  EXPECT_FLOAT_EQ(det.threshold_for_height(30.f), o.score_threshold);
  EXPECT_FLOAT_EQ(det.threshold_for_height(80.f), (o.score_threshold + o.large_threshold) / 2);
  EXPECT_FLOAT_EQ(det.threshold_for_height(300.f), o.large_threshold);
}

}  // namespace
}  // namespace veil
