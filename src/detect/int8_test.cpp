// int8 inference: the checked-in tables still belong to the model files
// the manifest names, the rewrite refuses a table that lacks a range, and
// the quantised networks find what the float ones find on real photos.
// (Recall of whole line-ups in int8: FarPlates.*Int8* and
// DevSetRecall.*Int8*; speed: bench/bench.py --precision int8.)
#include "detect/int8_ranges.hpp"
#include "detect/onnx_session.hpp"
#include "detect/retinaface_face_detector.hpp"
#include "pipeline/detector_families.hpp"
#include "veil/core/error.hpp"
#include "veil/models/model_manifest.hpp"
#include "veil/models/model_store.hpp"

#include "test_paths.hpp"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include <algorithm>

namespace veil {
namespace {

namespace fs = std::filesystem;

const ActivationRanges& table_of(const std::string& model) {
  for (const ActivationRanges& t : builtin_int8_tables()) {
    if (t.model == model) return t;
  }
  throw Error("no int8 table for " + model);
}

fs::path model_file(const std::string& name) {
  return test::model_dir() / ModelManifest::builtin().find(name).file;
}

TEST(Int8Tables, EachBelongsToTheModelFileTheManifestNamesAndCoversIt) {
  ASSERT_GE(builtin_int8_tables().size(), 2u);
  for (const ActivationRanges& t : builtin_int8_tables()) {
    // Keyed by the file's sha256: a model whose bytes change in the
    // manifest must be calibrated again (tools/int8_calibrate.cpp).
    const ModelEntry& e = ModelManifest::builtin().find(t.model);
    EXPECT_EQ(t.sha256, e.sha256) << t.model << ": its int8 table was measured on another file";
    EXPECT_EQ(builtin_int8_ranges(e.sha256), &t);
    if (!fs::exists(model_file(t.model))) continue;
    // The store checks the bytes against that sha256; loading in int8
    // throws if the table lacks a tensor the rewrite needs.
    ModelStore store({test::model_dir(), test::make_temp_dir("int8-cache"), false});
    ModelPrecision int8;
    int8.int8 = &t;
    EXPECT_NO_THROW(families().at(e.family).make(store.resolve(e).path, DetectionOptions{}, int8)) << t.model;
  }
  EXPECT_EQ(builtin_int8_ranges("not a sha256"), nullptr);
}

// Precision::kAuto (the default) runs in int8 only what was measured to
// keep recall: YOLOv8 (plates-dev 100/100 and the far plates either way);
// RetinaFace in int8 hides two fewer faces of 20 px and more on faces-dev.
TEST(Int8Tables, OnlyYolov8IsInt8ByDefault) {
  EXPECT_TRUE(table_of("yolov8-plate").by_default);
  EXPECT_FALSE(table_of("retinaface-face").by_default);
  EXPECT_EQ(parse_precision("auto"), Precision::kAuto);
  for (const std::string& name : precision_names()) EXPECT_NO_THROW(parse_precision(name)) << name;
  EXPECT_EQ(DetectionOptions{}.precision, Precision::kAuto);
  EXPECT_THROW(parse_precision("int4"), Error);
}

TEST(Int8Tables, ATableWithoutARangeIsRefusedByName) {
  if (!fs::exists(model_file("retinaface-face"))) GTEST_SKIP() << "no model";
  ActivationRanges partial = table_of("retinaface-face");
  // A head's output: quantised (only the first convolutions stay float).
  const std::string dropped = partial.ranges.begin()->first;
  ASSERT_NE(dropped.find("Head"), std::string::npos) << dropped;
  partial.ranges.erase(dropped);
  FaceOptions o = RetinaFaceDetector::default_options();
  o.precision.int8 = &partial;
  try {
    RetinaFaceDetector d(model_file("retinaface-face"), o);
    FAIL() << "loaded without a range for " << dropped;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(dropped), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("calibrate"), std::string::npos) << e.what();
  }
}

TEST(Int8Tables, JsonRoundTripsAndBadRangesAreRefused) {
  const ActivationRanges& t = table_of("yolov8-plate");
  ActivationRanges back = ActivationRanges::from_json(t.to_json());
  EXPECT_EQ(back.sha256, t.sha256);
  EXPECT_EQ(back.ranges, t.ranges);
  EXPECT_EQ(back.by_default, t.by_default);
  nlohmann::json bad = t.to_json();
  bad["ranges"][t.ranges.begin()->first] = {1.0, -1.0};
  EXPECT_THROW(ActivationRanges::from_json(bad), Error);
  EXPECT_THROW(ActivationRanges::from_json(nlohmann::json{{"model", "x"}}), Error);
}

// What calibration records: every convolution's input and output, so that
// a table serves any choice of convolutions kept in float.
TEST(Int8Calibration, RecordsEveryConvolutionsInputAndOutputInFloat) {
  const fs::path photo = test::shared_dir() / "data" / "plates-dev" / "0b86cecf-67d1-4fc0-87c9-b36b0ee228bb.jpg";
  if (!fs::exists(model_file("yolov8-plate")) || !fs::exists(photo)) GTEST_SKIP() << "no model or photo";
  const ModelEntry& e = ModelManifest::builtin().find("yolov8-plate");
  RangeRecorder recorder;
  ModelPrecision record;
  record.record = &recorder;
  DetectorPtr recording = families().at(e.family).make(model_file(e.name), DetectionOptions{}, record);
  DetectorPtr plain = families().at(e.family).make(model_file(e.name), DetectionOptions{}, {});
  const cv::Mat image = cv::imread(photo.string(), cv::IMREAD_COLOR);
  const Detections a = recording->detect(image), b = plain->detect(image);
  ASSERT_EQ(a.size(), b.size());  // recording does not change the result
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].box, b[i].box);
  const auto ranges = recorder.ranges();
  EXPECT_EQ(ranges.size(), table_of("yolov8-plate").ranges.size());
  for (const auto& [tensor, range] : ranges) {
    EXPECT_TRUE(table_of("yolov8-plate").ranges.count(tensor)) << tensor;
    EXPECT_LE(range.first, range.second);
  }
  EXPECT_EQ(ranges.at("images").first, 0.f);  // the input, scaled to 0..1
  EXPECT_LE(ranges.at("images").second, 1.f);
}

