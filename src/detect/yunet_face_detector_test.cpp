// Runs the real YuNet model on real photos from shared/data/faces-dev.
#include "detect/yunet_face_detector.hpp"

#include "veil/core/error.hpp"
#include "detect/nms.hpp"

#include "test_paths.hpp"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <fstream>

namespace veil {
namespace {

namespace fs = std::filesystem;

fs::path model_file() { return test::model_dir() / "yunet" / "face_detection_yunet_2023mar.onnx"; }
fs::path faces_dir() { return test::shared_dir() / "data" / "faces-dev"; }

class YuNetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(model_file())) GTEST_SKIP() << "no model at " << model_file();
  }
};

TEST(YuNetLoad, MissingModelThrows) {
  EXPECT_THROW(YuNetFaceDetector("/nonexistent/yunet.onnx", FaceOptions{}), Error);
}

TEST(YuNetLoad, CorruptModelThrows) {
  fs::path dir = test::make_temp_dir("yunet");
  fs::path bad = dir / "face.onnx";
  std::ofstream(bad) << "this is not an onnx file";
  EXPECT_THROW(YuNetFaceDetector(bad, FaceOptions{}), Error);
  std::ofstream(bad, std::ios::trunc).close();  // empty file
  EXPECT_THROW(YuNetFaceDetector(bad, FaceOptions{}), Error);
  fs::remove_all(dir);
}

TEST(YuNetLoad, ForeignModelThrows) {
  fs::path plate = test::model_dir() / "hyperlpr3" / "y5fu_320x_sim.onnx";
  if (!fs::exists(plate)) GTEST_SKIP();
  EXPECT_THROW(YuNetFaceDetector(plate, FaceOptions{}), Error);
}

TEST_F(YuNetTest, BadOptionsThrow) {
  FaceOptions o;
  o.scales = {};
  EXPECT_THROW(YuNetFaceDetector(model_file(), o), Error);
  o.scales = {1.f, 0.f};
  EXPECT_THROW(YuNetFaceDetector(model_file(), o), Error);
}

TEST_F(YuNetTest, BlankImageHasNoFaces) {
  YuNetFaceDetector det(model_file(), FaceOptions{});
  EXPECT_TRUE(det.detect(cv::Mat(480, 640, CV_8UC3, cv::Scalar::all(128))).empty());
  EXPECT_TRUE(det.detect(cv::Mat(37, 53, CV_8UC3, cv::Scalar::all(128))).empty());
}

TEST_F(YuNetTest, EmptyOrOddImageThrows) {
  YuNetFaceDetector det(model_file(), FaceOptions{});
  EXPECT_THROW(det.detect(cv::Mat()), Error);
  EXPECT_THROW(det.detect(cv::Mat(64, 64, CV_32FC3, cv::Scalar::all(0))), Error);
}

TEST_F(YuNetTest, PassScalesRespectPixelCap) {
  FaceOptions o;
  o.scales = {2.f, 1.f};
  o.every_frame_pixels = 0;  // the cap alone (the ladder: below)
  YuNetFaceDetector det(model_file(), o);
  EXPECT_EQ(det.pass_scales({400, 300}), (std::vector<float>{1.f, 2.f}));
  o.max_pass_pixels = 1280.0 * 720 * 2.25;  // 1.5x of a 720p frame
  YuNetFaceDetector capped(model_file(), o);
  std::vector<float> s = capped.pass_scales({1280, 720});
  ASSERT_EQ(s.size(), 2u);
  EXPECT_NEAR(s[1], 1.5f, 1e-3);
  // A cap that leaves no room above native drops the upscaled pass.
  o.max_pass_pixels = 1280.0 * 720 * 1.1;
  YuNetFaceDetector tight(model_file(), o);
  EXPECT_EQ(tight.pass_scales({1280, 720}).size(), 1u);
}

