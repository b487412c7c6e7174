#include "veil/track/lookahead_buffer.hpp"

#include "test_paths.hpp"
#include "veil/detect/nms.hpp"
#include "veil/detect/yunet_face_detector.hpp"
#include "veil/track/synthetic_motion.hpp"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>

namespace veil {
namespace {
namespace fs = std::filesystem;

Detection face_at(float x, float y, float size = 40.f) {
  Detection d;
  d.cls = ObjectClass::kFace;
  d.score = 0.9f;
  d.box = cv::Rect2f(x, y, size, size);
  return d;
}

Frame blank_frame(std::int64_t index) {
  Frame f;
  f.image = cv::Mat(480, 640, CV_8UC3, cv::Scalar::all(0));
  f.index = index;
  return f;
}

cv::Point2f centre(const cv::Rect2f& r) { return {r.x + r.width / 2, r.y + r.height / 2}; }

// Pushes `found[i]` with frame i, then flushes; returns everything released.
LookaheadBuffer::Output run_all(LookaheadBuffer& buffer, const std::vector<Detections>& found) {
  LookaheadBuffer::Output all;
  for (size_t i = 0; i < found.size(); ++i) {
    auto out = buffer.push(blank_frame(std::int64_t(i)), found[i]);
    EXPECT_LE(buffer.buffered(), 8u);
    for (auto& o : out) all.push_back(std::move(o));
  }
  for (auto& o : buffer.flush()) all.push_back(std::move(o));
  return all;
}

// ---------------------------------------------------------------------------
// Synthetic detections

TEST(LookaheadBuffer, KeepsFrameOrderAndCount) {
  LookaheadBuffer buffer(LookaheadOptions{});
  std::vector<std::int64_t> seen;
  for (int i = 0; i < 20; ++i) {
    auto out = buffer.push(blank_frame(i), {});
    EXPECT_EQ(out.size(), i < 8 ? 0u : 1u) << "push " << i;
    EXPECT_LE(buffer.buffered(), 8u);
    for (const auto& [frame, dets] : out) seen.push_back(frame.index);
  }
  auto rest = buffer.flush();
  EXPECT_EQ(rest.size(), 8u);
  for (const auto& [frame, dets] : rest) seen.push_back(frame.index);
  EXPECT_EQ(buffer.buffered(), 0u);
  ASSERT_EQ(seen.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(seen[size_t(i)], i);
  EXPECT_TRUE(buffer.flush().empty());
}

TEST(LookaheadBuffer, WindowZeroReleasesAtOnceAndStillFillsGaps) {
  LookaheadOptions options;
  options.window = 0;
  LookaheadBuffer buffer(options);
  for (int i = 0; i < 6; ++i) {
    Detections found;
    if (i != 3) found.push_back(face_at(100.f + 5.f * i, 100.f));
    auto out = buffer.push(blank_frame(i), found);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].first.index, i);
    ASSERT_EQ(out[0].second.size(), 1u) << "frame " << i;
    EXPECT_EQ(out[0].second[0].predicted, i == 3);
  }
  EXPECT_TRUE(buffer.flush().empty());
}

TEST(LookaheadBuffer, LateFirstDetectionIsBackFilled) {
  // A still face, visible from frame 0 but first found in frame 10.
  std::vector<Detections> found(20);
  for (int i = 10; i < 20; ++i) found[size_t(i)] = {face_at(200.f, 150.f)};
  LookaheadBuffer buffer(LookaheadOptions{});
  auto all = run_all(buffer, found);
  ASSERT_EQ(all.size(), 20u);
  int id = all[10].second.at(0).track_id;
  for (int i = 0; i < 20; ++i) {
    const auto& [frame, dets] = all[size_t(i)];
    EXPECT_EQ(frame.index, i);
    if (i < 2) {
      EXPECT_TRUE(dets.empty()) << "frame " << i << " is beyond the window";
      continue;
    }
    ASSERT_EQ(dets.size(), 1u) << "frame " << i;
    EXPECT_EQ(dets[0].track_id, id);
    EXPECT_EQ(dets[0].predicted, i < 10);
    EXPECT_TRUE(dets[0].box.contains({220.f, 170.f}));
  }
  // Grown with distance from the first sighting.
  EXPECT_GT(all[2].second[0].box.width, all[9].second[0].box.width);
}

TEST(LookaheadBuffer, BackFillFollowsTheMotionOnceKnown) {
  // Moving 5 px a frame, first found in frame 10. After the second and third
  // sightings the back-filled boxes still held are moved along the motion.
  auto truth = [](int i) { return cv::Rect2f(100.f + 5.f * i, 150.f, 40.f, 40.f); };
  std::vector<Detections> found(20);
  for (int i = 10; i < 20; ++i) found[size_t(i)] = {face_at(truth(i).x, truth(i).y)};
  LookaheadBuffer buffer(LookaheadOptions{});
  auto all = run_all(buffer, found);
  ASSERT_EQ(all.size(), 20u);
  // Frame 2 left before the second sighting; 3..9 were refined.
  for (int i = 3; i < 10; ++i) {
    const auto& dets = all[size_t(i)].second;
    ASSERT_EQ(dets.size(), 1u) << "frame " << i;
    EXPECT_LT(cv::norm(centre(dets[0].box) - centre(truth(i))), 2.0) << "frame " << i;
  }
}

TEST(LookaheadBuffer, NoDuplicateWhereTheObjectIsAlreadyHidden) {
  // Found in 0..3, lost long enough for its track to die (max_gap 2), found
  // again in 7 as a new track. Frames 0..5 already hide it (detections, then
  // predictions); only frame 6 needs the back-fill.
  LookaheadOptions options;
  options.tracker.max_gap = 2;
  std::vector<Detections> found(10);
  for (int i : {0, 1, 2, 3, 7, 8, 9}) found[size_t(i)] = {face_at(300.f, 200.f)};
  LookaheadBuffer buffer(options);
  auto all = run_all(buffer, found);
  ASSERT_EQ(all.size(), 10u);
  int old_id = all[0].second.at(0).track_id;
  int new_id = all[7].second.at(0).track_id;
  EXPECT_NE(old_id, new_id);
  for (int i = 0; i < 10; ++i) {
    const auto& dets = all[size_t(i)].second;
    ASSERT_EQ(dets.size(), 1u) << "frame " << i;
    EXPECT_EQ(dets[0].track_id, i <= 5 ? old_id : new_id) << "frame " << i;
  }
}

TEST(LookaheadBuffer, FlushReturnsTheRestAndStartsOver) {
  LookaheadBuffer buffer(LookaheadOptions{});
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(buffer.push(blank_frame(i), {face_at(10.f, 10.f)}).empty());
  auto rest = buffer.flush();
  ASSERT_EQ(rest.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(rest[size_t(i)].first.index, i);
  // A new input: the old track is gone, so nothing is predicted for it.
  buffer.push(blank_frame(0), {});
  rest = buffer.flush();
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_TRUE(rest[0].second.empty());
}

// ---------------------------------------------------------------------------
// Synthetic motion helper

TEST(SyntheticMotion, PanMovesTheTruthAgainstTheCamera) {
  cv::Mat image(300, 600, CV_8UC3, cv::Scalar::all(0));
  cv::rectangle(image, cv::Rect(290, 140, 20, 20), cv::Scalar::all(255), cv::FILLED);
  CameraPath path = pan_path(image.size(), {320, 240}, 11);
  SyntheticClip clip = render_clip(image, {{290.f, 140.f, 20.f, 20.f}}, path);
  ASSERT_EQ(clip.frames.size(), 11u);
  ASSERT_EQ(clip.truth.size(), 11u);
  float last_x = 1e9f;
  for (size_t f = 0; f < clip.frames.size(); ++f) {
    EXPECT_EQ(clip.frames[f].size(), cv::Size(320, 240));
    const cv::Rect2f& t = clip.truth[f][0];
    if (t.empty()) continue;
    EXPECT_LT(t.x, last_x);
    last_x = t.x;
    // The drawn square is where the truth says.
    cv::Point2f c = centre(t);
    if (t.width > 4 && c.x > 1 && c.x < 319) EXPECT_GT(clip.frames[f].at<cv::Vec3b>(cv::Point(c))[0], 200);
  }
  EXPECT_NEAR(clip.truth.front()[0].x, 290.f * 320.f / 360.f, 0.5f);
  EXPECT_NEAR(clip.truth.back()[0].x, 50.f * 320.f / 360.f, 0.5f);
}

TEST(SyntheticMotion, ZoomGrowsTheTruthAndDropsWhatLeaves) {
  cv::Mat image(300, 400, CV_8UC3, cv::Scalar::all(0));
  std::vector<cv::Rect2f> boxes = {{190.f, 140.f, 20.f, 20.f}, {5.f, 5.f, 20.f, 20.f}};
  SyntheticClip clip = render_clip(image, boxes, zoom_path(image.size(), {400, 300}, 10, {200.f, 150.f}, 0.5f));
  EXPECT_NEAR(clip.truth.front()[0].width, 20.f, 0.5f);
  EXPECT_NEAR(clip.truth.back()[0].width, 40.f, 0.5f);
  EXPECT_FALSE(clip.truth.front()[1].empty());
  EXPECT_TRUE(clip.truth.back()[1].empty());
}

// ---------------------------------------------------------------------------
// Real motion: annotated photos of faces-dev, panned and zoomed, through the
// real face detector.

std::vector<cv::Rect2f> read_voc_boxes(const fs::path& xml) {
  std::ifstream in(xml);
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  static const std::regex box(
      R"(<xmin>\s*([\d.]+)\s*</xmin>\s*<ymin>\s*([\d.]+)\s*</ymin>\s*<xmax>\s*([\d.]+)\s*</xmax>\s*<ymax>\s*([\d.]+)\s*</ymax>)");
  std::vector<cv::Rect2f> boxes;
  for (auto it = std::sregex_iterator(s.begin(), s.end(), box); it != std::sregex_iterator(); ++it) {
    float x0 = std::stof((*it)[1]), y0 = std::stof((*it)[2]);
    float x1 = std::stof((*it)[3]), y1 = std::stof((*it)[4]);
    boxes.emplace_back(x0, y0, x1 - x0, y1 - y0);
  }
  return boxes;
}

constexpr float kMinFace = 20.f;  // GT faces smaller than this are not scored

// A GT face counts as hidden when its centre is inside a returned box grown
// 1.3x (the redactor's default face mask scale) or the boxes overlap.
bool covered(const cv::Rect2f& gt, const Detections& dets) {
  for (const auto& d : dets) {
    if (d.cls != ObjectClass::kFace) continue;
    cv::Point2f c = centre(d.box);
    cv::Rect2f grown(c.x - 0.65f * d.box.width, c.y - 0.65f * d.box.height, 1.3f * d.box.width,
                     1.3f * d.box.height);
    if (grown.contains(centre(gt)) || iou(gt, d.box) > 0.3f) return true;
  }
  return false;
}

struct Score {
  int pairs = 0;    // (frame, GT face >= kMinFace)
  int covered = 0;
  int flicker = 0;  // uncovered with the same face covered before and after
  int boxes = 0;    // face boxes returned
  int stray = 0;    // of which cover no GT face at all (over-blurring)
  double share() const { return pairs ? double(covered) / pairs : 1.0; }
};

Score score_clip(const SyntheticClip& clip, const std::vector<Detections>& dets) {
  Score s;
  size_t objects = clip.truth.empty() ? 0 : clip.truth[0].size();
  for (size_t o = 0; o < objects; ++o) {
    std::vector<bool> hit;  // over the frames where this face is scored
    for (size_t f = 0; f < clip.truth.size(); ++f) {
      const cv::Rect2f& gt = clip.truth[f][o];
      if (gt.width < kMinFace || gt.height < kMinFace) continue;
      hit.push_back(covered(gt, dets[f]));
    }
    s.pairs += int(hit.size());
    s.covered += int(std::count(hit.begin(), hit.end(), true));
    auto first = std::find(hit.begin(), hit.end(), true);
    auto last = std::find(hit.rbegin(), hit.rend(), true).base();
    if (first < last) s.flicker += int(std::count(first, last, false));
  }
  for (size_t f = 0; f < dets.size(); ++f) {
    for (const auto& d : dets[f]) {
      if (d.cls != ObjectClass::kFace) continue;
      s.boxes++;
      bool any = std::any_of(clip.truth[f].begin(), clip.truth[f].end(),
                             [&](const cv::Rect2f& gt) { return !gt.empty() && covered(gt, {d}); });
      if (!any) s.stray++;
    }
  }
  return s;
}

// Runs detections through a buffer, returns the final detections per frame.
std::vector<Detections> through_buffer(const SyntheticClip& clip, const std::vector<Detections>& raw,
                                       int window) {
  LookaheadOptions options;
  options.window = window;
  LookaheadBuffer buffer(options);
  std::vector<Detections> out(raw.size());
  std::vector<int> released(raw.size(), 0);
  auto take = [&](LookaheadBuffer::Output batch) {
    for (auto& [frame, dets] : batch) {
      out[size_t(frame.index)] = std::move(dets);
      released[size_t(frame.index)]++;
    }
  };
  for (size_t f = 0; f < raw.size(); ++f) {
    Frame frame;
    frame.image = clip.frames[f];
    frame.index = std::int64_t(f);
    take(buffer.push(std::move(frame), raw[f]));
  }
  take(buffer.flush());
  for (size_t f = 0; f < raw.size(); ++f) EXPECT_EQ(released[f], 1) << "frame " << f;
  return out;
}

void add(Score& total, const Score& s) {
  total.pairs += s.pairs;
  total.covered += s.covered;
  total.flicker += s.flicker;
  total.boxes += s.boxes;
  total.stray += s.stray;
}

TEST(LookaheadBufferRealMotion, HidesAtLeastAsMuchWithoutFlicker) {
  fs::path data = test::shared_dir() / "data" / "faces-dev";
  fs::path model = test::model_dir() / "yunet" / "face_detection_yunet_2023mar.onnx";
  if (!fs::exists(data / "annotations") || !fs::exists(model)) GTEST_SKIP() << "needs faces-dev and the YuNet model";

  // The first few photos, in name order, with at least three faces big
  // enough to matter once the camera window is scaled up.
  std::vector<std::pair<fs::path, std::vector<cv::Rect2f>>> photos;
  std::vector<fs::path> xmls;
  for (const auto& e : fs::directory_iterator(data / "annotations")) xmls.push_back(e.path());
  std::sort(xmls.begin(), xmls.end());
  for (const auto& xml : xmls) {
    auto boxes = read_voc_boxes(xml);
    int big = int(std::count_if(boxes.begin(), boxes.end(),
                                [](const cv::Rect2f& b) { return b.width >= 16 && b.height >= 16; }));
    fs::path image = data / "images" / (xml.stem().string() + ".jpg");
    if (big >= 3 && fs::exists(image)) photos.emplace_back(image, boxes);
    if (photos.size() == 4) break;
  }
  ASSERT_FALSE(photos.empty());

  YuNetFaceDetector detector(model, YuNetOptions{});
  const cv::Size output(640, 480);
  const int frames = 30;
  Score raw_total, gap_total, look_total;
  for (const auto& [path, boxes] : photos) {
    cv::Mat image = cv::imread(path.string(), cv::IMREAD_COLOR);
    ASSERT_FALSE(image.empty()) << path;
    auto largest = *std::max_element(boxes.begin(), boxes.end(),
                                     [](const cv::Rect2f& a, const cv::Rect2f& b) { return a.area() < b.area(); });
    std::vector<std::pair<std::string, CameraPath>> paths = {
        {"pan", pan_path(image.size(), output, frames)},
        {"zoom", zoom_path(image.size(), output, frames, centre(largest))},
    };
    for (const auto& [kind, camera] : paths) {
      SyntheticClip clip = render_clip(image, boxes, camera);
      std::vector<Detections> raw;
      for (const auto& f : clip.frames) raw.push_back(detector.detect(f));
      Score r = score_clip(clip, raw);
      Score g = score_clip(clip, through_buffer(clip, raw, 0));
      Score l = score_clip(clip, through_buffer(clip, raw, 8));
      std::printf("  %-22s %-4s  pairs %3d  covered: detector %3d (%d flicker)  tracker %3d (%d)  lookahead %3d (%d)\n",
                  path.filename().string().c_str(), kind.c_str(), r.pairs, r.covered, r.flicker, g.covered,
                  g.flicker, l.covered, l.flicker);
      EXPECT_GE(l.covered, r.covered) << path << " " << kind;
      EXPECT_EQ(l.flicker, 0) << path << " " << kind;
      add(raw_total, r);
      add(gap_total, g);
      add(look_total, l);
    }
  }
  std::printf("  total: %d pairs; covered share detector %.3f (%d flicker leaks), tracker %.3f (%d), "
              "lookahead %.3f (%d)\n",
              raw_total.pairs, raw_total.share(), raw_total.flicker, gap_total.share(), gap_total.flicker,
              look_total.share(), look_total.flicker);
  std::printf("  face boxes (of which on no GT face): detector %d (%d), tracker %d (%d), lookahead %d (%d)\n",
              raw_total.boxes, raw_total.stray, gap_total.boxes, gap_total.stray, look_total.boxes,
              look_total.stray);
  RecordProperty("detector_share", std::to_string(raw_total.share()));
  RecordProperty("lookahead_share", std::to_string(look_total.share()));
  RecordProperty("detector_flicker", raw_total.flicker);
  EXPECT_GE(look_total.share(), raw_total.share());
  EXPECT_EQ(look_total.flicker, 0);
}

}  // namespace
}  // namespace veil
