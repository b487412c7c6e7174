// Runs the real HyperLPR3 detector on real photos from shared/data/plates-dev.
#include "detect/hyperlpr_plate_detector.hpp"

#include "detect/nms.hpp"
#include "io/video_source.hpp"
#include "veil/core/error.hpp"

#include "test_paths.hpp"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <fstream>
#include <set>
#include <sstream>

namespace veil {
namespace {

namespace fs = std::filesystem;

fs::path model_file(int size) {
  return test::model_dir() / "hyperlpr3" / ("y5fu_" + std::to_string(size) + "x_sim.onnx");
}
fs::path plates_dir() { return test::shared_dir() / "data" / "plates-dev"; }

struct Labelled {
  fs::path image;
  cv::Rect2f plate;
};

// `<name>.txt` holds one TAB-separated line: file x y w h text.
std::vector<Labelled> read_labels() {
  std::vector<Labelled> out;
  if (!fs::exists(plates_dir())) return out;
  for (const auto& e : fs::directory_iterator(plates_dir())) {
    if (e.path().extension() != ".txt") continue;
    std::ifstream in(e.path());
    std::string file;
    float x, y, w, h;
    if (std::getline(in, file, '\t') && in >> x >> y >> w >> h) {
      out.push_back({plates_dir() / file, {x, y, w, h}});
    }
  }
  std::sort(out.begin(), out.end(), [](const Labelled& a, const Labelled& b) { return a.image < b.image; });
  return out;
}

cv::Rect2f grow(const cv::Rect2f& r, float f) {
  return {r.x - r.width * f, r.y - r.height * f, r.width * (1 + 2 * f), r.height * (1 + 2 * f)};
}

// Twice the signed area of a polygon; positive when it runs clockwise on
// screen (y pointing down).
float signed_area2(const std::vector<cv::Point2f>& p) {
  float a = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    const cv::Point2f& u = p[i];
    const cv::Point2f& v = p[(i + 1) % p.size()];
    a += u.x * v.y - v.x * u.y;
  }
  return a;
}

class PlateTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    if (!fs::exists(model_file(GetParam()))) GTEST_SKIP() << "no model " << model_file(GetParam());
  }
  fs::path model() const { return model_file(GetParam()); }
};

TEST(PlateLoad, MissingModelThrows) {
  EXPECT_THROW(HyperLprPlateDetector("/nonexistent/y5fu_320x_sim.onnx", PlateOptions{}), Error);
}

TEST(PlateLoad, CorruptModelThrows) {
  fs::path dir = test::make_temp_dir("plate");
  fs::path bad = dir / "y5fu_320x_sim.onnx";
  std::ofstream(bad) << "garbage, not protobuf";
  EXPECT_THROW(HyperLprPlateDetector(bad, PlateOptions{}), Error);
  std::ofstream(bad, std::ios::trunc).close();
  EXPECT_THROW(HyperLprPlateDetector(bad, PlateOptions{}), Error);
  fs::remove_all(dir);
}

TEST(PlateLoad, ForeignModelThrows) {
  fs::path face = test::model_dir() / "yunet" / "face_detection_yunet_2023mar.onnx";
  if (!fs::exists(face)) GTEST_SKIP();
  EXPECT_THROW(HyperLprPlateDetector(face, PlateOptions{}), Error);
}

TEST(PlateLoad, WrongInputSizeThrows) {
  if (!fs::exists(model_file(320))) GTEST_SKIP();
  PlateOptions o;
  o.input_size = 640;  // the 320 model has a fixed input
  EXPECT_THROW(HyperLprPlateDetector(model_file(320), o), Error);
}

TEST_P(PlateTest, InputSizeFromFileName) {
  HyperLprPlateDetector det(model(), PlateOptions{});
  EXPECT_EQ(det.input_size(), GetParam());
}

TEST_P(PlateTest, BadOptionsThrow) {
  PlateOptions o;
  o.frame_fits = {1.5f};
  EXPECT_THROW(HyperLprPlateDetector(model(), o), Error);
  o = PlateOptions{};
  o.tile_overlap = 1.f;
  EXPECT_THROW(HyperLprPlateDetector(model(), o), Error);
  o = PlateOptions{};
  o.tile_overlap_rows = -0.1f;
  EXPECT_THROW(HyperLprPlateDetector(model(), o), Error);
}

TEST_P(PlateTest, WithoutWholeFramePassesOnlyTilesRun) {
  PlateOptions o;
  o.frame_fits = {};
  HyperLprPlateDetector det(model(), o);
  std::vector<DetectorPass> big = det.plan(cv::Size(1280, 720));
  ASSERT_FALSE(big.empty());
  for (const DetectorPass& p : big) {
    EXPECT_FALSE(p.every_frame);
    EXPECT_EQ(p.region.width, det.input_size());
  }
  // A frame smaller than a tile is one tile: the whole frame.
  std::vector<DetectorPass> small = det.plan(cv::Size(200, 100));
  ASSERT_EQ(small.size(), 1u);
  EXPECT_EQ(small[0].region, cv::Rect(0, 0, 200, 100));
}