// Passes by object size: the every-frame pass of a frame larger than
// 768x432 shrinks to about that many network pixels (faces of 20 px there
// are 50 px at 1080p), and the 2x pass alone (tiled above 960x544) looks
// for the smaller faces; no native pass.
TEST_F(YuNetTest, LargeFramesGetASmallerEveryFramePassAndTheLargestScale) {
  YuNetFaceDetector det(model_file(), FaceOptions{});
  EXPECT_EQ(det.pass_scales({640, 480}), (std::vector<float>{1.f, 2.f}));  // small frames keep their native pass
  for (auto [frame, every] : {std::pair{cv::Size(960, 540), 0.8f}, std::pair{cv::Size(1280, 720), 0.6f},
                              std::pair{cv::Size(1920, 1080), 0.4f}}) {
    std::vector<float> s = det.pass_scales(frame);
    ASSERT_EQ(s.size(), 2u) << frame;
    EXPECT_NEAR(s[0], every, 0.01f) << frame;
    EXPECT_EQ(s[1], 2.f) << frame;
    std::vector<DetectorPass> passes = det.plan(frame);
    ASSERT_GE(passes.size(), 2u) << frame;
    EXPECT_TRUE(passes[0].every_frame);
    EXPECT_NEAR(passes[0].scale, every, 0.01f);
    for (size_t i = 1; i < passes.size(); ++i) EXPECT_FALSE(passes[i].every_frame);
  }
}

// Boxes come back in frame pixels whatever the frame size: the same photo at
// twice the size gives the same faces at twice the coordinates.
TEST_F(YuNetTest, BoxesScaleWithTheFrame) {
  cv::Mat small = cv::imread((faces_dir() / "images" / "maksssksksss261.jpg").string());
  if (small.empty()) GTEST_SKIP();
  cv::Mat big;
  cv::resize(small, big, cv::Size(), 2, 2, cv::INTER_LINEAR);
  FaceOptions o;
  o.scales = {1.f};
  o.score_threshold = 0.6f;
  YuNetFaceDetector det(model_file(), o);
  Detections a = det.detect(small), b = det.detect(big);
  ASSERT_GE(a.size(), 3u);
  for (const Detection& d : a) {
    cv::Rect2f want(d.box.x * 2, d.box.y * 2, d.box.width * 2, d.box.height * 2);
    float best = 0;
    for (const Detection& e : b) best = std::max(best, iou(want, e.box));
    EXPECT_GT(best, 0.6f);
  }
}

// A mirrored frame gives mirrored boxes: checks the flip pass maps back.
TEST_F(YuNetTest, FlipPassMapsBack) {
  cv::Mat img = cv::imread((faces_dir() / "images" / "maksssksksss261.jpg").string());
  if (img.empty()) GTEST_SKIP();
  FaceOptions plain;
  plain.score_threshold = 0.6f;
  FaceOptions flipped = plain;
  flipped.flip = true;
  Detections a = YuNetFaceDetector(model_file(), plain).detect(img);
  Detections b = YuNetFaceDetector(model_file(), flipped).detect(img);
  ASSERT_FALSE(a.empty());
  for (const Detection& d : a) {
    float best = 0;
    for (const Detection& e : b) best = std::max(best, iou(d.box, e.box));
    EXPECT_GT(best, 0.6f);
  }
}

TEST_F(YuNetTest, AcceptsGreyAndBgra) {
  cv::Mat img = cv::imread((faces_dir() / "images" / "maksssksksss261.jpg").string());
  if (img.empty()) GTEST_SKIP();
  YuNetFaceDetector det(model_file(), FaceOptions{});
  cv::Mat grey, bgra;
  cv::cvtColor(img, grey, cv::COLOR_BGR2GRAY);
  cv::cvtColor(img, bgra, cv::COLOR_BGR2BGRA);
  EXPECT_FALSE(det.detect(grey).empty());
  EXPECT_EQ(det.detect(bgra).size(), det.detect(img).size());
}

