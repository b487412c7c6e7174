#pragma once
// Box helpers shared by the detectors: overlap measures and greedy
// non-maximum suppression, used to merge the passes of a multi-scale or
// tiled search into one list.
#include "veil/core/detection.hpp"

#include <opencv2/core.hpp>

namespace veil {

// Intersection over union; 0 when either box is empty.
float iou(const cv::Rect2f& a, const cv::Rect2f& b);

// Intersection over the area of the smaller box. Catches a box that sits
// inside another (a face cut in half at a tile edge) where IoU stays low.
float overlap_of_smaller(const cv::Rect2f& a, const cv::Rect2f& b);

// Greedy NMS, applied separately per object class: keeps the best-scoring
// detection and drops every other one whose IoU with it exceeds
// `iou_threshold`, or, when `containment_threshold` < 1, whose
// overlap_of_smaller() exceeds that. Returns the kept detections, best first.
Detections nms(Detections dets, float iou_threshold, float containment_threshold = 1.f);

}  // namespace veil
