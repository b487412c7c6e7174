// The library's facade (veil/veil.hpp) on real photos and a real clip: the
// same objects whatever the pixel layout, redaction that touches only what
// was found, and anonymize with progress and a per-run cancel.
#include "test_paths.hpp"
#include "veil/veil.hpp"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>
#include <thread>

namespace veil {
namespace {

namespace fs = std::filesystem;

const std::string kPhoto = (test::shared_dir() / "data/faces-dev/images/maksssksksss0.jpg").string();

DetectorOptions from_mirror() {
  DetectorOptions o;
  o.model_dir = test::model_dir().string();
  o.offline = true;
  return o;
}

std::vector<std::tuple<std::string, int, int, int, int>> boxes_of(const std::vector<FoundObject>& found) {
  std::vector<std::tuple<std::string, int, int, int, int>> out;
  for (const auto& f : found) {
    out.emplace_back(f.cls, int(std::lround(f.box.x)), int(std::lround(f.box.y)), int(std::lround(f.box.width)),
                     int(std::lround(f.box.height)));
  }
  std::sort(out.begin(), out.end());
  return out;
}

class Facade : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { detector_ = new ObjectDetector(from_mirror()); }
  static void TearDownTestSuite() { delete detector_; }
  static ObjectDetector* detector_;
};
ObjectDetector* Facade::detector_ = nullptr;

TEST_F(Facade, FindsTheSameObjectsWhateverThePixelLayout) {
  const Picture photo = read_picture(kPhoto);
  const auto expected = boxes_of(detector_->detect(photo.view()));
  ASSERT_GE(std::count_if(expected.begin(), expected.end(), [](const auto& b) { return std::get<0>(b) == "face"; }), 2);

  const cv::Mat bgr(photo.height, photo.width, CV_8UC3, const_cast<std::uint8_t*>(photo.pixels.data()));
  cv::Mat rgb, rgba;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  cv::cvtColor(bgr, rgba, cv::COLOR_BGR2RGBA);
  EXPECT_EQ(boxes_of(detector_->detect({rgb.data, rgb.cols, rgb.rows, 0, PixelFormat::kRgb})), expected);
  EXPECT_EQ(boxes_of(detector_->detect({rgba.data, rgba.cols, rgba.rows, 0, PixelFormat::kRgba})), expected);

  // A view into a larger picture: rows farther apart than they are long.
  cv::Mat wide(photo.height, photo.width + 37, CV_8UC3, cv::Scalar(0, 255, 0));
  bgr.copyTo(wide(cv::Rect(0, 0, photo.width, photo.height)));
  const ImageView view{wide.data, photo.width, photo.height, std::ptrdiff_t(wide.step), PixelFormat::kBgr};
  EXPECT_EQ(boxes_of(detector_->detect(view)), expected);
}

TEST_F(Facade, RefusesPicturesItCannotRead) {
  std::vector<std::uint8_t> pixels(30 * 20 * 3);
  EXPECT_THROW(detector_->detect({nullptr, 30, 20, 0, PixelFormat::kBgr}), Error);
  EXPECT_THROW(detector_->detect({pixels.data(), 0, 20, 0, PixelFormat::kBgr}), Error);
  EXPECT_THROW(detector_->detect({pixels.data(), 30, 20, 60, PixelFormat::kBgr}), Error) << "stride shorter than a row";
  EXPECT_THROW(detector_->detect({pixels.data(), 9000, 20, 0, PixelFormat::kBgr}), Error);
  EXPECT_THROW(read_picture(test::video_dir() / "face-demographics-walking.gif"), Error) << "a video";
  EXPECT_THROW(ObjectDetector({{"face", "dog"}}), Error);
}

TEST_F(Facade, RedactChangesOnlyWhatWasFoundInPlaceOrIntoACopy) {
  Picture photo = read_picture(kPhoto);
  const std::vector<FoundObject> found = detector_->detect(photo.view());
  Picture copy = photo;
  redact(photo.view(), copy.view(), found);
  const cv::Mat before(photo.height, photo.width, CV_8UC3, photo.pixels.data());
  const cv::Mat after(copy.height, copy.width, CV_8UC3, copy.pixels.data());
  cv::Mat changed;
  cv::absdiff(before, after, changed);
  cv::cvtColor(changed, changed, cv::COLOR_BGR2GRAY);
  cv::Mat inside = cv::Mat::zeros(changed.size(), CV_8U);
  for (const auto& f : found) {
    // The hidden area is the box grown by the mask scale (1.3, more for small faces).
    const float grow = 0.5f * f.box.width, grow_y = 0.5f * f.box.height;
    cv::rectangle(inside, cv::Rect(int(f.box.x - grow), int(f.box.y - grow_y), int(f.box.width + 2 * grow),
                                   int(f.box.height + 2 * grow_y)),
                  255, cv::FILLED);
  }
  EXPECT_EQ(cv::countNonZero(changed & ~inside), 0) << "pixels changed away from every found object";
  for (const auto& f : found) {
    const cv::Rect r(int(f.box.x), int(f.box.y), std::max(1, int(f.box.width)), std::max(1, int(f.box.height)));
    EXPECT_GT(cv::countNonZero(changed(r & cv::Rect(0, 0, changed.cols, changed.rows))), 0) << f.cls << " not hidden";
  }
  redact(photo.view(), photo.view(), found);  // in place: the same pixels
  EXPECT_EQ(photo.pixels, copy.pixels);

  FoundObject dog;
  dog.cls = "dog";
  EXPECT_THROW(redact(photo.view(), photo.view(), {dog}), Error);
  RedactStyle smudge;
  smudge.mode = "smudge";
  EXPECT_THROW(redact(photo.view(), photo.view(), found, smudge), Error);
  Picture small = photo;
  small.width -= 1;
  EXPECT_THROW(redact(photo.view(), small.view(), found), Error);
}

TEST(FacadeAnonymize, ReportsProgressAndACancelStopsOnlyItsOwnRun) {
  const fs::path dir = test::make_temp_dir("facade");
  const std::string clip = (test::video_dir() / "face-demographics-walking.gif").string();
  AnonymizeSettings settings;
  settings.detection = from_mirror();
  settings.preset = "ultrafast";
  std::int64_t frames_told = 0;
  const AnonymizeSummary s = anonymize(clip, (dir / "walk.mp4").string(), settings,
                                       [&](const AnonymizeProgress& p) { frames_told = p.frame; });
  EXPECT_EQ(s.frames, 35) << "the walking GIF has 35 frames";
  EXPECT_EQ(frames_told, s.frames);
  EXPECT_GE(s.objects.at("face"), 1);
  EXPECT_GT(s.footage_seconds, 2.5);
  EXPECT_EQ(s.outputs, std::vector<std::string>{(dir / "walk.mp4").string()});
  EXPECT_NE(s.to_json().find("\"frames\":" + std::to_string(s.frames)), std::string::npos) << s.to_json();

  // Cancelled from another thread after a few frames: nothing written.
  std::atomic<bool> cancel{false};
  std::atomic<int> seen{0};
  std::thread canceller([&] {
    while (seen < 5) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    cancel = true;
  });
  EXPECT_THROW(anonymize(clip, (dir / "cancelled.mp4").string(), settings,
                         [&](const AnonymizeProgress&) { ++seen; }, &cancel),
               Error);
  canceller.join();
  EXPECT_FALSE(fs::exists(dir / "cancelled.mp4"));
  for (const auto& e : fs::directory_iterator(dir)) EXPECT_EQ(e.path().filename(), "walk.mp4") << "a temporary left";
  // The cancel was that run's own: the next one works.
  EXPECT_EQ(anonymize(clip, (dir / "again.mp4").string(), settings).frames, s.frames);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace veil
