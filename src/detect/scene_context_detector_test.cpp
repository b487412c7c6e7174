// YOLOX-nano as Veil's scene context, with the real model on real footage.
#include "detect/scene_context_detector.hpp"

#include "detect/nms.hpp"

#include "veil/core/error.hpp"
#include "veil/io/frame_source.hpp"
#include "veil/io/media_io.hpp"

#include "test_paths.hpp"

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

namespace veil {
namespace {

namespace fs = std::filesystem;

fs::path model_file() { return test::model_dir() / "yolox" / "yolox_nano.onnx"; }

cv::Mat frame_of(const std::string& clip, int index) {
  std::unique_ptr<FrameSource> source = open_source((test::shared_dir() / "data" / "video" / clip).string());
  Frame f;
  for (int i = 0; i <= index; ++i) {
    if (!source->read(f)) return {};
  }
  return f.image;
}

int count(const Detections& found, ObjectClass cls) {
  return int(std::count_if(found.begin(), found.end(), [&](const Detection& d) { return d.cls == cls; }));
}

// The highway clip: cars ahead, no person anywhere.
TEST(SceneContext, FindsTheCarsAheadAndNoPersonOnTheHighway) {
  SceneContextDetector det(model_file());
  const cv::Mat f = frame_of("CarND-Vehicle-Detection_test_video.mp4", 0);
  ASSERT_FALSE(f.empty());
  Detections found;
  for (Detection& d : det.detect(f)) {
    if (d.score >= 0.5f) found.push_back(d);
  }
  EXPECT_EQ(count(found, ObjectClass::kPerson), 0);
  ASSERT_GE(count(found, ObjectClass::kVehicle), 2);
  // The white car on the right of the first frame (about x 1000-1195, y 407-502).
  const bool white_car = std::any_of(found.begin(), found.end(), [](const Detection& d) {
    return d.cls == ObjectClass::kVehicle && (d.box & cv::Rect2f(1000, 407, 195, 95)).area() > 0.7f * 195 * 95;
  });
  EXPECT_TRUE(white_car);
  for (const Detection& d : found) {
    EXPECT_GE(d.box.x, 0.f);
    EXPECT_LE(d.box.br().x, float(f.cols));
    EXPECT_LE(d.box.br().y, float(f.rows));
  }
}

// The network takes the frame's own shape, rounded up to 32 px (416x256 for
// the 16:9 frame above): a tall crop of the same frame (380x720, so
// 224x416) finds the white car where it is in the crop.
TEST(SceneContext, ATallFrameFindsTheCarWhereItIs) {
  SceneContextDetector det(model_file());
  const cv::Mat f = frame_of("CarND-Vehicle-Detection_test_video.mp4", 0);
  ASSERT_FALSE(f.empty());
  const cv::Rect crop(900, 0, 380, 720);
  const Detections found = det.detect(f(crop).clone());
  const cv::Rect2f car(1000 - crop.x, 407, 195, 95);
  float best = 0.f;
  for (const Detection& d : found) {
    if (d.cls == ObjectClass::kVehicle && d.score >= 0.5f) best = std::max(best, iou(car, d.box));
  }
  EXPECT_GT(best, 0.6f);
}

// A faces-dev crowd: most annotated faces lie in a person box.
TEST(SceneContext, PeopleHoldTheFacesOfAStreetPhoto) {
  SceneContextDetector det(model_file());
  const cv::Mat img = cv::imread((test::shared_dir() / "data/faces-dev/images/maksssksksss0.jpg").string());
  ASSERT_FALSE(img.empty());
  const Detections found = det.detect(img);
  EXPECT_GE(count(found, ObjectClass::kPerson), 3);
  for (const Detection& d : found) EXPECT_TRUE(is_context(d.cls));
}

TEST(SceneContext, RefusesAModelOfAnotherKind) {
  EXPECT_THROW(SceneContextDetector(test::model_dir() / "yolov8-plate" / "license_plate_detector_int8.onnx"), Error);
}

}  // namespace
}  // namespace veil
