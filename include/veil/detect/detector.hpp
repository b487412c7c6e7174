#pragma once
// The one interface every detector implements, so that models can be added
// or swapped without touching the pipeline.
#include "veil/core/detection.hpp"

#include <opencv2/core.hpp>

#include <memory>
#include <string>

namespace veil {

class Detector {
 public:
  virtual ~Detector() = default;
  // Finds objects in an 8-bit BGR image. Boxes are in the image's pixels.
  // Throws veil::Error when the image cannot be analysed: the caller must
  // then refuse to write the frame in the clear.
  virtual Detections detect(const cv::Mat& bgr) = 0;
  virtual ObjectClass object_class() const = 0;
  virtual std::string name() const = 0;
};

using DetectorPtr = std::unique_ptr<Detector>;

}  // namespace veil
