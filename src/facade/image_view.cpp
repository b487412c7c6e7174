#include "facade/image_view.hpp"

#include <opencv2/imgproc.hpp>

#include <string>

namespace veil::facade {
namespace {

constexpr int kMaxSide = 8192;  // as for decoded video and images

int channels(PixelFormat f) {
  switch (f) {
    case PixelFormat::kGray: return 1;
    case PixelFormat::kBgr:
    case PixelFormat::kRgb: return 3;
    case PixelFormat::kBgra:
    case PixelFormat::kRgba: return 4;
  }
  throw Error("unknown pixel format");
}

}  // namespace

cv::Mat wrap(const ImageView& image) {
  if (!image.data) throw Error("image: no pixels (a null pointer)");
  if (image.width <= 0 || image.height <= 0 || image.width > kMaxSide || image.height > kMaxSide) {
    throw Error("image: " + std::to_string(image.width) + "x" + std::to_string(image.height) +
                " is not a size Veil handles (1 to 8192 pixels a side)");
  }
  const int ch = channels(image.format);
  const std::ptrdiff_t row = std::ptrdiff_t(image.width) * ch;
  const std::ptrdiff_t stride = image.stride == 0 ? row : image.stride;
  if (stride < row) {
    throw Error("image: a stride of " + std::to_string(stride) + " bytes is shorter than a row (" +
                std::to_string(row) + " bytes)");
  }
  return cv::Mat(image.height, image.width, CV_8UC(ch), const_cast<std::uint8_t*>(image.data), std::size_t(stride));
}

cv::Mat to_bgr(const ImageView& image) {
  const cv::Mat m = wrap(image);
  cv::Mat bgr;
  switch (image.format) {
    case PixelFormat::kBgr: m.copyTo(bgr); break;
    case PixelFormat::kRgb: cv::cvtColor(m, bgr, cv::COLOR_RGB2BGR); break;
    case PixelFormat::kBgra: cv::cvtColor(m, bgr, cv::COLOR_BGRA2BGR); break;
    case PixelFormat::kRgba: cv::cvtColor(m, bgr, cv::COLOR_RGBA2BGR); break;
    case PixelFormat::kGray: cv::cvtColor(m, bgr, cv::COLOR_GRAY2BGR); break;
  }
  return bgr;
}

void from_bgr(const cv::Mat& bgr, const MutableImageView& target) {
  cv::Mat out = wrap(target);
  switch (target.format) {
    case PixelFormat::kBgr: bgr.copyTo(out); break;
    case PixelFormat::kRgb: cv::cvtColor(bgr, out, cv::COLOR_BGR2RGB); break;
    case PixelFormat::kGray: cv::cvtColor(bgr, out, cv::COLOR_BGR2GRAY); break;
    case PixelFormat::kBgra:
    case PixelFormat::kRgba: {
      // The alpha channel stays as it was.
      cv::Mat converted;
      cv::cvtColor(bgr, converted, target.format == PixelFormat::kBgra ? cv::COLOR_BGR2BGRA : cv::COLOR_BGR2RGBA);
      const int from_to[] = {0, 0, 1, 1, 2, 2};
      cv::mixChannels(&converted, 1, &out, 1, from_to, 3);
      break;
    }
  }
}

}  // namespace veil::facade
