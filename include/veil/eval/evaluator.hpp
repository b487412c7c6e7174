#pragma once
// `veil eval`: runs Veil's detection, with exactly the settings anonymize
// would use, over annotated images or a labelled video, and scores the area
// it would hide against the annotations.
#include "veil/eval/ground_truth.hpp"
#include "veil/eval/recall_meter.hpp"
#include "veil/pipeline/anonymizer.hpp"

#include <filesystem>
#include <optional>

namespace veil {

struct EvalOptions {
  AnonymizeOptions anonymize;  // detection and mask geometry as for anonymize
  std::filesystem::path annotations;
  AnnotationFormat format = AnnotationFormat::kVoc;
  std::optional<ObjectClass> only_class;  // --class: treat every box as this class
};

// INPUT is a folder of images (matched to annotations by file stem, as
// coverage.py does) or, for the veil format, a video or a single image; a
// local path or an object URL (s3://bucket/prefix/). Throws veil::Error.
RecallReport evaluate(const std::string& input, const EvalOptions& options, const ModelStore& store,
                      ProgressListener* progress = nullptr);

// Scores a stream of frames against per-frame ground truth (keyed by frame
// index), through the same analysis stage anonymize uses. Any FrameSource
// works: a file, a live stream, or frames made in memory by a test.
RecallReport evaluate_frames(FrameSource& source, const GroundTruth& truth, const EvalOptions& options,
                             const ModelStore& store, ProgressListener* progress = nullptr);

}  // namespace veil
