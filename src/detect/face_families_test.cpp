// The face families beside YuNet (RetinaFace, SCRFD) and what they share
// (detect/face_detector), run with the real models on real photos from
// shared/data/faces-dev.
#include "detect/retinaface_face_detector.hpp"
#include "detect/scrfd_face_detector.hpp"
#include "detect/yunet_face_detector.hpp"

#include "veil/core/error.hpp"
#include "detect/nms.hpp"

#include "test_paths.hpp"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <fstream>
#include <functional>
#include <memory>
#include <regex>
#include <sstream>

namespace veil {
namespace {

namespace fs = std::filesystem;

fs::path faces_dir() { return test::shared_dir() / "data" / "faces-dev"; }
fs::path retinaface_file() { return test::model_dir() / "retinaface" / "retinaface_mobilenet0.25.onnx"; }
fs::path scrfd_file() { return test::model_dir() / "scrfd" / "scrfd_2.5g_kps.onnx"; }
fs::path yunet_file() { return test::model_dir() / "yunet" / "face_detection_yunet_2023mar.onnx"; }

std::vector<cv::Rect2f> read_voc(const fs::path& xml) {
  std::ifstream in(xml);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  std::regex box(R"(<xmin>([\d.]+)</xmin>\s*<ymin>([\d.]+)</ymin>\s*<xmax>([\d.]+)</xmax>\s*<ymax>([\d.]+)</ymax>)");
  std::vector<cv::Rect2f> out;
  for (std::sregex_iterator it(text.begin(), text.end(), box), end; it != end; ++it) {
    float x0 = std::stof((*it)[1]), y0 = std::stof((*it)[2]);
    out.emplace_back(x0, y0, std::stof((*it)[3]) - x0, std::stof((*it)[4]) - y0);
  }
  return out;
}

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

// On every 24th photo of faces-dev, nearly every annotated face of 20 px
// and more is found, and confident boxes sit on faces.
TEST_P(FaceFamilyTest, FindsAnnotatedFaces) {
  std::vector<fs::path> xmls;
  for (const auto& e : fs::directory_iterator(faces_dir() / "annotations")) xmls.push_back(e.path());
  if (xmls.empty()) GTEST_SKIP() << "no faces-dev data";
  std::sort(xmls.begin(), xmls.end());
  std::unique_ptr<FaceDetector> det = make();
  int faces = 0, found = 0, confident = 0, confident_far = 0;
  for (size_t i = 0; i < xmls.size(); i += 24) {
    cv::Mat bgr = cv::imread((faces_dir() / "images" / (xmls[i].stem().string() + ".jpg")).string());
    ASSERT_FALSE(bgr.empty());
    std::vector<cv::Rect2f> truth = read_voc(xmls[i]);
    Detections got = det->detect(bgr);
    for (const cv::Rect2f& t : truth) {
      if (t.height < 20) continue;
      ++faces;
      for (const Detection& d : got) {
        if (t.contains(centre(d.box)) || iou(t, d.box) > 0.3f) {
          ++found;
          break;
        }
      }
    }
    for (const Detection& d : got) {
      EXPECT_EQ(d.cls, ObjectClass::kFace);
      if (d.score < 0.7f) continue;
      ++confident;
      bool near = false;
      for (const cv::Rect2f& t : truth) near = near || grow(t, 0.5f).contains(centre(d.box));
      confident_far += !near;
    }
  }
  ASSERT_GT(faces, 20);
  EXPECT_GE(found, faces * 0.9) << found << " of " << faces;
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
        Family{"RetinaFace", retinaface_file,
               [](const fs::path& f) { return std::make_unique<RetinaFaceDetector>(f, RetinaFaceDetector::default_options()); }},
        Family{"SCRFD", scrfd_file,
               [](const fs::path& f) { return std::make_unique<ScrfdFaceDetector>(f, ScrfdFaceDetector::default_options()); }}),
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
