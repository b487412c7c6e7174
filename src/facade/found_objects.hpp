#pragma once
// The facade's plain types to and from the pipeline's.
#include "veil/core/detection.hpp"
#include "veil/pipeline/frame_analyzer.hpp"
#include "veil/redact/redactor.hpp"
#include "veil/veil.hpp"

namespace veil::facade {

std::vector<FoundObject> to_found_objects(const Detections& detections);
// Throws veil::Error for an unknown class.
Detections to_detections(const std::vector<FoundObject>& found);
// Throws veil::Error for an unknown target.
DetectionOptions detection_options(const DetectorOptions& options);
// Throws veil::Error for an unknown mode or shape.
RedactOptions redact_options(const RedactStyle& style);

}  // namespace veil::facade
