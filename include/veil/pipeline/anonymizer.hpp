#pragma once
// The whole job for one input path (a video, an image or a folder of them):
// decode, detect, redact, encode, write, and report what was found.
#include "veil/io/media_io.hpp"
#include "veil/pipeline/frame_analyzer.hpp"
#include "veil/redact/redactor.hpp"
#include "veil/track/tracking_options.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <set>
#include <optional>
#include <string>
#include <vector>

namespace veil {

enum class ImageFormat { kSame, kPng, kJpg };

struct AnonymizeOptions {
  DetectionOptions detection;
  // Follow objects across video frames (gap filling and look-ahead);
  // none analyses every frame on its own.
  std::optional<LookaheadOptions> tracking = LookaheadOptions{};
  // Video with tracking: the detectors' fine passes (upscaled faces, plate
  // tiles: the ones for small, distant objects) are spread over this many
  // frames, and the tracker holds what they find in between. 1 runs every
  // pass on every frame. Still images always get every pass. The default,
  // 8, is the look-ahead's length: an object a fine pass alone can find is
  // found within the look-ahead, which hides it back to the frame it came
  // into view. Against 4 it took a tenth off the 960x540 run and a seventh
  // off the 1280x720 one; on the pan and zoom clips it hid as many (frame,
  // face) pairs at 640x480 and 1280x720, about two fewer of 1130 at 960x540
  // and five fewer at 1920x1080 (one more flicker leak there), and on the road
  // clips one plate-frame fewer on two of three (docs/speed.md).
  int sweep_frames = 8;
  // Video: frames whose analysis may overlap, so that the workers never
  // wait for one frame's slowest pass. The tracker's predictions for a
  // frame's focus passes then come from the frames before the previous one.
  // Frames above FrameAnalyzer::kLargeInputPixels get 1: their native pass
  // is a large one, which runs alone anyway.
  int frames_in_flight = 2;
  RedactOptions redact;
  VideoEncodeOptions encode;
  ImageFormat image_format = ImageFormat::kSame;  // for images inside a folder
  std::optional<std::string> detections_path;  // JSON Lines sidecar: a path or an object URL
  // A JSON Lines manifest of the outputs for labelling ({"source-ref": ...}
  // per file, SageMaker Ground Truth's input): a path or an object URL.
  // Lines already there are kept.
  std::optional<std::string> manifest_path;
  StorageOptions storage;  // for s3:// inputs and outputs
};

struct RunStats {
  std::int64_t files = 0;
  std::int64_t frames = 0;
  // Objects hidden, by class: one per track, whichever models found it and
  // however many frames it spans; an untracked box (a still image, or
  // --no-tracking) is an object of its own.
  std::map<ObjectClass, std::int64_t> objects;
  // Boxes hidden, one per object per frame: found by a detector (models
  // fused), and added by tracking (gaps, look-ahead).
  std::map<ObjectClass, std::int64_t> detections;
  std::int64_t tracked = 0;
  std::int64_t frames_with_objects = 0;  // frames with at least one box
  double seconds = 0;          // wall time of the run
  double footage_seconds = 0;  // video played back: from the first frame's time to the end of the last
  std::vector<std::string> outputs;   // the files written (paths or URLs), in order
  std::vector<std::string> failures;  // one message per input that failed
  // One message per video cut short (see FrameSource::frames_missing): its
  // output holds every frame that decoded, each analysed and redacted.
  std::vector<std::string> truncated;

  std::int64_t boxes() const;  // every box hidden: detections and tracked
  // {"files", "frames", "objects": {class: n}, "boxes", "detected_boxes":
  // {class: n}, "tracked_boxes", "frames_with_objects", "seconds",
  // "footage_seconds", "outputs": [...], "failures": [...], "truncated":
  // [...]}; every class of `classes` appears.
  nlohmann::json to_json(const std::set<ObjectClass>& classes) const;
};

// Told about progress; the CLI draws a bar with it. Called from the thread
// that runs the pipeline.
class ProgressListener {
 public:
  virtual ~ProgressListener() = default;
  virtual void on_file_start(const std::string& name, std::optional<std::int64_t> frame_count) = 0;
  virtual void on_frame() = 0;
  virtual void on_file_end() = 0;
};

// The AnalysisStage settings for a source, the same in anonymize and eval:
// the sweep and the frames in flight of `options` for video (see above),
// 1 and 1 for images.
struct StageSettings {
  int sweep_frames = 1;
  int frames_in_flight = 1;
};
StageSettings stage_settings(const AnonymizeOptions& options, const SourceInfo& source);

class Anonymizer {
 public:
  // Loads the models. Throws veil::Error.
  Anonymizer(AnonymizeOptions options, const ModelStore& store);

  // Anonymizes `input` into `output`: local paths or object URLs
  // (s3://bucket/key), in any mix. A folder (or an object prefix ending in
  // '/') is processed file by file into the same relative paths under
  // `output`. For a single file a failure throws veil::Error and leaves
  // nothing at `output`. For a folder each file that fails is recorded in
  // RunStats::failures and the others still complete. After
  // veil::request_stop() it throws veil::Error("interrupted") between
  // frames, leaving nothing of the unfinished file.
  RunStats run(const std::string& input, const std::string& output, ProgressListener* progress = nullptr);

  // Where the next run() writes its detections sidecar (none: no sidecar),
  // so that one Anonymizer, with its models loaded, serves many jobs.
  void set_detections_path(std::optional<std::string> path) { options_.detections_path = std::move(path); }

 private:
  void run_file(const std::string& input, const std::string& output,
                const std::string& label, class SidecarWriter* sidecar, RunStats& stats,
                ProgressListener* progress);

  AnonymizeOptions options_;
  FrameAnalyzer analyzer_;
  Redactor redactor_;
};

// Where a file inside an input folder goes inside the output folder.
std::filesystem::path output_path_for(const std::filesystem::path& relative, ImageFormat image_format);

}  // namespace veil
