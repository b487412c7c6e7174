#include "track/tracker.hpp"

#include <gtest/gtest.h>

#include <set>

namespace veil {
namespace {

Detection face_at(float x, float y, float size = 40.f, float score = 0.9f) {
  Detection d;
  d.cls = ObjectClass::kFace;
  d.score = score;
  d.box = cv::Rect2f(x, y, size, size);
  return d;
}

cv::Point2f centre(const cv::Rect2f& r) { return {r.x + r.width / 2, r.y + r.height / 2}; }

// The returned detection whose box holds `p`, or null.
const Detection* detection_at(const Detections& dets, cv::Point2f p) {
  for (const auto& d : dets) {
    if (d.box.contains(p)) return &d;
  }
  return nullptr;
}

// A still face that two models box a little differently, the leading box
// changing hands between them from frame to frame (fuse_models keeps the
// best-scoring one): the track reads its motion from one model's boxes, so
// it sees none, and its prediction stays on the face.
TEST(Tracker, MotionComesFromOneModelsBoxesOfAFusedObject) {
  Tracker tracker(TrackerOptions{});
  const cv::Rect2f yunet(200, 100, 40, 48), retina(188, 92, 48, 60);
  for (int f = 0; f < 6; ++f) {
    Detection d = face_at(0, 0);
    const bool retina_leads = f % 2 == 1;
    d.model = retina_leads ? "retinaface-face" : "yunet-face";
    d.box = retina_leads ? retina : yunet;
    Sighting y{"yunet-face", 0.8f, yunet, {}}, r{"retinaface-face", 0.8f, retina, {}};
    d.found_by = retina_leads ? std::vector<Sighting>{r, y} : std::vector<Sighting>{y, r};
    tracker.update({d}, {640, 480});
  }
  ASSERT_EQ(tracker.tracks().size(), 1u);
  EXPECT_LT(cv::norm(tracker.tracks()[0].velocity), 0.01);
  const Detections ahead = tracker.expected(5);
  ASSERT_EQ(ahead.size(), 1u);
  ASSERT_EQ(ahead[0].found_by.size(), 2u);
  // Each model's box moves (here: stays) with the track, grown about the
  // object's centre for the uncertainty: it still covers where it was.
  EXPECT_LT(cv::norm(centre(ahead[0].found_by[0].box) - centre(retina)), 0.5);
  EXPECT_EQ(ahead[0].found_by[1].box & yunet, yunet);
}

TEST(Tracker, FillsEveryThirdMissedFrameWithOneTrack) {
  Tracker tracker(TrackerOptions{});
  std::set<int> ids;
  for (int f = 0; f < 30; ++f) {
    cv::Rect2f truth(50.f + 6.f * f, 100.f + 2.f * f, 40.f, 40.f);
    Detections found;
    if (f % 3 != 2) found.push_back(face_at(truth.x, truth.y));
    Detections out = tracker.update(found, {640, 480});
    ASSERT_EQ(out.size(), 1u) << "frame " << f;
    const Detection* d = detection_at(out, centre(truth));
    ASSERT_NE(d, nullptr) << "frame " << f;
    EXPECT_EQ(d->predicted, found.empty());
    // The prediction should be close, not just somewhere around the object.
    EXPECT_LT(cv::norm(centre(d->box) - centre(truth)), 4.0) << "frame " << f;
    ids.insert(d->track_id);
  }
  EXPECT_EQ(ids.size(), 1u);
  EXPECT_GT(*ids.begin(), 0);
}

TEST(Tracker, CrossingObjectsKeepTheirIds) {
  Tracker tracker(TrackerOptions{});
  int id_a = -1, id_b = -1;
  for (int f = 0; f < 40; ++f) {
    cv::Rect2f a(40.f + 8.f * f, 200.f, 40.f, 40.f);
    cv::Rect2f b(360.f - 8.f * f, 215.f, 40.f, 40.f);
    Detections found = {face_at(a.x, a.y)};
    // B is missed while the two overlap most, where a swap would happen.
    bool b_missed = f == 20 || f == 21;
    if (!b_missed) found.push_back(face_at(b.x, b.y));
    Detections out = tracker.update(found, {640, 480});
    ASSERT_EQ(out.size(), 2u) << "frame " << f;
    if (f == 0) {
      id_a = out[0].track_id;
      id_b = out[1].track_id;
      ASSERT_NE(id_a, id_b);
    }
    EXPECT_EQ(out[0].track_id, id_a) << "frame " << f;
    EXPECT_FALSE(out[0].predicted);
    EXPECT_EQ(out[1].track_id, id_b) << "frame " << f;
    EXPECT_EQ(out[1].predicted, b_missed);
    EXPECT_TRUE(out[1].box.contains(centre(b))) << "frame " << f;
  }
}

TEST(Tracker, SmallFastObjectStillMatches) {
  // A 12 px face moving 15 px a frame: consecutive boxes never overlap, so
  // only the centre-distance fallback links them.
  Tracker tracker(TrackerOptions{});
  std::set<int> ids;
  for (int f = 0; f < 20; ++f) {
    Detections out = tracker.update({face_at(10.f + 15.f * f, 50.f, 12.f)}, {640, 480});
    ASSERT_EQ(out.size(), 1u) << "frame " << f;
    ids.insert(out[0].track_id);
  }
  EXPECT_EQ(ids.size(), 1u);
}

TEST(Tracker, TrackDiesAfterMaxGap) {
  TrackerOptions options;
  options.max_gap = 5;
  Tracker tracker(options);
  for (int f = 0; f < 3; ++f) tracker.update({face_at(100.f, 100.f)}, {640, 480});
  for (int f = 0; f < options.max_gap; ++f) {
    Detections out = tracker.update({}, {640, 480});
    ASSERT_EQ(out.size(), 1u) << "miss " << f;
    EXPECT_TRUE(out[0].predicted);
    EXPECT_FLOAT_EQ(out[0].score, 0.9f);
    EXPECT_TRUE(out[0].box.contains({120.f, 120.f}));
  }
  EXPECT_TRUE(tracker.update({}, {640, 480}).empty());
  EXPECT_TRUE(tracker.tracks().empty());
}

TEST(Tracker, TrackDiesWhenItLeavesTheFrame) {
  Tracker tracker(TrackerOptions{});
  // Moving right at 30 px a frame, last seen 50 px from the right edge.
  for (int f = 0; f < 4; ++f) tracker.update({face_at(460.f + 30.f * f, 200.f)}, {600, 400});
  int predicted = 0;
  for (int f = 0; f < 10; ++f) predicted += int(tracker.update({}, {600, 400}).size());
  EXPECT_GE(predicted, 1);
  EXPECT_LT(predicted, 10);
  EXPECT_TRUE(tracker.tracks().empty());
}

TEST(Tracker, ClassesAreTrackedSeparately) {
  Tracker tracker(TrackerOptions{});
  Detection plate = face_at(100.f, 100.f);
  plate.cls = ObjectClass::kPlate;
  Detections out = tracker.update({face_at(100.f, 100.f)}, {});
  out = tracker.update({plate}, {});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].cls, ObjectClass::kPlate);
  EXPECT_FALSE(out[0].predicted);
  EXPECT_EQ(out[1].cls, ObjectClass::kFace);
  EXPECT_TRUE(out[1].predicted);
  EXPECT_NE(out[0].track_id, out[1].track_id);
}

