// Real motion with known ground truth: clips panned and zoomed over real
// street photos, labelled frame by frame in Veil's own sidecar format, then
// scored by the same code as `veil eval --format veil`. Tracking must hide
// at least as many (frame, face) pairs as analysing every frame on its own
// (the single-image figure), with no flicker leaks on pans and fewer on
// zooms. At 640x480 the faces' passes are those of a photo; at 960x540 the
// every-frame pass is shrunk (0.8x) and the upscaled one swept.
#include "memory_frame_source.hpp"
#include "test_paths.hpp"
#include "track/synthetic_motion.hpp"
#include "veil/eval/evaluator.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include <fstream>

namespace veil {
namespace fs = std::filesystem;
namespace {

constexpr double kFps = 25;

// Writes the clip's truth as a Veil sidecar: one line per frame, one object
// id per source face. Faces mostly outside the frame, or under 10 px, are
// left out, as a labeller would.
void write_truth(const SyntheticClip& clip, const CameraPath& path, const std::vector<cv::Rect2f>& source_boxes,
                 const fs::path& file) {
  std::ofstream out(file);
  for (size_t f = 0; f < clip.truth.size(); ++f) {
    cv::Rect2f window = window_at(path, static_cast<int>(f));
    float scale = path.output.width / window.width;
    nlohmann::json dets = nlohmann::json::array();
    for (size_t i = 0; i < clip.truth[f].size(); ++i) {
      const cv::Rect2f& b = clip.truth[f][i];
      float full_area = source_boxes[i].area() * scale * scale;
      if (b.empty() || b.height < 10 || b.area() < 0.6f * full_area) continue;
      dets.push_back({{"class", "face"}, {"score", 1.0}, {"box", {b.x, b.y, b.width, b.height}},
                      {"track", static_cast<int>(i)}});
    }
    out << nlohmann::json{{"file", "synthetic"}, {"index", f}, {"pts", f / kFps}, {"detections", dets}}.dump()
        << "\n";
  }
}

class TemporalRecall : public ::testing::TestWithParam<cv::Size> {};

TEST_P(TemporalRecall, TrackingHidesMoreThanSingleImagesAndFlickersLess) {
  fs::path dev = test::shared_dir() / "data/faces-dev";
  GroundTruth photos = load_ground_truth(dev / "annotations", AnnotationFormat::kVoc);
  fs::path work = test::make_temp_dir("temporal");
  ModelStore store({test::model_dir(), work / "cache", false});
  EvalOptions tracked;
  tracked.anonymize.detection.targets = {ObjectClass::kFace};
  EvalOptions single = tracked;
  single.anonymize.tracking.reset();

  Tally total_tracked, total_single;
  int used = 0, leaks = 0, tracked_leaks = 0;
  for (const auto& [stem, truth] : photos.images) {
    int big = static_cast<int>(std::count_if(truth.begin(), truth.end(),
                                             [](const GroundTruthBox& g) { return g.box.height >= 16; }));
    if (big < 3) continue;
    cv::Mat image = cv::imread((dev / "images" / (stem + ".jpg")).string());
    ASSERT_FALSE(image.empty());
    std::vector<cv::Rect2f> boxes;
    cv::Rect2f largest;
    for (const auto& g : truth) {
      boxes.push_back(g.box);
      if (g.box.area() > largest.area()) largest = g.box;
    }
    const cv::Size out = GetParam();
    for (const auto& [kind, path] : {std::pair{"pan", pan_path(image.size(), out, 24)},
                                     std::pair{"zoom", zoom_path(image.size(), out, 24, (largest.tl() + largest.br()) * 0.5f)}}) {
      SyntheticClip clip = render_clip(image, boxes, path);
      fs::path labels = work / (stem + "-" + kind + ".jsonl");
      write_truth(clip, path, boxes, labels);
      GroundTruth gt = load_ground_truth(labels, AnnotationFormat::kVeil);
      test::MemoryFrameSource a(clip.frames, kFps), b(clip.frames, kFps);
      RecallReport with = evaluate_frames(a, gt, tracked, store);
      RecallReport without = evaluate_frames(b, gt, single, store);
      std::printf("  %s %-4s: tracked %ld/%ld hidden, %ld flicker leaks; single-image %ld/%ld, %ld leaks\n",
                  stem.c_str(), kind, long(with.object_frames_hidden.hit), long(with.object_frames_hidden.total),
                  long(with.flicker_leaks), long(without.object_frames_hidden.hit),
                  long(without.object_frames_hidden.total), long(without.flicker_leaks));
      EXPECT_GE(with.object_frames_hidden.hit, without.object_frames_hidden.hit) << stem << " " << kind;
      EXPECT_LE(with.flicker_leaks, without.flicker_leaks) << stem << " " << kind;
      if (kind == std::string("pan")) EXPECT_EQ(with.flicker_leaks, 0) << stem << " " << kind;
      tracked_leaks += static_cast<int>(with.flicker_leaks);
      total_tracked.hit += with.object_frames_hidden.hit;
      total_tracked.total += with.object_frames_hidden.total;
      total_single.hit += without.object_frames_hidden.hit;
      total_single.total += without.object_frames_hidden.total;
      leaks += static_cast<int>(without.flicker_leaks);
    }
    if (++used == 3) break;
  }
  std::printf("  total: tracked %.3f of %ld (frame, face) pairs hidden (%d flicker leaks), single-image %.3f (%d)\n",
              total_tracked.share(), long(total_tracked.total), tracked_leaks, total_single.share(), leaks);
  EXPECT_GT(total_tracked.total, 200);
  EXPECT_GE(total_tracked.share(), total_single.share());
  // Zoom clips still flicker where a face's annotated box is much taller
  // than the detector's (hood, mask and neck): coverage hovers around the
  // 70% line. Tracking must at least halve the single-image leaks.
  EXPECT_LE(2 * tracked_leaks, leaks);
  fs::remove_all(work);
}

INSTANTIATE_TEST_SUITE_P(Sizes, TemporalRecall, ::testing::Values(cv::Size(640, 480), cv::Size(960, 540)),
                         [](const ::testing::TestParamInfo<cv::Size>& info) {
                           return std::to_string(info.param.width) + "x" + std::to_string(info.param.height);
                         });

}  // namespace
}  // namespace veil
