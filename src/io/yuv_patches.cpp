#include "io/yuv_patches.hpp"

#include "io/video_source.hpp"
#include "io/yuv_colour.hpp"
#include "veil/core/error.hpp"

extern "C" {
#include <libavutil/frame.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

#include <algorithm>
#include <cstring>
#include <vector>

namespace veil {
namespace {

// Chroma interpolation reaches a few pixels either side (bicubic: two
// chroma samples, four luma pixels); the margin leaves room to spare.
constexpr int kMargin = 16;
// Room past the end of each row for swscale's vector code, which may write
// beyond the width it was given.
constexpr int kPad = 64;

int even_down(int v) { return v & ~1; }
int even_up(int v) { return (v + 1) & ~1; }

// Plane pointers of `f` moved to `area`'s top-left corner.
void planes_at(const AVFrame* f, const cv::Rect& area, uint8_t* data[4], int stride[4]) {
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(f->format));
  for (int p = 0; p < 4; ++p) {
    data[p] = nullptr;
    stride[p] = 0;
  }
  for (int p = 0; p < 3; ++p) {
    const int x = p == 0 ? area.x : area.x >> d->log2_chroma_w;
    const int y = p == 0 ? area.y : area.y >> d->log2_chroma_h;
    data[p] = f->data[p] + std::ptrdiff_t(y) * f->linesize[p] + x;
    stride[p] = f->linesize[p];
  }
}

bool full_range_of(const AVFrame* f) {
  return av::without_jpeg_range(f->format) != f->format || av::enum_value(f->color_range) == AVCOL_RANGE_JPEG;
}

}  // namespace

bool patchable(const AVFrame* f) {
  if (!f) return false;
  const auto fmt = static_cast<AVPixelFormat>(av::without_jpeg_range(f->format));
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(fmt);
  return d && (d->flags & AV_PIX_FMT_FLAG_PLANAR) && !(d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL)) &&
         !(d->flags & AV_PIX_FMT_FLAG_ALPHA) && d->nb_components == 3 && d->comp[0].depth == 8 &&
         d->log2_chroma_w <= 1 && d->log2_chroma_h <= 1;
}

cv::Rect align_to_chroma(const cv::Rect& area, cv::Size frame) {
  const int x0 = std::max(0, even_down(area.x)), y0 = std::max(0, even_down(area.y));
  const int x1 = std::min(frame.width, even_up(area.x + area.width));
  const int y1 = std::min(frame.height, even_up(area.y + area.height));
  if (x1 <= x0 || y1 <= y0) return {};
  return cv::Rect(cv::Point(x0, y0), cv::Point(x1, y1));
}

cv::Mat bgr_of_area(const AVFrame* f, const cv::Rect& area) {
  const cv::Size size(f->width, f->height);
  const cv::Rect around = align_to_chroma(
      cv::Rect(area.x - kMargin, area.y - kMargin, area.width + 2 * kMargin, area.height + 2 * kMargin), size);
  const auto fmt = static_cast<AVPixelFormat>(av::without_jpeg_range(f->format));
  av::Ptr<SwsContext> sws(sws_getContext(around.width, around.height, fmt, around.width, around.height,
                                         AV_PIX_FMT_BGR24, av::to_bgr_sws_flags(), nullptr, nullptr, nullptr));
  if (!sws) throw Error("cannot convert an area of the picture to BGR");
  av::set_yuv_matrix(sws.get(), av::enum_value(f->colorspace), full_range_of(f), true);
  uint8_t* src[4];
  int src_stride[4];
  planes_at(f, around, src, src_stride);
  // swscale's vector code may write past the end of a row: rows padded.
  cv::Mat bgr(around.height + 1, around.width + kPad, CV_8UC3);
  uint8_t* dst[4] = {bgr.data, nullptr, nullptr, nullptr};
  int dst_stride[4] = {static_cast<int>(bgr.step), 0, 0, 0};
  sws_scale(sws.get(), src, src_stride, 0, around.height, dst, dst_stride);
  return bgr(area - around.tl()).clone();
}

void write_bgr_area(AVFrame* f, const cv::Rect& area, const cv::Mat& bgr, int colorspace, bool full_range) {
  const auto fmt = static_cast<AVPixelFormat>(av::without_jpeg_range(f->format));
  av::Ptr<SwsContext> sws(sws_getContext(area.width, area.height, AV_PIX_FMT_BGR24, area.width, area.height, fmt,
                                         av::from_bgr_sws_flags(), nullptr, nullptr, nullptr));
  if (!sws) throw Error("cannot convert a BGR area to the picture's format");
  av::set_yuv_matrix(sws.get(), colorspace, full_range, false);
  // Converted into padded planes of its own, then copied row by row:
  // swscale's vector code may write past the end of a row, which in `f`
  // would be pixels outside the area.
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(fmt);
  const int cw = -((-area.width) >> d->log2_chroma_w), ch = -((-area.height) >> d->log2_chroma_h);
  const int widths[3] = {area.width, cw, cw}, heights[3] = {area.height, ch, ch};
  std::vector<uint8_t> planes[3];
  uint8_t* tmp[4] = {nullptr, nullptr, nullptr, nullptr};
  int tmp_stride[4] = {0, 0, 0, 0};
  for (int p = 0; p < 3; ++p) {
    tmp_stride[p] = (widths[p] + kPad + 63) & ~63;
    planes[p].resize(std::size_t(tmp_stride[p]) * (heights[p] + 1));
    tmp[p] = planes[p].data();
  }
  // It may also read past the end of a row, and `bgr` may end where its
  // buffer does (a tight patch, or the bottom-right corner of a frame):
  // read from a padded copy.
  cv::Mat padded(area.height + 1, area.width + kPad, CV_8UC3);
  bgr.copyTo(padded(cv::Rect(0, 0, area.width, area.height)));
  const uint8_t* src[4] = {padded.data, nullptr, nullptr, nullptr};
  const int src_stride[4] = {static_cast<int>(padded.step), 0, 0, 0};
  sws_scale(sws.get(), src, src_stride, 0, area.height, tmp, tmp_stride);
  uint8_t* dst[4];
  int dst_stride[4];
  planes_at(f, area, dst, dst_stride);
  for (int p = 0; p < 3; ++p) {
    for (int y = 0; y < heights[p]; ++y) {
      std::memcpy(dst[p] + std::ptrdiff_t(y) * dst_stride[p], tmp[p] + std::ptrdiff_t(y) * tmp_stride[p],
                  std::size_t(widths[p]));
    }
  }
}

}  // namespace veil