TEST(Tracker, PlateCornersFollowThePrediction) {
  Tracker tracker(TrackerOptions{});
  auto plate_at = [](float x) {
    Detection d;
    d.cls = ObjectClass::kPlate;
    d.score = 0.8f;
    d.box = cv::Rect2f(x, 300.f, 100.f, 30.f);
    d.corners = {{x, 300.f}, {x + 100.f, 302.f}, {x + 100.f, 330.f}, {x, 328.f}};
    return d;
  };
  for (int f = 0; f < 4; ++f) tracker.update({plate_at(100.f + 10.f * f)}, {640, 480});
  Detections out = tracker.update({}, {640, 480});
  ASSERT_EQ(out.size(), 1u);
  const Detection& p = out[0];
  ASSERT_EQ(p.corners.size(), 4u);
  // The box moved one step on, to x = 140; the corners with it.
  cv::Point2f c = centre(p.box);
  EXPECT_NEAR(c.x, 190.f, 1.f);
  EXPECT_NEAR(c.y, 315.f, 1.f);
  for (const auto& q : p.corners) {
    EXPECT_GE(q.x, p.box.x - 0.01f);
    EXPECT_LE(q.x, p.box.x + p.box.width + 0.01f);
  }
  EXPECT_LT(p.corners[0].x, c.x);
  EXPECT_GT(p.corners[1].x, c.x);
}

TEST(Extrapolate, MovesBackwardsAndGrows) {
  Detection d = face_at(100.f, 100.f, 20.f);
  Detection back = extrapolate(d, {5.f, 0.f}, {0.f, 0.f}, -4.f, 0.1f);
  EXPECT_TRUE(back.predicted);
  EXPECT_NEAR(centre(back.box).x, 90.f, 1e-3);
  EXPECT_NEAR(back.box.width, 28.f, 1e-3);
}

}  // namespace
}  // namespace veil
