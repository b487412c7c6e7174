// Cost of the colour conversions around detection: decoded YUV 4:2:0 to the
// BGR frame the pipeline works on, and back for the encoder. Veil's swscale
// settings (accurate, full chroma) beside swscale's fast path and OpenCV's
// cvtColor, to show what the accuracy costs.
#include "bench_data.hpp"

#include "veil/io/video_source.hpp"

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

// Arg 0 = frame height, arg 1 = Variant.
void BM_YuvToBgr(benchmark::State& state) {
  const cv::Mat& source = dashcam_frame(int(state.range(0)));
  const int w = source.cols, h = source.rows;
  cv::Mat i420 = i420_of(source);
  cv::Mat bgr(h, w, CV_8UC3);
  uint8_t* src[4];
  int src_stride[4];
  planes_of(i420, w, h, src, src_stride);
  uint8_t* dst[4] = {bgr.data, nullptr, nullptr, nullptr};
  int dst_stride[4] = {int(bgr.step), 0, 0, 0};

  const auto variant = Variant(state.range(1));
  SwsContext* sws = nullptr;
  if (variant != kCvtColor) {
    int flags = variant == kVeil ? av::to_bgr_sws_flags() : SWS_BILINEAR;
    sws = sws_getContext(w, h, AV_PIX_FMT_YUV420P, w, h, AV_PIX_FMT_BGR24, flags, nullptr, nullptr, nullptr);
    av::set_yuv_matrix(sws, AVCOL_SPC_BT709, false, true);
  }
  for (auto _ : state) {
    if (sws) {
      sws_scale(sws, src, src_stride, 0, h, dst, dst_stride);
    } else {
      cv::cvtColor(i420, bgr, cv::COLOR_YUV2BGR_I420);
    }
    benchmark::ClobberMemory();
  }
  sws_freeContext(sws);
}
BENCHMARK(BM_YuvToBgr)
    ->ArgNames({"height", "variant"})
    ->ArgsProduct({{540, 720, 1080}, {kVeil, kSwsFast, kCvtColor}})
    ->Unit(benchmark::kMillisecond);

void BM_BgrToYuv(benchmark::State& state) {
  const cv::Mat& source = dashcam_frame(int(state.range(0)));
  const int w = source.cols, h = source.rows;
  cv::Mat i420(h * 3 / 2, w, CV_8UC1);
  uint8_t* dst[4];
  int dst_stride[4];
  planes_of(i420, w, h, dst, dst_stride);
  const uint8_t* src[4] = {source.data, nullptr, nullptr, nullptr};
  int src_stride[4] = {int(source.step), 0, 0, 0};

  const auto variant = Variant(state.range(1));
  SwsContext* sws = nullptr;
  if (variant != kCvtColor) {
    int flags = variant == kVeil ? av::from_bgr_sws_flags() : SWS_BILINEAR;
    sws = sws_getContext(w, h, AV_PIX_FMT_BGR24, w, h, AV_PIX_FMT_YUV420P, flags, nullptr, nullptr, nullptr);
    av::set_yuv_matrix(sws, AVCOL_SPC_BT709, false, false);
  }
  for (auto _ : state) {
    if (sws) {
      sws_scale(sws, src, src_stride, 0, h, dst, dst_stride);
    } else {
      cv::cvtColor(source, i420, cv::COLOR_BGR2YUV_I420);
    }
    benchmark::ClobberMemory();
  }
  sws_freeContext(sws);
}
BENCHMARK(BM_BgrToYuv)
    ->ArgNames({"height", "variant"})
    ->ArgsProduct({{540, 720, 1080}, {kVeil, kSwsFast, kCvtColor}})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace veil::bench
