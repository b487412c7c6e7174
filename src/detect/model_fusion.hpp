#pragma once
// Fusion across models: the default line-up runs two models per class, and
// each reports its own box of the same face or plate. fuse_models() makes
// one detection of the boxes that cover the same object, so that the
// tracker follows one track per object, review lists one row per object and
// excluding it hides nothing of it. The rule was chosen from measurements on
// faces-dev, plates-dev and the road and walking clips (docs/line-up.md,
// "One object, one detection").
#include "veil/core/detection.hpp"

namespace veil {

struct FusionRule {
  // Two boxes of the same class from different models cover the same object
  // when their IoU reaches min_iou, or when the smaller lies mostly inside
  // the larger (overlap_of_smaller() >= min_containment) and their areas
  // differ by at most max_area_ratio (a face box inside a crowd's box is
  // another object).
  float min_iou = 0.3f;
  float min_containment = 0.6f;
  float max_area_ratio = 4.f;
};

// Whether boxes `a` and `b` (of one class) cover the same object.
bool same_object(const cv::Rect2f& a, const cv::Rect2f& b, const FusionRule& rule = {});

// Requires: `found` holds one frame's detections, each model's already
// through its own NMS, with Detection::model set. Guarantees: every input
// detection is in exactly one output detection; an output detection that
// fused several keeps the box, corners, score and model of its best-scoring
// member (the seed: boxes are joined to the best unjoined one, never chained
// through another) and lists every member in found_by, so the redactor hides
// the union of their masks. A detection no other model confirmed comes out
// unchanged. Output is sorted by score, best first.
Detections fuse_models(Detections found, const FusionRule& rule = {});

}  // namespace veil
