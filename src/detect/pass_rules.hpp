#pragma once
// Rules every detector family applies to the candidates of one pass.
#include <opencv2/core.hpp>

namespace veil {

// Whether `box` (frame pixels) reaches within `margin` px of an edge of the
// pass's `region` that lies inside a `frame`-sized frame: the region (a
// tile or a focus window) cut it, and it is whole in a neighbouring tile
// or, for a window, is not the object the window is for. A region that is
// the whole frame cuts nothing.
bool cut_by_region(const cv::Rect2f& box, const cv::Rect& region, cv::Size frame, float margin);

}  // namespace veil
