// veil::redact on a caller's pixels.
#include "facade/found_objects.hpp"
#include "facade/image_view.hpp"
#include "veil/veil.hpp"

namespace veil {

void redact(const ImageView& source, const MutableImageView& target, const std::vector<FoundObject>& found,
            const RedactStyle& style) {
  if (source.width != target.width || source.height != target.height || source.format != target.format) {
    throw Error("redact: the target must have the source's size and pixel format");
  }
  const Redactor redactor(facade::redact_options(style));
  const Detections detections = facade::to_detections(found);
  cv::Mat bgr = facade::to_bgr(source);
  redactor.apply(bgr, detections);
  facade::from_bgr(bgr, target);
}

}  // namespace veil
