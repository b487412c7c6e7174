// ONNX Runtime as Veil runs it: the freed YuNet input against the file's
// fixed one, concurrent runs, bad input, and both detectors against what
// they found when they ran on OpenCV's DNN module (recorded before it went).
#include "detect/onnx_session.hpp"

#include "detect/hyperlpr_plate_detector.hpp"
#include "detect/yunet_face_detector.hpp"
#include "veil/core/error.hpp"

#include "test_paths.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <thread>

namespace veil {
namespace {

namespace fs = std::filesystem;

fs::path yunet_file() { return test::model_dir() / "yunet" / "face_detection_yunet_2023mar.onnx"; }
fs::path plate_file() { return test::model_dir() / "hyperlpr3" / "y5fu_320x_sim.onnx"; }
fs::path photo() { return test::shared_dir() / "data" / "faces-dev" / "images" / "maksssksksss111.jpg"; }

const std::vector<std::string> kYuNetOutputs = {"cls_8", "obj_8", "bbox_8", "cls_32", "bbox_32"};

// Every output of `a` and `b`, the same shape, no element further apart than `tolerance`.
void expect_same(const OnnxSession::Outputs& a, const OnnxSession::Outputs& b, float tolerance) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    TensorView x = a[i], y = b[i];
    ASSERT_EQ(x.shape, y.shape) << "output " << i;
    float worst = 0.f;
    for (size_t k = 0; k < x.size(); ++k) worst = std::max(worst, std::abs(x.data[k] - y.data[k]));
    EXPECT_LE(worst, tolerance) << "output " << i;
  }
}

class OnnxSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(yunet_file()) || !fs::exists(photo())) GTEST_SKIP() << "no model or photo";
    bytes_ = read_model_bytes(yunet_file().string(), "face model");
    image_ = cv::imread(photo().string(), cv::IMREAD_COLOR);
  }
  cv::Mat sized(int w, int h) const {
    cv::Mat out;
    cv::resize(image_, out, cv::Size(w, h));
    return out;
  }
  static InputTensor tensor(const cv::Mat& image) {
    InputTensor t;
    image_tensor(image, image.size(), 1.f, false, &t);
    return t;
  }
  std::vector<uint8_t> bytes_;
  cv::Mat image_;
};

TEST_F(OnnxSessionTest, FreedInputGivesTheFixedModelsOutputsAt640) {
  OnnxSession fixed(bytes_, "fixed yunet");
  OnnxSession freed(bytes_, "freed yunet", GraphEdit{/*free_image_size=*/true, {}});
  EXPECT_EQ(fixed.input_shape(), (std::vector<int64_t>{1, 3, 640, 640}));
  EXPECT_EQ(freed.input_shape(), (std::vector<int64_t>{1, 3, -1, -1}));
  InputTensor in = tensor(sized(640, 640));
  OnnxSession::Outputs a = fixed.run(in, kYuNetOutputs);
  OnnxSession::Outputs b = freed.run(in, kYuNetOutputs);
  expect_same(a, b, 0.f);
  // Something was found, so the comparison compared faces, not zeros.
  float best = 0.f;
  TensorView cls = a[0];
  for (size_t k = 0; k < cls.size(); ++k) best = std::max(best, cls.data[k]);
  EXPECT_GT(best, 0.5f);
}

TEST_F(OnnxSessionTest, FreedInputRunsOtherSizesAndTheFixedOneRefusesThem) {
  OnnxSession fixed(bytes_, "fixed yunet");
  OnnxSession freed(bytes_, "freed yunet", GraphEdit{true, {}});
  InputTensor in = tensor(sized(416, 320));
  OnnxSession::Outputs out = freed.run(in, {"cls_8", "bbox_32"});
  EXPECT_EQ(out[0].shape, (std::vector<int64_t>{1, 52 * 40, 1}));
  EXPECT_EQ(out[1].shape, (std::vector<int64_t>{1, 13 * 10, 4}));
  EXPECT_THROW(fixed.run(in, {"cls_8"}), Error);
}

TEST_F(OnnxSessionTest, PrunedOutputsKeepTheirValues) {
  OnnxSession whole(bytes_, "yunet", GraphEdit{true, {}});
  OnnxSession pruned(bytes_, "yunet without landmarks", GraphEdit{true, kYuNetOutputs});
  EXPECT_EQ(whole.output_names().size(), 12u);
  EXPECT_EQ(pruned.output_names().size(), kYuNetOutputs.size());
  InputTensor in = tensor(sized(480, 352));
  expect_same(whole.run(in, kYuNetOutputs), pruned.run(in, kYuNetOutputs), 0.f);
  EXPECT_THROW(pruned.run(in, {"kps_8"}), Error);
  EXPECT_THROW(OnnxSession(bytes_, "yunet", GraphEdit{false, {"no_such_output"}}), Error);
}