// Shapes no plate has are dropped before they reach the tracker. On the
// first frame of an indoor clip (people walking, no vehicle) HyperLPR3 sees
// a "plate" wider than the frame, which blurred the lower half of the
// picture for seconds at a time.
TEST(PlateGeometry, DropsBoxesNoPlateCanHave) {
  const fs::path clip = test::video_dir() / "one-by-one-person-detection.mp4";
  if (!fs::exists(model_file(320)) || !fs::exists(clip)) GTEST_SKIP();
  VideoSource source(clip);
  Frame frame;
  ASSERT_TRUE(source.read(frame));
  PlateOptions loose;
  loose.max_frame_width = loose.max_frame_height = loose.max_aspect = 100.f;
  loose.min_inside = 0.f;
  auto widest = [&](const PlateOptions& o) {
    float w = 0;
    for (const Detection& d : HyperLprPlateDetector(model_file(320), o).detect(frame.image)) w = std::max(w, d.box.width);
    return w / frame.image.cols;
  };
  EXPECT_GT(widest(loose), 0.9f);   // the degenerate box, as the model gives it
  EXPECT_LE(widest(PlateOptions{}), 0.75f);

  HyperLprPlateDetector det(model_file(320), PlateOptions{});
  const cv::Size f(768, 432);
  EXPECT_FALSE(det.plausible({-185, 163, 1143, 322}, f));  // wider than the frame
  EXPECT_FALSE(det.plausible({720, 200, 120, 40}, f));      // 60% outside
  EXPECT_FALSE(det.plausible({0, 238, 299, 194}, f));       // the floor: 0.45 of the height
  EXPECT_FALSE(det.plausible({100, 100, 70, 240}, f));      // taller than wide
  EXPECT_FALSE(det.plausible({100, 100, 300, 20}, f));      // 15:1
  EXPECT_TRUE(det.plausible({300, 300, 60, 20}, f));        // a near plate
  EXPECT_TRUE(det.plausible({740, 300, 40, 14}, f));        // a plate at the edge, 70% inside
}

TEST_P(PlateTest, BlankImageHasNoPlates) {
  HyperLprPlateDetector det(model(), PlateOptions{});
  EXPECT_TRUE(det.detect(cv::Mat(720, 1280, CV_8UC3, cv::Scalar::all(128))).empty());
  EXPECT_TRUE(det.detect(cv::Mat(50, 90, CV_8UC3, cv::Scalar::all(128))).empty());
  EXPECT_THROW(det.detect(cv::Mat()), Error);
}

// The tiles of a large frame cover it completely, and overlap by at least
// the configured fraction so that a plate narrower than that is whole in one.
TEST_P(PlateTest, TilesCoverTheFrame) {
  PlateOptions o;
  o.tile_above = 1.f;
  HyperLprPlateDetector det(model(), o);
  for (cv::Size frame : {cv::Size(1280, 720), cv::Size(1920, 1080), cv::Size(333, 2000)}) {
    std::vector<DetectorPass> passes = det.plan(frame);
    ASSERT_GT(passes.size(), o.frame_fits.size());
    cv::Mat covered(frame, CV_8U, cv::Scalar(0));
    for (size_t i = o.frame_fits.size(); i < passes.size(); ++i) {
      const cv::Rect& r = passes[i].region;
      EXPECT_EQ(r & cv::Rect(cv::Point(), frame), r);
      EXPECT_LE(std::max(r.width, r.height), GetParam() / o.tile_scale + 1);
      covered(r) += 1;
    }
    EXPECT_EQ(cv::countNonZero(covered), frame.area());
  }
  // A frame that fits the input is not tiled.
  EXPECT_EQ(det.plan({GetParam(), GetParam() / 2}).size(), o.frame_fits.size());
}

// Plates are wider than tall: rows of tiles overlap by half as much as
// columns, so that a 1080p frame takes 4 rows of 320 px tiles, not 5.
TEST_P(PlateTest, RowsOfTilesOverlapLessThanColumns) {
  PlateOptions o;
  HyperLprPlateDetector det(model(), o);
  const int side = GetParam();
  std::set<int> xs, ys;
  for (const DetectorPass& p : det.plan(cv::Size(1920, 1080))) {
    if (p.scale != o.tile_scale || p.region.size() != cv::Size(side, side)) continue;
    xs.insert(p.region.x);
    ys.insert(p.region.y);
  }
  ASSERT_GE(xs.size(), 2u);
  ASSERT_GE(ys.size(), 2u);
  auto least_overlap = [side](const std::set<int>& starts) {
    int least = side;
    for (auto a = starts.begin(), b = std::next(a); b != starts.end(); ++a, ++b) least = std::min(least, side - (*b - *a));
    return least;
  };
  EXPECT_GE(least_overlap(xs), o.tile_overlap * side);
  EXPECT_GE(least_overlap(ys), o.tile_overlap_rows * side);
  if (side == 320) {  // 5 rows with the columns' overlap
    EXPECT_LT(least_overlap(ys), o.tile_overlap * side);
    EXPECT_EQ(ys.size(), 4u);
  }
}

