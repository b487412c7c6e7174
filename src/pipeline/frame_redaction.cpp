#include "pipeline/frame_redaction.hpp"

#include "io/yuv_patches.hpp"
#include "veil/core/error.hpp"

extern "C" {
#include <libavutil/frame.h>
}

namespace veil {

void redact_frame(const Redactor& redactor, Frame& frame, const Detections& detections) {
  frame.patches.clear();
  // An approximate image served detection; the output's pixels come from
  // the decoded picture, converted accurately where they change.
  if (frame.image_approximate && frame.decoded) {
    frame.image = cv::Mat();
    frame.image_approximate = false;
  }
  if (frame.image.empty()) {
    const AVFrame* f = frame.decoded.get();
    if (!f) throw Error("frame " + std::to_string(frame.index) + " has no picture");
    for (const cv::Rect& area : redactor.changed_areas(detections, cv::Size(f->width, f->height))) {
      cv::Mat bgr = bgr_of_area(f, area);
      redactor.apply_to_area(bgr, area, detections);
      frame.patches.push_back({area, std::move(bgr)});
    }
  } else {
    redactor.apply(frame.image, detections);
    for (const cv::Rect& area : redactor.changed_areas(detections, frame.image.size())) {
      frame.patches.push_back({area, frame.image(area)});
    }
  }
  frame.changes_listed = frame.decoded != nullptr;
}

}  // namespace veil
