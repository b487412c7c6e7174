#pragma once
// Conversions between a decoded YUV picture and BGR patches of it, so that
// only the areas Veil changes pay for colour conversion (and the rest of the
// picture is encoded exactly as it was decoded). The conversions use the
// same swscale settings as the whole-frame ones (io/yuv_colour.hpp: av::to_bgr_sws_flags,
// av::from_bgr_sws_flags, the frame's YUV matrix).
#include <opencv2/core.hpp>

#include <vector>

extern "C" {
struct AVFrame;
}

namespace veil {

// True when `f` is planar 8-bit YUV whose chroma is subsampled at most 2x
// in each direction: the pictures whose patches these functions handle.
bool patchable(const AVFrame* f);

// Grows `area` to even coordinates (the chroma grid of 4:2:0 and 4:2:2),
// clipped to `frame`.
cv::Rect align_to_chroma(const cv::Rect& area, cv::Size frame);

// `area` of the patchable picture `f`, in BGR, with the same values as the
// whole picture's conversion gives there: the conversion runs on the area
// plus a margin, so that chroma interpolation sees the same neighbours.
cv::Mat bgr_of_area(const AVFrame* f, const cv::Rect& area);

// Converts `bgr` into `area` of the writable patchable picture `f` (`area`
// aligned as align_to_chroma gives). `colorspace` and `full_range` are the
// picture's YUV matrix and range.
void write_bgr_area(AVFrame* f, const cv::Rect& area, const cv::Mat& bgr, int colorspace, bool full_range);

}  // namespace veil
