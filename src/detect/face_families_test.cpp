// The face families (YuNet, RetinaFace, SCRFD) and what they share
// (detect/face_detector), run with the real models on real photos from
// shared/data/faces-dev.
#include "detect/retinaface_face_detector.hpp"
#include "detect/scrfd_face_detector.hpp"
#include "detect/yunet_face_detector.hpp"

#include "veil/core/error.hpp"
#include "veil/eval/ground_truth.hpp"
#include "detect/nms.hpp"

#include "test_paths.hpp"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <functional>
#include <memory>

namespace veil {
namespace {

namespace fs = std::filesystem;

fs::path faces_dir() { return test::shared_dir() / "data" / "faces-dev"; }
fs::path retinaface_file() { return test::model_dir() / "retinaface" / "retinaface_mobilenet0.25.onnx"; }
fs::path scrfd_file() { return test::model_dir() / "scrfd" / "scrfd_2.5g_kps.onnx"; }
fs::path yunet_file() { return test::model_dir() / "yunet" / "face_detection_yunet_2023mar.onnx"; }

cv::Point2f centre(const cv::Rect2f& r) { return {r.x + r.width / 2, r.y + r.height / 2}; }

cv::Rect2f grow(const cv::Rect2f& r, float f) {
  return {r.x - r.width * f, r.y - r.height * f, r.width * (1 + 2 * f), r.height * (1 + 2 * f)};
}

struct Family {
  const char* name;
  fs::path (*file)();
  std::function<std::unique_ptr<FaceDetector>(const fs::path&)> make;
};

std::ostream& operator<<(std::ostream& os, const Family& f) { return os << f.name; }

class FaceFamilyTest : public ::testing::TestWithParam<Family> {
 protected:
  void SetUp() override {
    if (!fs::exists(GetParam().file())) GTEST_SKIP() << "no model " << GetParam().file();
  }
  std::unique_ptr<FaceDetector> make() const { return GetParam().make(GetParam().file()); }
};

// On a fixed spread of faces-dev photos (every 24th), most annotated faces
// of 20 px and more are found, boxes are in the frame and above the
// threshold, and confident detections sit on faces.
TEST_P(FaceFamilyTest, FindsAnnotatedFaces) {
  if (!fs::exists(faces_dir())) GTEST_SKIP() << "no faces-dev data";
  const GroundTruth labels = load_ground_truth(faces_dir() / "annotations", AnnotationFormat::kVoc);
  std::unique_ptr<FaceDetector> det = make();
  int faces = 0, found = 0, detections = 0, far = 0, confident = 0, confident_far = 0;
  int k = 0;
  for (const auto& [stem, boxes] : labels.images) {  // sorted by name
    if (k++ % 24 != 0) continue;
    cv::Mat bgr = cv::imread((faces_dir() / "images" / (stem + ".jpg")).string());
    ASSERT_FALSE(bgr.empty()) << stem;
    Detections got = det->detect(bgr);
    for (const Detection& d : got) {
      EXPECT_EQ(d.cls, ObjectClass::kFace);
      EXPECT_GE(d.score, det->options().score_threshold);
      EXPECT_GE(d.box.x, 0.f);
      EXPECT_GE(d.box.y, 0.f);
      EXPECT_LE(d.box.x + d.box.width, bgr.cols + 1e-3f);
      EXPECT_LE(d.box.y + d.box.height, bgr.rows + 1e-3f);
    }
    for (const GroundTruthBox& t : boxes) {
      if (t.box.height < 20) continue;
      ++faces;
      for (const Detection& d : got) {
        if (t.box.contains(centre(d.box)) || iou(t.box, d.box) > 0.3f) {
          ++found;
          break;
        }
      }
    }
    for (const Detection& d : got) {
      bool near = false;
      for (const GroundTruthBox& t : boxes) near = near || grow(t.box, 0.5f).contains(centre(d.box));
      ++detections;
      far += !near;
      if (d.score >= 0.7f) {
        ++confident;
        confident_far += !near;
      }
    }
  }
  ASSERT_GT(faces, 20);
  EXPECT_GE(found, faces * 0.9) << found << " of " << faces;
  // Low-score detections include unlabelled background faces, so only the
  // confident ones must nearly all be on annotated faces.
  EXPECT_LE(far, detections * 0.4) << far << " of " << detections;
  EXPECT_LE(confident_far, confident * 0.1) << confident_far << " of " << confident;
}

// A blank frame has no faces, and a frame of an odd size (not a multiple of
// 32) works: the input is padded, never stretched.
TEST_P(FaceFamilyTest, BlankAndOddSizedFrames) {
  std::unique_ptr<FaceDetector> det = make();
  EXPECT_TRUE(det->detect(cv::Mat(333, 517, CV_8UC3, cv::Scalar::all(0))).empty());
  cv::Mat photo = cv::imread((faces_dir() / "images" / "maksssksksss261.jpg").string());
  if (photo.empty()) GTEST_SKIP();
  cv::Mat odd = photo(cv::Rect(0, 0, photo.cols - 7, photo.rows - 5)).clone();
  EXPECT_FALSE(det->detect(odd).empty());
}

TEST_P(FaceFamilyTest, ForeignModelThrows) {
  fs::path plate = test::model_dir() / "hyperlpr3" / "y5fu_320x_sim.onnx";
  if (!fs::exists(plate)) GTEST_SKIP();
  EXPECT_THROW(GetParam().make(plate)->detect(cv::Mat(64, 64, CV_8UC3, cv::Scalar::all(90))), Error);
}

INSTANTIATE_TEST_SUITE_P(
    Families, FaceFamilyTest,
    ::testing::Values(
        Family{"YuNet", yunet_file,
               [](const fs::path& f) { return std::make_unique<YuNetFaceDetector>(f, FaceOptions{}); }},
        Family{"RetinaFace", retinaface_file,
               [](const fs::path& f) { return std::make_unique<RetinaFaceDetector>(f, RetinaFaceDetector::default_options()); }},
        Family{"SCRFD", scrfd_file,
               [](const fs::path& f) { return std::make_unique<ScrfdFaceDetector>(f, FaceOptions{}); }}),
    [](const ::testing::TestParamInfo<Family>& info) { return std::string(info.param.name); });

// RetinaFace is exported at 640x640 with the FPN's upsampling sizes fixed;
// freed, its outputs at 640x640 are those of the file as it is.
TEST(RetinaFace, FreedInputMatchesTheFixedModelAt640) {
  cv::Mat photo = cv::imread((faces_dir() / "images" / "maksssksksss261.jpg").string());
  if (!fs::exists(retinaface_file()) || photo.empty()) GTEST_SKIP();
  std::vector<uint8_t> bytes = read_model_bytes(retinaface_file().string(), "face model");
  OnnxSession fixed(bytes, "fixed");
  OnnxSession freed(bytes, "freed", GraphEdit{/*free_image_size=*/true, {"output0", "output1"}});
  cv::Mat input;
  cv::resize(photo, input, cv::Size(640, 640));
  InputTensor t;
  image_tensor(input, input.size(), 1.f, false, &t, cv::Scalar(104, 117, 123));
  OnnxSession::Outputs a = fixed.run(t, {"output0", "output1"});
  OnnxSession::Outputs b = freed.run(t, {"output0", "output1"});
  for (size_t k = 0; k < 2; ++k) {
    ASSERT_EQ(a[k].size(), b[k].size());
    for (size_t i = 0; i < a[k].size(); ++i) ASSERT_NEAR(a[k].data[i], b[k].data[i], 1e-4f) << k << " " << i;
  }
  // And the freed model takes other sizes, which the fixed one refuses.
  cv::Mat wide;
  cv::resize(photo, wide, cv::Size(960, 544));
  image_tensor(wide, wide.size(), 1.f, false, &t, cv::Scalar(104, 117, 123));
  EXPECT_THROW(fixed.run(t, {"output0"}), Error);
  EXPECT_EQ(freed.run(t, {"output0"})[0].size(), size_t(960 / 8 * 544 / 8 + 960 / 16 * 544 / 16 + 960 / 32 * 544 / 32) * 2 * 4);
}

// Boxes grow down by extend_bottom, then move down by shift_down of their
// height: the models' boxes sit above the chin.
TEST(FaceGeometry, BoxesGrowAndMoveDown) {
  if (!fs::exists(yunet_file())) GTEST_SKIP();
  FaceOptions o;
  o.extend_bottom = 0.1f;
  o.shift_down = 0.2f;
  YuNetFaceDetector det(yunet_file(), o);
  Detection d;
  d.cls = ObjectClass::kFace;
  d.score = 0.9f;
  d.box = cv::Rect2f(100, 100, 40, 50);
  Detections out = det.merge({d}, cv::Size(640, 480));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FLOAT_EQ(out[0].box.height, 55.f);
  EXPECT_FLOAT_EQ(out[0].box.y, 111.f);
  EXPECT_FLOAT_EQ(out[0].box.x, 100.f);
  o.shift_down = -0.1f;
  EXPECT_THROW(YuNetFaceDetector(yunet_file(), o), Error);
}

}  // namespace
}  // namespace veil