// The 2x pass of a large frame is cut into overlapping tiles, each about the
// size of the 2x pass of a 960x540 frame, that together cover the frame.
TEST_F(YuNetTest, LargeUpscaledPassIsTiled) {
  FaceOptions o;
  YuNetFaceDetector det(model_file(), o);
  EXPECT_EQ(det.plan({960, 540}).size(), 2u);
  for (cv::Size frame : {cv::Size(1280, 720), cv::Size(1920, 1080), cv::Size(1080, 1920)}) {
    std::vector<DetectorPass> passes = det.plan(frame);
    ASSERT_GT(passes.size(), 2u) << frame;
    EXPECT_TRUE(passes[0].every_frame);
    EXPECT_EQ(passes[0].region, cv::Rect(cv::Point(), frame));
    cv::Mat covered(frame, CV_8U, cv::Scalar(0));
    for (size_t i = 1; i < passes.size(); ++i) {
      const DetectorPass& p = passes[i];
      EXPECT_EQ(p.region.size(), passes[1].region.size()) << "one network shape for all tiles";
      EXPECT_FALSE(p.every_frame);
      EXPECT_EQ(p.scale, 2.f);
      EXPECT_LE(p.region.area() * 4.0, o.tile_pixels * 1.5) << frame;  // with the overlap
      covered(p.region) += 1;
    }
    EXPECT_EQ(cv::countNonZero(covered), frame.area()) << frame;
  }
}

// Tiling does not lose faces: on a real photo blown up to 1920 px wide, the
// tiled 2x pass finds the faces the whole 2x pass finds.
TEST_F(YuNetTest, TiledPassFindsWhatTheWholePassFinds) {
  cv::Mat img = cv::imread((faces_dir() / "images" / "maksssksksss105.jpg").string());
  if (img.empty()) GTEST_SKIP();
  cv::Mat big;
  cv::resize(img, big, cv::Size(1920, img.rows * 1920 / img.cols), 0, 0, cv::INTER_LINEAR);
  FaceOptions whole;
  whole.tile_above_pixels = 0;
  YuNetFaceDetector tiled_det(model_file(), FaceOptions{}), whole_det(model_file(), whole);
  ASSERT_GT(tiled_det.plan(big.size()).size(), 2u);
  Detections a = whole_det.detect(big), b = tiled_det.detect(big);
  int confident = 0;
  for (const Detection& d : a) {
    if (d.score < 0.5f) continue;
    ++confident;
    float best = 0;
    for (const Detection& e : b) best = std::max(best, iou(d.box, e.box));
    EXPECT_GT(best, 0.5f) << d.box;
  }
  EXPECT_GE(confident, 3);
}

// A small face the tracker expects gets a window of its own at 2x, and the
// window finds again what the whole 2x pass found there; a large face gets
// none.
// At 1080p the every-frame pass runs at 0.4x, where a 70 px face is 28 px:
// too small for that pass to find on every frame, too large for the
// small-face windows. It gets a window of its own at native scale, and the
// face is found in it (the photo's largest face, scaled to 70 px, pasted
// into a 1080p frame). At 540p (0.8x: 56 px) such a face needs none.
TEST_F(YuNetTest, MiddleSizedFacesAtLargeFramesGetANativeWindow) {
  cv::Mat img = cv::imread((faces_dir() / "images" / "maksssksksss0.jpg").string());
  if (img.empty()) GTEST_SKIP();
  FaceOptions o;
  YuNetFaceDetector det(model_file(), o);
  Detection face;
  for (const Detection& d : det.detect(img)) {
    if (d.score > face.score) face = d;
  }
  ASSERT_GT(face.score, 0.8f);
  const float k = 70.f / face.box.height;
  cv::Mat scaled;
  cv::resize(img, scaled, cv::Size(), k, k, cv::INTER_LINEAR);
  cv::Mat frame(1080, 1920, CV_8UC3, cv::Scalar(90, 90, 90));
  const cv::Point at(900, 500);
  const cv::Rect inside = cv::Rect(at, scaled.size()) & cv::Rect(0, 0, 1920, 1080);
  scaled(cv::Rect(0, 0, inside.width, inside.height)).copyTo(frame(inside));
  Detection expected = face;
  expected.box = cv::Rect2f(at.x + face.box.x * k, at.y + face.box.y * k, face.box.width * k, face.box.height * k);
  std::vector<DetectorPass> windows = det.focus(frame.size(), {expected});
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_EQ(windows[0].scale, 1.f);
  EXPECT_NEAR(windows[0].region.width, 320, 2);  // focus_window / 0.4
  EXPECT_NEAR((cv::Rect2f(windows[0].region) & expected.box).area(), expected.box.area(), 1.f);
  float best = 0;
  for (const Detection& e : det.merge(det.run(frame, windows[0]), frame.size())) best = std::max(best, iou(expected.box, e.box));
  EXPECT_GT(best, 0.5f);
  EXPECT_TRUE(det.focus({960, 540}, {expected}).empty());
}

