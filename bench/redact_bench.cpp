// Cost of hiding a frame's detections, per redaction mode and frame size.
#include "bench_data.hpp"

#include "veil/redact/redactor.hpp"

#include <benchmark/benchmark.h>

namespace veil::bench {
namespace {

// A busy frame: 12 faces from 12 to 96 px tall and 4 plates, spread over
// the frame, in frame pixels.
Detections busy_frame(cv::Size size) {
  Detections out;
  const float s = size.height / 1080.f;
  for (int i = 0; i < 12; ++i) {
    Detection d;
    d.cls = ObjectClass::kFace;
    float h = (12 + 7 * i) * s * 1.5f;
    d.box = cv::Rect2f((80 + 140 * i) * s, (200 + 40 * (i % 5)) * s, h * 0.8f, h);
    d.score = 0.9f;
    out.push_back(d);
  }
  for (int i = 0; i < 4; ++i) {
    Detection d;
    d.cls = ObjectClass::kPlate;
    d.box = cv::Rect2f((200 + 420 * i) * s, 800 * s, (60 + 30 * i) * s, (20 + 10 * i) * s);
    d.corners = {d.box.tl(), {d.box.x + d.box.width, d.box.y + 3 * s}, d.box.br(),
                 {d.box.x, d.box.y + d.box.height - 3 * s}};
    d.score = 0.9f;
    out.push_back(d);
  }
  return out;
}

// Arg 0 = frame height, arg 1 = RedactMode (blur, pixelate, fill).
void BM_Redact(benchmark::State& state) {
  const cv::Mat& source = dashcam_frame(int(state.range(0)));
  RedactOptions options;
  options.mode = static_cast<RedactMode>(state.range(1));
  Redactor redactor(options);
  const Detections detections = busy_frame(source.size());
  cv::Mat frame = source.clone();
  for (auto _ : state) {
    state.PauseTiming();
    source.copyTo(frame);  // each iteration hides fresh pixels
    state.ResumeTiming();
    redactor.apply(frame, detections);
  }
  state.counters["objects"] = double(detections.size());
}
BENCHMARK(BM_Redact)
    ->ArgNames({"height", "mode"})
    ->ArgsProduct({{540, 720, 1080},
                   {int(RedactMode::kBlur), int(RedactMode::kPixelate), int(RedactMode::kFill)}})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace veil::bench