TEST_F(OnnxSessionTest, ConcurrentRunsGiveTheSerialResults) {
  OnnxSession session(bytes_, "yunet", GraphEdit{true, {}});
  const std::vector<cv::Mat> inputs = {sized(640, 480), sized(320, 256), sized(480, 640), sized(256, 256)};
  std::vector<OnnxSession::Outputs> serial;
  for (const cv::Mat& m : inputs) serial.push_back(session.run(tensor(m), kYuNetOutputs));
  std::vector<OnnxSession::Outputs> parallel(inputs.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < inputs.size(); ++i) {
    threads.emplace_back([&, i] { parallel[i] = session.run(tensor(inputs[i]), kYuNetOutputs); });
  }
  for (std::thread& t : threads) t.join();
  for (size_t i = 0; i < inputs.size(); ++i) expect_same(serial[i], parallel[i], 0.f);
}

TEST_F(OnnxSessionTest, BadInputAndUnknownOutputThrow) {
  OnnxSession session(bytes_, "yunet", GraphEdit{true, {}});
  InputTensor in = tensor(sized(64, 64));
  EXPECT_THROW(session.run(in, {"no_such_output"}), Error);
  InputTensor odd = tensor(sized(50, 50));  // not a multiple of 32: the heads disagree
  EXPECT_THROW(session.run(odd, kYuNetOutputs), Error);
  EXPECT_THROW(tensor(cv::Mat(8, 8, CV_8UC1, cv::Scalar(0))), Error);
}

// The YOLOv8 plate model is dynamically quantised (ConvInteger), which ONNX
// Runtime runs ~8x slower than float convolutions here; dequantised, it
// must find the same plate on a real photo.
TEST(OnnxSessionDequantize, FloatGraphFindsWhatTheInt8OneFinds) {
  const fs::path model = test::model_dir() / "yolov8-plate" / "license_plate_detector_int8.onnx";
  const fs::path photo = test::shared_dir() / "data" / "plates-dev" / "0b86cecf-67d1-4fc0-87c9-b36b0ee228bb.jpg";
  if (!fs::exists(model) || !fs::exists(photo)) GTEST_SKIP() << "no model or photo";
  std::vector<uint8_t> bytes = read_model_bytes(model.string(), "plate model");
  OnnxSession int8(bytes, "int8 yolov8");
  GraphEdit edit;
  edit.dequantize_convs = true;
  OnnxSession float32(bytes, "float yolov8", edit);
  // A 320x320 tile around the labelled plate (935,362 99x49).
  cv::Mat tile = cv::imread(photo.string(), cv::IMREAD_COLOR)(cv::Rect(830, 230, 320, 320)).clone();
  InputTensor in;
  image_tensor(tile, tile.size(), 1.f / 255, /*swap_rb=*/true, &in);
  OnnxSession::Outputs a = int8.run(in, {"output0"}), b = float32.run(in, {"output0"});
  TensorView x = a[0], y = b[0];
  ASSERT_EQ(x.shape, (std::vector<int64_t>{1, 5, 2100}));
  ASSERT_EQ(y.shape, x.shape);
  auto best = [](const TensorView& t) {
    int at = 0;
    for (int i = 1; i < 2100; ++i) at = t.data[4 * 2100 + i] > t.data[4 * 2100 + at] ? i : at;
    return cv::Rect2f(t.data[at] - t.data[2 * 2100 + at] / 2, t.data[2100 + at] - t.data[3 * 2100 + at] / 2,
                      t.data[2 * 2100 + at], t.data[3 * 2100 + at]);
  };
  auto score = [](const TensorView& t) { return *std::max_element(t.data + 4 * 2100, t.data + 5 * 2100); };
  EXPECT_GT(score(x), 0.7f);
  EXPECT_NEAR(score(y), score(x), 0.05f);
  cv::Rect2f p = best(x), q = best(y);
  EXPECT_GT((p & q).area() / (p | q).area(), 0.9f);
  // ... and the plate is where the label says (tile coordinates).
  cv::Rect2f label(935 - 830, 362 - 230, 99, 49);
  EXPECT_GT((q & label).area() / label.area(), 0.95f);
}

TEST(OnnxSessionLoad, NotAModelThrows) {
  std::vector<uint8_t> junk(1000, 0x42);
  EXPECT_THROW(OnnxSession(junk, "junk"), Error);
  EXPECT_THROW(OnnxSession(junk, "junk", GraphEdit{true, {}}), Error);
}

