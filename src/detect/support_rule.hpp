#pragma once
// The support rule of scene context (veil/detect/scene_context.hpp), on
// one frame's fused detections.
#include "veil/core/detection.hpp"
#include "veil/detect/scene_context.hpp"

namespace veil {

// Why a candidate is kept; kNone means it is dropped.
enum class Support { kNone, kStrong, kSecondModel, kContext, kCrowd, kTrack };

// Requires: `candidate` is a fused face or plate detection (found_by lists
// each model's sighting when more than one found it); `context` holds the
// frame's person and vehicle boxes; `confirmed` the frame's faces whose
// support is kStrong or kSecondModel; `expected` the tracker's predicted
// boxes for this frame (may be empty). Guarantees: kStrong for any
// candidate at or above its class's threshold; the first reason that
// holds, in the enum's order.
Support support_for(const Detection& candidate, const Detections& context, const Detections& confirmed,
                    const Detections& expected, const SupportOptions& options);

// `found` without the candidates support_for() finds no support for, when
// `context` holds a person or vehicle scoring at least options.scene_seen
// (else `found` unchanged: the context model cannot judge this view);
// context detections in `found` are left as they are.
Detections keep_supported(Detections found, const Detections& context, const Detections& expected,
                          const SupportOptions& options);

}  // namespace veil
