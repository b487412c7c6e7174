#pragma once
// Hiding objects in a frame so that a video sink re-encodes only what
// changed: shared by anonymize and render.
#include "veil/core/frame.hpp"
#include "veil/redact/redactor.hpp"

namespace veil {

// Hides `detections` in `frame` and lists the changed areas in
// frame.patches (changes_listed when the frame has its decoded picture). A
// frame without its BGR image (VideoSource::set_bgr(false)) has only those
// areas converted, and its image stays empty.
void redact_frame(const Redactor& redactor, Frame& frame, const Detections& detections);

}  // namespace veil
