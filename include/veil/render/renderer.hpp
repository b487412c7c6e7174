#pragma once
// `veil render`: hides exactly what a detections sidecar lists, after review
// (veil/sidecar/sidecar.hpp), running no detector. The second half of
// analyse -> review -> render.
#include "veil/io/media_io.hpp"
#include "veil/pipeline/anonymizer.hpp"
#include "veil/redact/redactor.hpp"

#include <string>

namespace veil {

struct RenderOptions {
  RedactOptions redact;
  VideoEncodeOptions encode;
  ImageFormat image_format = ImageFormat::kSame;  // for images inside a folder
  StorageOptions storage;
};

// Renders `input` (a file or a folder; local paths or object URLs, as in
// Anonymizer::run) into `output`, hiding in each frame what
// SidecarMedia::to_hide gives for it, with the same redaction code as
// anonymize: on an unedited sidecar the output equals anonymize's with the
// same options. The sidecar must describe the input: an entry under the
// input's file name (its relative path in a folder run), one frame line per
// decoded frame with matching times, and boxes inside the frame. Anything
// else throws veil::Error naming the sidecar line and field (for a folder:
// recorded in RunStats::failures) and writes nothing for that file.
// Call from one thread; after veil::request_stop() it throws as anonymize does.
RunStats render(const std::string& input, const std::string& sidecar, const std::string& output,
                const RenderOptions& options, ProgressListener* progress = nullptr);

}  // namespace veil