// On a fixed spread of plates-dev photos (every 10th), the labelled plate is
// found, with its four corners on the plate and in clockwise order.
TEST_P(PlateTest, FindsLabelledPlates) {
  std::vector<Labelled> labels = read_labels();
  if (labels.empty()) GTEST_SKIP() << "no plates-dev data";
  HyperLprPlateDetector det(model(), PlateOptions{});
  int tried = 0, found = 0;
  for (size_t i = 0; i < labels.size(); i += 10) {
    cv::Mat bgr = cv::imread(labels[i].image.string());
    ASSERT_FALSE(bgr.empty()) << labels[i].image;
    ++tried;
    const cv::Rect2f& truth = labels[i].plate;
    for (const Detection& d : det.detect(bgr)) {
      EXPECT_EQ(d.cls, ObjectClass::kPlate);
      ASSERT_EQ(d.corners.size(), 4u);
      if (iou(d.box, truth) < 0.3f) continue;
      ++found;
      cv::Rect2f near = grow(truth, 0.5f);  // labels are axis-aligned, plates tilt
      cv::Rect2f box = grow(d.box, 0.01f);
      for (const cv::Point2f& p : d.corners) {
        EXPECT_TRUE(near.contains(p)) << labels[i].image << " corner " << p;
        EXPECT_TRUE(box.contains(p)) << labels[i].image << " corner " << p;
      }
      EXPECT_GT(signed_area2(d.corners), 0.f) << labels[i].image;
      // First corner is the top-left one.
      EXPECT_LT(d.corners[0].x, d.corners[1].x);
      EXPECT_LT(d.corners[0].y, d.corners[3].y);
      break;
    }
  }
  EXPECT_GE(found, tried - 1) << found << " of " << tried;
}

// Corners come back in frame pixels: the same photo pasted into a larger
// canvas gives the same plate, shifted.
TEST_P(PlateTest, LetterboxMapsBack) {
  std::vector<Labelled> labels = read_labels();
  if (labels.empty()) GTEST_SKIP();
  cv::Mat img = cv::imread(labels[0].image.string());
  PlateOptions o;
  o.tile_above = 0.f;
  HyperLprPlateDetector det(model(), o);
  Detections a = det.detect(img);
  ASSERT_FALSE(a.empty());
  cv::Mat canvas(img.rows + 100, img.cols + 300, CV_8UC3, cv::Scalar::all(90));
  img.copyTo(canvas(cv::Rect(200, 60, img.cols, img.rows)));
  Detections b = det.detect(canvas);
  float best = 0;
  for (const Detection& d : b) best = std::max(best, iou(d.box, a[0].box + cv::Point2f(200, 60)));
  EXPECT_GT(best, 0.5f);
}

// A plate the tracker expects, too small for the whole-frame pass, gets a
// native tile centred on it, and that tile finds again what the grid of
// tiles found.
TEST_P(PlateTest, FocusTileFindsAnExpectedSmallPlate) {
  std::vector<Labelled> labels = read_labels();
  if (labels.empty()) GTEST_SKIP();
  PlateOptions o;
  HyperLprPlateDetector det(model(), o);
  int checked = 0, refound = 0;
  for (size_t i = 0; i < labels.size() && checked < 6; i += 7) {
    cv::Mat img = cv::imread(labels[i].image.string());
    ASSERT_FALSE(img.empty());
    float whole_scale = float(GetParam()) / std::max(img.cols, img.rows);
    Detections by_tiles;
    for (const DetectorPass& p : det.plan(img.size())) {
      if (p.region == cv::Rect(cv::Point(), img.size())) continue;  // a whole-frame pass
      Detections found = det.run(img, p);
      by_tiles.insert(by_tiles.end(), found.begin(), found.end());
    }
    for (const Detection& d : det.merge(by_tiles, img.size())) {
      if (d.score < 0.5f) continue;
      std::vector<DetectorPass> tiles = det.focus(img.size(), {d});
      if (d.box.width * whole_scale >= o.focus_below) {
        EXPECT_TRUE(tiles.empty());
        continue;
      }
      ASSERT_EQ(tiles.size(), 1u);
      cv::Rect2f tile(tiles[0].region);
      EXPECT_NEAR((tile & d.box).area(), d.box.area(), 1.f) << "tile " << tile << " misses " << d.box;
      Detections again = det.merge(det.run(img, tiles[0]), img.size());
      float best = 0;
      for (const Detection& e : again) best = std::max(best, iou(d.box, e.box));
      refound += best > 0.5f;
      ++checked;
    }
  }
  EXPECT_GE(checked, 4);
  // The network sees other surroundings in a tile placed elsewhere; a weak
  // candidate may not come back, a plate must.
  EXPECT_GE(refound, checked * 0.8) << refound << " of " << checked;
}

INSTANTIATE_TEST_SUITE_P(Models, PlateTest, ::testing::Values(320, 640));

}  // namespace
}  // namespace veil
