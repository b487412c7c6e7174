// veil::read_picture: a photo through the same reader as `veil anonymize`.
#include "veil/core/frame.hpp"
#include "veil/io/media_io.hpp"
#include "veil/veil.hpp"

namespace veil {

Picture read_picture(const std::string& location) {
  std::unique_ptr<FrameSource> source = open_source(location);
  if (source->info().is_video) throw Error(location + ": a video, not a photo");
  Frame frame;
  if (!source->read(frame) || frame.image.empty()) throw Error(location + ": no picture in it");
  const cv::Mat bgr = frame.image.isContinuous() ? frame.image : frame.image.clone();
  Picture p;
  p.width = bgr.cols;
  p.height = bgr.rows;
  p.format = PixelFormat::kBgr;
  p.pixels.assign(bgr.data, bgr.data + bgr.total() * bgr.elemSize());
  return p;
}

}  // namespace veil
