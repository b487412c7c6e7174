// One object, one track: with the default line-up (two face models) each
// person on the two walking clips gets one track, so that excluding it in
// review hides nothing of them. Before the models' boxes were fused, every
// frame of both clips had two tracks on one face.
#include "pipeline/analysis_stage.hpp"

#include "detect/nms.hpp"
#include "io/video_source.hpp"
#include "test_paths.hpp"
#include "veil/pipeline/anonymizer.hpp"

#include <gtest/gtest.h>

#include <set>

namespace veil {
namespace {

struct TrackCount {
  std::set<int> tracks;
  int frames = 0;
  int overlapping = 0;  // frames where two face tracks overlap by IoU > 0.3
};

TrackCount face_tracks(const std::string& clip) {
  ModelStore store({test::model_dir(), test::make_temp_dir("one-track") / "cache", false});
  AnonymizeOptions options;  // the defaults anonymize runs with
  options.detection.targets = {ObjectClass::kFace};
  FrameAnalyzer analyzer(options.detection, store);
  VideoSource source(test::video_dir() / clip);
  const StageSettings stage = stage_settings(options, source.info());
  AnalysisStage analysis(analyzer, options.tracking, stage.sweep_frames, stage.frames_in_flight);
  TrackCount count;
  auto take = [&](const std::vector<AnalyzedFrame>& ready) {
    for (const AnalyzedFrame& a : ready) {
      ++count.frames;
      bool overlap = false;
      for (std::size_t i = 0; i < a.detections.size(); ++i) {
        count.tracks.insert(a.detections[i].track_id);
        for (std::size_t j = i + 1; j < a.detections.size(); ++j) {
          overlap |= a.detections[i].track_id != a.detections[j].track_id &&
                     iou(a.detections[i].box, a.detections[j].box) > 0.3f;
        }
      }
      count.overlapping += overlap;
    }
  };
  Frame frame;
  while (source.read(frame)) take(analysis.push(std::move(frame)));
  take(analysis.flush());
  return count;
}

TEST(OneTrackPerObject, NoTwoFaceTracksSitOnOneFaceOfTheWalkingClips) {
  const TrackCount walking = face_tracks("face-demographics-walking.gif");
  EXPECT_EQ(walking.frames, 35);
  EXPECT_EQ(walking.overlapping, 0) << "frames with two tracks on one face";
  EXPECT_LE(walking.tracks.size(), 5u);  // four people pass; 7 tracks before fusion

  const TrackCount two = face_tracks("head-pose-face-detection-female-and-male.gif");
  EXPECT_EQ(two.frames, 56);
  EXPECT_EQ(two.overlapping, 0) << "frames with two tracks on one face";
  EXPECT_EQ(two.tracks.size(), 2u) << "a woman and a man";
}

}  // namespace
}  // namespace veil
