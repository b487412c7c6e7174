// Cost of the colour conversions around detection: decoded YUV 4:2:0 to the
// BGR frame the pipeline works on, and back for the encoder. Veil's swscale
// settings (accurate, full chroma) beside swscale's fast path and OpenCV's
// cvtColor, to show what the accuracy costs.
#include "bench_data.hpp"

#include "io/video_source.hpp"
#include "io/yuv_colour.hpp"

#include <benchmark/benchmark.h>
#include <opencv2/imgproc.hpp>

extern "C" {
#include <libswscale/swscale.h>
}

namespace veil::bench {
namespace {

enum Variant { kVeil = 0, kSwsFast = 1, kCvtColor = 2 };

// An I420 copy of the dashcam frame: one buffer, planes Y, U, V.
cv::Mat i420_of(const cv::Mat& bgr) {
  cv::Mat yuv;
  cv::cvtColor(bgr, yuv, cv::COLOR_BGR2YUV_I420);
  return yuv;
}

void planes_of(cv::Mat& i420, int width, int height, uint8_t* data[4], int stride[4]) {
  data[0] = i420.data;
  data[1] = data[0] + width * height;
  data[2] = data[1] + (width / 2) * (height / 2);
  data[3] = nullptr;
  stride[0] = width;
  stride[1] = stride[2] = width / 2;
  stride[3] = 0;
}

// Times one direction: decoded I420 to BGR (`to_bgr`), or back.
// Arg 0 = frame height, arg 1 = Variant.
void convert(benchmark::State& state, bool to_bgr) {
  const cv::Mat& bgr_source = dashcam_frame(int(state.range(0)));
  const int w = bgr_source.cols, h = bgr_source.rows;
  cv::Mat bgr = bgr_source.clone();
  cv::Mat i420 = i420_of(bgr_source);
  uint8_t* yuv[4];
  int yuv_stride[4];
  planes_of(i420, w, h, yuv, yuv_stride);
  uint8_t* packed[4] = {bgr.data, nullptr, nullptr, nullptr};
  int packed_stride[4] = {int(bgr.step), 0, 0, 0};

  const auto variant = Variant(state.range(1));
  SwsContext* sws = nullptr;
  if (variant != kCvtColor) {
    const int flags =
        variant == kSwsFast ? SWS_BILINEAR : (to_bgr ? av::to_bgr_sws_flags() : av::from_bgr_sws_flags());
    const AVPixelFormat from = to_bgr ? AV_PIX_FMT_YUV420P : AV_PIX_FMT_BGR24;
    const AVPixelFormat to = to_bgr ? AV_PIX_FMT_BGR24 : AV_PIX_FMT_YUV420P;
    sws = sws_getContext(w, h, from, w, h, to, flags, nullptr, nullptr, nullptr);
    av::set_yuv_matrix(sws, AVCOL_SPC_BT709, false, to_bgr);
  }
  for (auto _ : state) {
    if (sws && to_bgr) {
      sws_scale(sws, yuv, yuv_stride, 0, h, packed, packed_stride);
    } else if (sws) {
      sws_scale(sws, packed, packed_stride, 0, h, yuv, yuv_stride);
    } else {
      cv::cvtColor(to_bgr ? i420 : bgr, to_bgr ? bgr : i420, to_bgr ? cv::COLOR_YUV2BGR_I420 : cv::COLOR_BGR2YUV_I420);
    }
    benchmark::ClobberMemory();
  }
  sws_freeContext(sws);
}

void BM_YuvToBgr(benchmark::State& state) { convert(state, true); }
void BM_BgrToYuv(benchmark::State& state) { convert(state, false); }
BENCHMARK(BM_YuvToBgr)
    ->ArgNames({"height", "variant"})
    ->ArgsProduct({{540, 720, 1080}, {kVeil, kSwsFast, kCvtColor}})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BgrToYuv)
    ->ArgNames({"height", "variant"})
    ->ArgsProduct({{540, 720, 1080}, {kVeil, kSwsFast, kCvtColor}})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace veil::bench
