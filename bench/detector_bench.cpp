// Cost of each detector pass, per frame size: what one frame of video pays
// for each kind of network run, and how many runs a frame needs.
//   veil_bench --benchmark_filter=YuNet
#include "bench_data.hpp"

#include "detect/hyperlpr_plate_detector.hpp"
#include "detect/retinaface_face_detector.hpp"
#include "detect/yunet_face_detector.hpp"

#include <benchmark/benchmark.h>

namespace veil::bench {
namespace {

YuNetFaceDetector& yunet() {
  static YuNetFaceDetector detector(model_file("yunet-face"), FaceOptions{});
  return detector;
}

RetinaFaceDetector& retinaface() {
  static RetinaFaceDetector detector(model_file("retinaface-face"), RetinaFaceDetector::default_options());
  return detector;
}

HyperLprPlateDetector& plates() {
  static HyperLprPlateDetector detector(model_file("hyperlpr3-plate-320"), PlateOptions{});
  return detector;
}

// Runs the passes of `plan` selected by `pick` on `frame`, one after another
// on this thread (threads: set by the pipeline, not here).
template <typename Pick>
void run_passes(benchmark::State& state, Detector& detector, const cv::Mat& frame, Pick pick) {
  std::vector<DetectorPass> passes;
  for (const DetectorPass& p : detector.plan(frame.size())) {
    if (pick(p)) passes.push_back(p);
  }
  if (passes.empty()) {
    state.SkipWithError("no such pass at this size");
    return;
  }
  size_t found = 0;
  for (auto _ : state) {
    for (const DetectorPass& p : passes) found += detector.run(frame, p).size();
  }
  state.counters["runs"] = double(passes.size());
  state.counters["found"] = benchmark::Counter(double(found), benchmark::Counter::kAvgIterations);
}

// YuNet: arg 0 = frame height, arg 1 = which passes: 0 the one on every
// frame (shrunk to 768x432 network pixels above that size), 1 the fine
// (upscaled) ones, cut into tiles on large frames; the time is for all of
// them, which a sweep spreads over several frames.
void BM_YuNetPass(benchmark::State& state) {
  const cv::Mat& frame = crowd_frame(int(state.range(0)));
  const bool fine = state.range(1) == 1;
  run_passes(state, yunet(), frame, [&](const DetectorPass& p) { return p.every_frame != fine; });
}
BENCHMARK(BM_YuNetPass)
    ->ArgNames({"height", "fine"})
    ->ArgsProduct({{540, 720, 1080}, {0, 1}})
    ->Unit(benchmark::kMillisecond);

// RetinaFace, the second face model, the same way; each of its passes is
// capped at about a megapixel.
void BM_RetinaFacePass(benchmark::State& state) {
  const cv::Mat& frame = crowd_frame(int(state.range(0)));
  const bool fine = state.range(1) == 1;
  run_passes(state, retinaface(), frame, [&](const DetectorPass& p) { return p.every_frame != fine; });
}
BENCHMARK(BM_RetinaFacePass)
    ->ArgNames({"height", "fine"})
    ->ArgsProduct({{540, 720, 1080}, {0, 1}})
    ->Unit(benchmark::kMillisecond);

// YuNet on one 128 px focus window at 2x (a 256x256 network input).
void BM_YuNetFocusWindow(benchmark::State& state) {
  const cv::Mat& frame = crowd_frame(720);
  Detection face;
  face.cls = ObjectClass::kFace;
  face.box = cv::Rect2f(600, 300, 20, 24);
  std::vector<DetectorPass> passes = yunet().focus(frame.size(), {face});
  for (auto _ : state) {
    for (const DetectorPass& p : passes) benchmark::DoNotOptimize(yunet().run(frame, p));
  }
  state.counters["runs"] = double(passes.size());
}
BENCHMARK(BM_YuNetFocusWindow)->Unit(benchmark::kMillisecond);

// Plates: arg 0 = frame height, arg 1 = which passes: 0 = whole frame
// (every frame), 1 = whole frame at half size (close-ups), 2 = all native
// tiles.
void BM_PlatePass(benchmark::State& state) {
  const cv::Mat& frame = dashcam_frame(int(state.range(0)));
  const long kind = state.range(1);
  const cv::Rect whole(cv::Point(0, 0), frame.size());
  int whole_passes = 0;
  run_passes(state, plates(), frame, [&](const DetectorPass& p) {
    if (p.region != whole) return kind == 2;
    return kind == whole_passes++;
  });
}
BENCHMARK(BM_PlatePass)
    ->ArgNames({"height", "pass"})
    ->ArgsProduct({{540, 720, 1080}, {0, 1, 2}})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace veil::bench
