#pragma once
// Fusion across models: the default line-up runs two models per class, and
// each reports its own box of the same face or plate. fuse_models() makes
// one detection of the boxes that cover the same object, so that the
// tracker follows one track per object, review lists one row per object and
// excluding it hides nothing of it. The rule was chosen from measurements on
// faces-dev, plates-dev and five clips (docs/line-up.md, "One object, one
// detection").
#include "veil/core/detection.hpp"

namespace veil {

// Two boxes of one class cover the same object when their IoU reaches this.
// On faces-dev it joins 99.0% of the pairs of YuNet and RetinaFace boxes on
// one face and no two different faces; on plates-dev all pairs of
// HyperLPR3 and YOLOv8 boxes (HyperLPR3's are about 0.64x the area of
// YOLOv8's, so a stricter IoU splits plates: 87% at 0.5).
inline constexpr float kSameObjectIou = 0.3f;

// Requires: `found` holds one frame's detections, each model's already
// through its own NMS, with Detection::model set. Guarantees: every input
// detection is in exactly one output detection. Detections are taken best
// score first; each not yet taken becomes a seed and takes every other
// untaken detection of its class whose box overlaps the seed's by
// `min_iou` or more (not chained through another member, so a crowd does not
// become one object), whichever model found it: a model's second box on one
// object (one NMS let through) joins too. A seed that took any keeps its own
// box, corners, score and model and lists every member, itself first, in
// found_by; the redactor hides the union of their masks. A detection no
// other box confirmed comes out unchanged. Output is best score first.
Detections fuse_models(Detections found, float min_iou = kSameObjectIou);

}  // namespace veil
