#include "detect/pass_rules.hpp"

namespace veil {

bool cut_by_region(const cv::Rect2f& box, const cv::Rect& region, cv::Size frame, float margin) {
  return (region.x > 0 && box.x < region.x + margin) || (region.y > 0 && box.y < region.y + margin) ||
         (region.br().x < frame.width && box.br().x > region.br().x - margin) ||
         (region.br().y < frame.height && box.br().y > region.br().y - margin);
}

}  // namespace veil
