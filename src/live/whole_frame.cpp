#include "live/whole_frame.hpp"

#include "io/video_source.hpp"
#include "io/yuv_colour.hpp"
#include "io/yuv_patches.hpp"
#include "veil/core/error.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>

extern "C" {
#include <libavutil/frame.h>
#include <libavutil/pixdesc.h>
}

namespace veil {

namespace {

// Averaging down to 24 pixels across leaves a face of half the frame 12
// pixels wide, and a plate 1 or 2: colours and light, no identity.
constexpr int kAcross = 24;

cv::Size tiny_size(cv::Size size) {
  const double scale = double(kAcross) / std::max(size.width, size.height);
  // Even, so that 4:2:0 chroma planes have whole pixels.
  return {std::max(2, 2 * int(size.width * scale / 2 + 0.5)), std::max(2, 2 * int(size.height * scale / 2 + 0.5))};
}

cv::Mat plane(const AVFrame* f, int p, int width, int height) {
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(f->format));
  const bool chroma = p == 1 || p == 2;
  const int w = chroma ? -((-width) >> d->log2_chroma_w) : width;
  const int h = chroma ? -((-height) >> d->log2_chroma_h) : height;
  return cv::Mat(h, w, CV_8UC1, f->data[p], size_t(f->linesize[p]));
}

std::shared_ptr<const AVFrame> shared(AVFrame* f) {
  return std::shared_ptr<const AVFrame>(f, [](const AVFrame* p) {
    AVFrame* q = const_cast<AVFrame*>(p);
    av_frame_free(&q);
  });
}

AVFrame* new_picture(const AVFrame* like, int width, int height) {
  AVFrame* f = av_frame_alloc();
  if (!f) throw Error("out of memory");
  f->format = like->format;
  f->width = width;
  f->height = height;
  if (av_frame_get_buffer(f, 0) < 0 || av_frame_copy_props(f, like) < 0) {
    av_frame_free(&f);
    throw Error("out of memory");
  }
  return f;
}

// The same, on the decoded YUV picture: each plane averaged down and
// stretched back, without a BGR conversion of the whole frame either way
// (at 1080p that saved ~25 ms a frame, which live mode cannot spare).
Frame hide_yuv(const Frame& frame, const RedactOptions& options) {
  const AVFrame* d = frame.decoded.get();
  const cv::Size tiny = tiny_size({d->width, d->height});
  std::shared_ptr<const AVFrame> small = shared(new_picture(d, tiny.width, tiny.height));
  AVFrame* s = const_cast<AVFrame*>(small.get());
  const int planes = av_pix_fmt_count_planes(static_cast<AVPixelFormat>(d->format));
  if (options.mode == RedactMode::kFill) {
    const bool full = d->color_range == AVCOL_RANGE_JPEG || av::without_jpeg_range(d->format) != d->format;
    write_bgr_area(s, cv::Rect(0, 0, tiny.width, tiny.height), cv::Mat(tiny, CV_8UC3, options.fill_color),
                   av::enum_value(d->colorspace), full);
  } else {
    for (int p = 0; p < planes; ++p) {
      cv::Mat to = plane(s, p, tiny.width, tiny.height);
      cv::resize(plane(d, p, d->width, d->height), to, to.size(), 0, 0, cv::INTER_AREA);
    }
  }
  AVFrame* out_picture = new_picture(d, d->width, d->height);
  Frame out;
  out.decoded = shared(out_picture);
  const int interpolation = options.mode == RedactMode::kBlur ? cv::INTER_LINEAR : cv::INTER_NEAREST;
  for (int p = 0; p < planes; ++p) {
    cv::Mat to = plane(out_picture, p, d->width, d->height);
    cv::resize(plane(s, p, tiny.width, tiny.height), to, to.size(), 0, 0, interpolation);
  }
  out.changes_listed = true;  // nothing to convert back: the picture is the change
  return out;
}

}  // namespace

Frame hide_whole_frame(const Frame& frame, const RedactOptions& options) {
  Frame out;
  if (options.mode == RedactMode::kNone) {
    out = frame;
  } else if (frame.decoded && patchable(frame.decoded.get())) {
    out = hide_yuv(frame, options);
  } else {
    const cv::Size size = frame.image.size();
    if (options.mode == RedactMode::kFill) {
      out.image = cv::Mat(size, CV_8UC3, options.fill_color);
    } else {
      cv::Mat tiny;
      cv::resize(frame.image, tiny, tiny_size(size), 0, 0, cv::INTER_AREA);
      cv::resize(tiny, out.image, size, 0, 0,
                 options.mode == RedactMode::kBlur ? cv::INTER_LINEAR : cv::INTER_NEAREST);
    }
  }
  out.index = frame.index;
  out.pts = frame.pts;
  out.pts_seconds = frame.pts_seconds;
  return out;
}

}  // namespace veil