TEST_F(YuNetTest, FocusWindowFindsAnExpectedSmallFace) {
  cv::Mat img = cv::imread((faces_dir() / "images" / "maksssksksss105.jpg").string());
  if (img.empty()) GTEST_SKIP();
  FaceOptions o;
  YuNetFaceDetector det(model_file(), o);
  std::vector<DetectorPass> plan = det.plan(img.size());
  ASSERT_EQ(plan.size(), 2u);
  int small = 0;
  for (const Detection& d : det.merge(det.run(img, plan[1]), img.size())) {
    std::vector<DetectorPass> windows = det.focus(img.size(), {d});
    if (d.box.height >= o.focus_below) {
      EXPECT_TRUE(windows.empty());
      continue;
    }
    if (d.score < 0.6f) continue;
    ++small;
    ASSERT_EQ(windows.size(), 1u);
    cv::Rect2f window(windows[0].region);
    EXPECT_NEAR((window & d.box).area(), d.box.area(), 1.f) << "window " << window << " misses " << d.box;
    Detections again = det.merge(det.run(img, windows[0]), img.size());
    float best = 0;
    for (const Detection& e : again) best = std::max(best, iou(d.box, e.box));
    EXPECT_GT(best, 0.5f) << d.box;
  }
  EXPECT_GE(small, 3);
}

// Shared NMS helpers.
TEST(Nms, IouAndContainment) {
  cv::Rect2f a(0, 0, 10, 10), b(5, 0, 10, 10), inner(2, 2, 4, 4);
  EXPECT_NEAR(iou(a, b), 50.f / 150.f, 1e-6);
  EXPECT_EQ(iou(a, cv::Rect2f(20, 20, 5, 5)), 0.f);
  EXPECT_EQ(iou(a, cv::Rect2f()), 0.f);
  EXPECT_NEAR(overlap_of_smaller(a, inner), 1.f, 1e-6);
}

TEST(Nms, KeepsBestPerClusterAndClass) {
  auto make = [](ObjectClass c, float s, cv::Rect2f r) {
    Detection d;
    d.cls = c;
    d.score = s;
    d.box = r;
    return d;
  };
  Detections in = {
      make(ObjectClass::kFace, 0.5f, {0, 0, 10, 10}),
      make(ObjectClass::kFace, 0.9f, {1, 1, 10, 10}),
      make(ObjectClass::kPlate, 0.4f, {0, 0, 10, 10}),   // other class: kept
      make(ObjectClass::kFace, 0.3f, {50, 50, 10, 10}),  // far away: kept
      make(ObjectClass::kFace, 0.8f, {2, 2, 3, 3}),      // inside the best one
  };
  Detections out = nms(in, 0.5f);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].score, 0.9f);
  EXPECT_EQ(out[1].score, 0.8f);
  Detections contained = nms(in, 0.5f, 0.8f);
  EXPECT_EQ(contained.size(), 3u);
}

}  // namespace
}  // namespace veil
