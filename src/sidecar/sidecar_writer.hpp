#pragma once
// Writes the detections sidecar (format: veil/sidecar/sidecar.hpp): JSON
// Lines, one object per frame or image:
//   {"file": "a/b.mp4", "index": 12, "pts": 0.48, "detections": [
//     {"class": "face", "score": 0.91, "box": [x, y, w, h], "track": 3,
//      "corners": [[x, y], ...]}]}
// "pts" is null for still images; "track" and "corners" appear when known;
// "predicted": true marks a box the tracker added (a detector gap, or
// before the first detection) rather than one a detector found; "found_by"
// lists each model's box of an object several models found. Each input's
// frame lines follow its provenance header line.
// The file appears at its path only when the run completes.
#include "io/output_file.hpp"
#include "veil/core/detection.hpp"
#include "veil/core/frame.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

namespace veil {

// Rounds boxes and corners to the sidecar's precision (0.01 px). The
// anonymizer hides the rounded boxes, so that `veil render` from the sidecar
// hides exactly the same pixels.
void round_to_sidecar_precision(Detections& detections);

class SidecarWriter {
 public:
  // `path` is a local path or an object URL (see open_output_file).
  explicit SidecarWriter(const std::string& path, const StorageOptions& storage = {});
  // A provenance header line (see pipeline/provenance.hpp): written before
  // the frame lines of the input it describes.
  void write_header(const nlohmann::ordered_json& header);
  // One frame's line: the detections hidden and, under "context", the
  // people and vehicles seen (not hidden; omitted when none).
  void write(const std::string& file, const Frame& frame, const Detections& detections,
             const Detections& context = {});
  void finish();

 private:
  std::unique_ptr<OutputFile> out_;
  std::ofstream stream_;
};

}  // namespace veil
