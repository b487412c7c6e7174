// veil::anonymize: the Anonymizer behind plain types, with a per-run cancel.
#include "facade/found_objects.hpp"
#include "veil/core/stop.hpp"
#include "veil/pipeline/anonymizer.hpp"
#include "veil/veil.hpp"

#include <nlohmann/json.hpp>

extern "C" {
#include <libavutil/log.h>
}

namespace veil {
namespace {

class ProgressAdapter : public ProgressListener {
 public:
  explicit ProgressAdapter(const std::function<void(const AnonymizeProgress&)>& tell) : tell_(tell) {}
  void on_file_start(const std::string& name, std::optional<std::int64_t> frame_count) override {
    now_.file = name;
    now_.frame = 0;
    now_.frames = frame_count;
  }
  void on_frame() override {
    ++now_.frame;
    tell_(now_);
  }
  void on_file_end() override { ++now_.files_done; }

 private:
  const std::function<void(const AnonymizeProgress&)>& tell_;
  AnonymizeProgress now_;
};

AnonymizeOptions anonymize_options(const AnonymizeSettings& s) {
  AnonymizeOptions o;
  o.detection = facade::detection_options(s.detection);
  o.redact = facade::redact_options(s.style);
  if (!s.tracking) o.tracking.reset();
  if (s.sweep_frames < 1 || s.sweep_frames > 16) throw Error("sweep_frames: expected 1 to 16");
  o.sweep_frames = s.sweep_frames;
  if (s.codec != "h264" && s.codec != "h265") throw Error("codec: expected h264 or h265, got '" + s.codec + "'");
  o.encode.codec = s.codec;
  o.encode.crf = s.crf;
  o.encode.preset = s.preset;
  o.encode.strip_metadata = s.strip_metadata;
  if (!s.detections.empty()) o.detections_path = s.detections;
  if (!s.manifest.empty()) o.manifest_path = s.manifest;
  o.storage.force_path_style = s.s3_path_style;
  return o;
}

std::map<std::string, std::int64_t> by_name(const std::map<ObjectClass, std::int64_t>& counts) {
  std::map<std::string, std::int64_t> out;
  for (const auto& [cls, n] : counts) out[std::string(to_string(cls))] = n;
  return out;
}

}  // namespace

AnonymizeSummary anonymize(const std::string& input, const std::string& output, const AnonymizeSettings& settings,
                           const std::function<void(const AnonymizeProgress&)>& progress,
                           const std::atomic<bool>* cancel) {
  StopScope stop(cancel);
  // x264 prints its settings and statistics at FFmpeg's default level on
  // every encode; Veil reports what matters itself. A caller who chose a
  // level keeps it.
  if (av_log_get_level() == AV_LOG_INFO) av_log_set_level(AV_LOG_ERROR);
  const AnonymizeOptions options = anonymize_options(settings);
  ModelStoreOptions store_options;
  if (!settings.detection.model_dir.empty()) store_options.mirror_dir = settings.detection.model_dir;
  store_options.allow_download = !settings.detection.offline;
  const ModelStore store(store_options);
  Anonymizer anonymizer(options, store);
  ProgressAdapter adapter(progress);
  const RunStats r = anonymizer.run(input, output, progress ? &adapter : nullptr);
  AnonymizeSummary s;
  s.files = r.files;
  s.frames = r.frames;
  s.objects = by_name(r.objects);
  for (ObjectClass c : options.detection.targets) s.objects.emplace(std::string(to_string(c)), 0);
  s.boxes = r.boxes();
  s.detected_boxes = by_name(r.detections);
  for (ObjectClass c : options.detection.targets) s.detected_boxes.emplace(std::string(to_string(c)), 0);
  s.tracked_boxes = r.tracked;
  s.frames_with_objects = r.frames_with_objects;
  s.seconds = r.seconds;
  s.footage_seconds = r.footage_seconds;
  s.outputs = r.outputs;
  s.failures = r.failures;
  s.truncated = r.truncated;
  return s;
}

std::string AnonymizeSummary::to_json() const {
  return nlohmann::json{{"files", files},
                        {"frames", frames},
                        {"objects", objects},
                        {"boxes", boxes},
                        {"detected_boxes", detected_boxes},
                        {"tracked_boxes", tracked_boxes},
                        {"frames_with_objects", frames_with_objects},
                        {"seconds", seconds},
                        {"footage_seconds", footage_seconds},
                        {"outputs", outputs},
                        {"failures", failures},
                        {"truncated", truncated}}
      .dump();
}

}  // namespace veil
