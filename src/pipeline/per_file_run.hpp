#pragma once
// The walk over an input that anonymize and render share: one file, or every
// video and image of a folder (or object prefix) into the same relative paths
// under the output folder.
#include "veil/pipeline/anonymizer.hpp"

#include <functional>
#include <string>

namespace veil {

// Processes one file: `input` into `output`; `label` is its path relative to
// the input folder (its own name for a single file), as the sidecar names it.
using FileJob = std::function<void(const std::string& input, const std::string& output, const std::string& label)>;

// Calls `job` for `input` (a file: once, and its veil::Error propagates) or
// for each file of a folder (a failure is logged and recorded in
// stats.failures, and the others go on). Refuses an output that would
// overwrite its input. After veil::request_stop() the error propagates.
void run_per_file(const std::string& input, const std::string& output, ImageFormat image_format,
                  const StorageOptions& storage, RunStats& stats, const FileJob& job);

}  // namespace veil