// Each detection of `reference` with at least `min_score` has one in
// `candidate` over the same object (IoU >= 0.6); returns how many do.
int matched(const Detections& reference, const Detections& candidate, float min_score, int* considered) {
  int found = 0;
  *considered = 0;
  for (const Detection& r : reference) {
    if (r.score < min_score) continue;
    ++*considered;
    for (const Detection& c : candidate) {
      if ((r.box & c.box).area() >= 0.6f * (r.box | c.box).area()) {
        ++found;
        break;
      }
    }
  }
  return found;
}

TEST(Int8Detection, YoloPlatesFindTheFloatModelsPlates) {
  const fs::path dev = test::shared_dir() / "data" / "plates-dev";
  if (!fs::exists(model_file("yolov8-plate")) || !fs::exists(dev)) GTEST_SKIP() << "no model or photos";
  const ModelEntry& e = ModelManifest::builtin().find("yolov8-plate");
  DetectorPtr f = families().at(e.family).make(model_file(e.name), DetectionOptions{}, {});
  DetectorPtr q = families().at(e.family).make(model_file(e.name), DetectionOptions{}, {&table_of(e.name), nullptr});
  std::vector<fs::path> photos;
  for (const auto& f : fs::directory_iterator(dev)) {
    if (f.path().extension() == ".jpg") photos.push_back(f.path());
  }
  std::sort(photos.begin(), photos.end());
  photos.resize(std::min<size_t>(photos.size(), 8));
  int found = 0, considered = 0;
  for (const fs::path& photo : photos) {
    const cv::Mat image = cv::imread(photo.string(), cv::IMREAD_COLOR);
    ASSERT_FALSE(image.empty()) << photo;
    int n = 0;
    found += matched(f->detect(image), q->detect(image), 0.5f, &n);
    considered += n;
  }
  ASSERT_GE(considered, 6);
  EXPECT_GE(found, considered - 1) << found << " of " << considered;
}

TEST(Int8Detection, RetinaFaceFindsTheFloatModelsFacesOnACrowd) {
  const fs::path photo = test::shared_dir() / "data" / "faces-dev" / "images" / "maksssksksss111.jpg";
  if (!fs::exists(model_file("retinaface-face")) || !fs::exists(photo)) GTEST_SKIP() << "no model or photo";
  FaceOptions o = RetinaFaceDetector::default_options();
  RetinaFaceDetector f(model_file("retinaface-face"), o);
  o.precision.int8 = &table_of("retinaface-face");
  RetinaFaceDetector q(model_file("retinaface-face"), o);
  const cv::Mat image = cv::imread(photo.string(), cv::IMREAD_COLOR);
  int considered = 0;
  const int found = matched(f.detect(image), q.detect(image), 0.7f, &considered);
  ASSERT_GE(considered, 5);
  EXPECT_GE(found, considered - 1) << found << " of " << considered;
}

}  // namespace
}  // namespace veil
