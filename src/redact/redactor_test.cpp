#include "veil/redact/redactor.hpp"

#include "test_paths.hpp"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace veil {
namespace {

// A real street photo; the box is its first annotated face (79,105)-(109,142).
cv::Mat street_photo() {
  cv::Mat m = cv::imread((test::shared_dir() / "data/faces-dev/images/maksssksksss0.jpg").string());
  EXPECT_FALSE(m.empty());
  return m;
}

Detection face_at(cv::Rect2f box) {
  Detection d;
  d.cls = ObjectClass::kFace;
  d.score = 0.9f;
  d.box = box;
  return d;
}

cv::Mat mask_for(const Redactor& r, const cv::Mat& img, const Detection& d) {
  cv::Mat mask = cv::Mat::zeros(img.size(), CV_8U);
  r.draw_mask(mask, d);
  return mask;
}

// Pixels outside the mask must be untouched, whatever the mode.
void expect_outside_unchanged(const cv::Mat& before, const cv::Mat& after, const cv::Mat& mask) {
  cv::Mat diff;
  cv::absdiff(before, after, diff);
  std::vector<cv::Mat> ch;
  cv::split(diff, ch);
  cv::Mat changed = ch[0] | ch[1] | ch[2];
  changed.setTo(0, mask);
  EXPECT_EQ(cv::countNonZero(changed), 0);
}

TEST(Redactor, FillPaintsExactlyTheScaledEllipse) {
  cv::Mat img = street_photo(), before = img.clone();
  RedactOptions o;
  o.mode = RedactMode::kFill;
  o.fill_color = cv::Scalar(0, 255, 0);
  Redactor r(o);
  Detection d = face_at({79, 105, 30, 37});
  r.apply(img, {d});
  cv::Mat mask = mask_for(r, img, d);
  // The mask is the box grown 1.3x: larger than the box, centred on it.
  cv::Rect bounds = cv::boundingRect(mask);
  EXPECT_NEAR(bounds.width, 30 * 1.3, 2);
  EXPECT_NEAR(bounds.height, 37 * 1.3, 2);
  EXPECT_NEAR(bounds.x + bounds.width / 2.0, 79 + 15, 1.5);
  cv::Mat green;
  cv::inRange(img, cv::Scalar(0, 255, 0), cv::Scalar(0, 255, 0), green);
  EXPECT_EQ(cv::countNonZero(green & mask), cv::countNonZero(mask));
  expect_outside_unchanged(before, img, mask);
}

// The tiniest face boxes (a prediction from a few pixels' sighting) hide at
// least min_face_mask_height, centred on the box, in the box's proportions;
// a 20 px box grows by its scale alone.
TEST(Redactor, TinyFaceBoxesHideAtLeastTheMinimumHeight) {
  cv::Mat img = street_photo();
  RedactOptions o;
  Redactor r(o);
  cv::Rect bounds = cv::boundingRect(mask_for(r, img, face_at({200, 100, 6, 8})));
  EXPECT_NEAR(bounds.height, o.min_face_mask_height, 1.5);
  EXPECT_NEAR(bounds.width, 6 * o.min_face_mask_height / 8, 1.5);
  EXPECT_NEAR(bounds.y + bounds.height / 2.0, 104, 1);
  const float twenty_scale = o.face_mask_scale + o.small_face_extra * (o.small_face_height - 20) / (o.small_face_height - 10);
  bounds = cv::boundingRect(mask_for(r, img, face_at({200, 100, 16, 20})));
  EXPECT_NEAR(bounds.height, 20 * twenty_scale, 2);  // (ellipses rasterize a pixel wider)
}

TEST(Redactor, BlurKeepsNoMoreDetailThanAFewCellsAcrossAtAnySize) {
  for (float side : {12.f, 40.f, 160.f}) {
    cv::Mat img = street_photo(), before = img.clone();
    RedactOptions o;
    o.shape = MaskShape::kBox;
    o.face_mask_scale = 1.0f;
    Redactor r(o);
    cv::Rect2f box(200, 120, side, side);
    r.apply(img, {face_at(box)});
    cv::Rect rb(box);
    cv::Mat orig = before(rb), blurred = img(rb);
    // Detail = what an 8x8 summary cannot explain. The original face area
    // has plenty; the blurred one must have almost none, however big it is.
    auto residual = [](const cv::Mat& m) {
      cv::Mat tiny, back, diff;
      cv::resize(m, tiny, cv::Size(kMaxBlocksAcross, kMaxBlocksAcross), 0, 0, cv::INTER_AREA);
      cv::resize(tiny, back, m.size(), 0, 0, cv::INTER_LINEAR);
      cv::absdiff(m, back, diff);
      cv::Scalar s = cv::mean(diff);
      return (s[0] + s[1] + s[2]) / 3;
    };
    EXPECT_GT(cv::norm(orig, blurred, cv::NORM_L1), 0) << side;
    EXPECT_LT(residual(blurred), 0.5 * residual(orig) + 1.0) << "side " << side;
    expect_outside_unchanged(before, img, mask_for(r, img, face_at(box)));
  }
}

TEST(Redactor, PixelateHasAtMostTheBlockBudgetOfColours) {
  cv::Mat img = street_photo();
  RedactOptions o;
  o.mode = RedactMode::kPixelate;
  o.shape = MaskShape::kBox;
  o.face_mask_scale = 1.0f;
  o.block_size = 4;  // asks for 40 blocks across; capped to kMaxBlocksAcross
  Redactor r(o);
  cv::Rect box(200, 100, 160, 160);
  r.apply(img, {face_at(box)});
  cv::Mat roi = img(box).clone();
  std::set<std::tuple<int, int, int>> colours;
  for (int y = 0; y < roi.rows; ++y)
    for (int x = 0; x < roi.cols; ++x) {
      auto p = roi.at<cv::Vec3b>(y, x);
      colours.insert({p[0], p[1], p[2]});
    }
  EXPECT_LE(colours.size(), static_cast<size_t>(kMaxBlocksAcross * kMaxBlocksAcross));
  EXPECT_GT(colours.size(), 4u);
}

TEST(Redactor, PlateMaskFollowsTheCornersNotTheBox) {
  cv::Mat img(200, 300, CV_8UC3, cv::Scalar(200, 200, 200));
  Detection d;
  d.cls = ObjectClass::kPlate;
  // A plate seen at an angle: a parallelogram inside its bounding box.
  d.corners = {{100, 80}, {200, 100}, {200, 130}, {100, 110}};
  d.box = cv::Rect2f(100, 80, 100, 50);
  RedactOptions o;
  o.mode = RedactMode::kFill;
  o.plate_mask_scale = 1.0f;
  Redactor r(o);
  r.apply(img, {d});
  EXPECT_EQ(img.at<cv::Vec3b>(105, 150), cv::Vec3b(0, 0, 0));          // inside the plate
  EXPECT_EQ(img.at<cv::Vec3b>(125, 110), cv::Vec3b(200, 200, 200));    // box corner, off the plate
}

TEST(Redactor, NoneModeChangesNothingAndClipsAtTheBorder) {
  cv::Mat img = street_photo(), before = img.clone();
  Redactor none(RedactOptions{RedactMode::kNone});
  none.apply(img, {face_at({-20, -20, 60, 60})});
  EXPECT_EQ(cv::norm(img, before, cv::NORM_L1), 0);
  RedactOptions o;
  o.mode = RedactMode::kFill;
  Redactor fill(o);
  fill.apply(img, {face_at({-20, -20, 60, 60}), face_at({img.cols - 10.f, img.rows - 10.f, 50, 50})});
  EXPECT_EQ(img.at<cv::Vec3b>(0, 0), cv::Vec3b(0, 0, 0));
  EXPECT_EQ(img.at<cv::Vec3b>(img.rows - 1, img.cols - 1), cv::Vec3b(0, 0, 0));
}

}  // namespace
}  // namespace veil