TEST(ImageTensor, PlanesInOrderScaledSwappedAndPadded) {
  cv::Mat px(1, 2, CV_8UC3);
  px.at<cv::Vec3b>(0, 0) = {10, 20, 30};
  px.at<cv::Vec3b>(0, 1) = {40, 50, 60};
  InputTensor t;
  t.data.assign(100, 7.f);  // reused memory: every element is written
  image_tensor(px, px.size(), 0.5f, /*swap_rb=*/true, &t);
  EXPECT_EQ(t.shape, (std::vector<int64_t>{1, 3, 1, 2}));
  EXPECT_EQ(t.data, (std::vector<float>{15, 30, 10, 25, 5, 20}));
  // A region of a larger image (rows not contiguous) converts the same.
  cv::Mat big(4, 4, CV_8UC3, cv::Scalar(1, 2, 3));
  px.copyTo(big(cv::Rect(1, 1, 2, 1)));
  InputTensor roi;
  image_tensor(big(cv::Rect(1, 1, 2, 1)), {}, 0.5f, true, &roi);
  EXPECT_EQ(roi.data, t.data);
  // Padded to 3x2 with zeros below and to the right, plane by plane.
  image_tensor(px, cv::Size(3, 2), 1.f, false, &t);
  EXPECT_EQ(t.shape, (std::vector<int64_t>{1, 3, 2, 3}));
  EXPECT_EQ(t.data, (std::vector<float>{10, 40, 0, 0, 0, 0, 20, 50, 0, 0, 0, 0, 30, 60, 0, 0, 0, 0}));
  // A mean per channel (B, G, R) comes off before scaling; the padding is
  // a black pixel normalised the same way.
  image_tensor(px, cv::Size(3, 1), 0.5f, /*swap_rb=*/true, &t, cv::Scalar(10, 20, 30));
  EXPECT_EQ(t.data, (std::vector<float>{0, 15, -15, 0, 15, -10, 0, 15, -5}));
}

// What YuNet and HyperLPR3 (default options) found on 44 photos of
// faces-dev and plates-dev when they ran on OpenCV's DNN module (commit cacda69):
// src/detect/testdata/cvdnn_detections.jsonl. ONNX Runtime must find the
// same boxes: only rounding may differ.
TEST(OnnxRuntime, FindsWhatCvDnnFound) {
  if (!fs::exists(yunet_file()) || !fs::exists(plate_file())) GTEST_SKIP() << "no models";
  // With the box geometry of that time: the networks are what is compared.
  FaceOptions face_options;
  face_options.shift_down = 0.f;
  // and its pass plan (before passes by object size, 2026-12-05).
  face_options.every_frame_pixels = 0;
  face_options.tile_pixels = face_options.tile_above_pixels;
  PlateOptions plate_options;
  plate_options.max_aspect = plate_options.max_frame_width = plate_options.max_frame_height = 1e6f;
  plate_options.min_inside = 0.f;
  // and that time's tiles (rows of plate tiles overlapped as columns do).
  face_options.tile_overlap = 96;
  plate_options.tile_overlap_rows = plate_options.tile_overlap;
  YuNetFaceDetector face(yunet_file(), face_options);
  HyperLprPlateDetector plate(plate_file(), plate_options);
  std::ifstream in(fs::path(VEIL_SOURCE_DIR) / "src" / "detect" / "testdata" / "cvdnn_detections.jsonl");
  ASSERT_TRUE(in) << "golden file missing";
  std::string line;
  int images = 0, boxes = 0;
  while (std::getline(in, line)) {
    nlohmann::json rec = nlohmann::json::parse(line);
    const fs::path file = test::shared_dir() / rec["file"].get<std::string>();
    cv::Mat img = cv::imread(file.string(), cv::IMREAD_COLOR);
    if (img.empty()) GTEST_SKIP() << "no " << file;
    Detections found = face.detect(img);
    Detections plates = plate.detect(img);
    found.insert(found.end(), plates.begin(), plates.end());
    const nlohmann::json& want = rec["detections"];
    EXPECT_EQ(found.size(), want.size()) << file;
    std::vector<bool> used(found.size(), false);
    for (const nlohmann::json& w : want) {
      ObjectClass cls = w["class"] == "face" ? ObjectClass::kFace : ObjectClass::kPlate;
      cv::Rect2f box(w["box"][0], w["box"][1], w["box"][2], w["box"][3]);
      int match = -1;
      for (size_t i = 0; i < found.size(); ++i) {
        if (used[i] || found[i].cls != cls) continue;
        const cv::Rect2f& b = found[i].box;
        float inter = (b & box).area();
        if (inter / (b.area() + box.area() - inter) >= 0.98f && std::abs(found[i].score - float(w["score"])) < 0.01f) {
          match = int(i);
          break;
        }
      }
      EXPECT_GE(match, 0) << file << ": no match for " << w.dump();
      if (match >= 0) used[match] = true;
      ++boxes;
    }
    ++images;
  }
  EXPECT_EQ(images, 44);
  EXPECT_GT(boxes, 200);
}

}  // namespace
}  // namespace veil
