#include "veil/pipeline/anonymizer.hpp"

#include "pipeline/analysis_stage.hpp"
#include "pipeline/footage_clock.hpp"
#include "pipeline/frame_redaction.hpp"
#include "pipeline/labelling_manifest.hpp"
#include "pipeline/object_tally.hpp"
#include "pipeline/per_file_run.hpp"
#include "pipeline/provenance.hpp"
#include "sidecar/sidecar_writer.hpp"
#include "veil/core/error.hpp"
#include "veil/core/stop.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace veil {
namespace fs = std::filesystem;

fs::path output_path_for(const fs::path& relative, ImageFormat image_format) {
  if (media_kind_for_path(relative) != MediaKind::kImage) return relative;
  fs::path out = relative;
  if (image_format == ImageFormat::kPng) out.replace_extension(".png");
  if (image_format == ImageFormat::kJpg) out.replace_extension(".jpg");
  return out;
}

StageSettings stage_settings(const AnonymizeOptions& options, const SourceInfo& source) {
  StageSettings s;
  if (!source.is_video) return s;
  s.sweep_frames = options.sweep_frames;
  const double pixels = double(source.width) * source.height;
  s.frames_in_flight = pixels <= FrameAnalyzer::kLargeInputPixels ? options.frames_in_flight : 1;
  return s;
}

Anonymizer::Anonymizer(AnonymizeOptions options, const ModelStore& store)
    : options_(std::move(options)), analyzer_(options_.detection, store), redactor_(options_.redact) {}

RunStats Anonymizer::run(const std::string& input, const std::string& output, ProgressListener* progress) {
  auto start = std::chrono::steady_clock::now();
  RunStats stats;
  std::unique_ptr<SidecarWriter> sidecar;
  if (options_.detections_path) sidecar = std::make_unique<SidecarWriter>(*options_.detections_path, options_.storage);
  // Read (and checked) before the work, not after hours of it.
  std::optional<LabellingManifest> manifest;
  if (options_.manifest_path) manifest.emplace(*options_.manifest_path, options_.storage);
  run_per_file(input, output, options_.image_format, options_.storage, stats,
               [&](const std::string& in, const std::string& out, const std::string& label) {
                 run_file(in, out, label, sidecar.get(), stats, progress);
               });
  if (sidecar) sidecar->finish();
  if (manifest) {
    for (const auto& out : stats.outputs) manifest->add(out);
    manifest->write();
  }
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return stats;
}

void Anonymizer::run_file(const std::string& input, const std::string& output, const std::string& label,
                          SidecarWriter* sidecar, RunStats& stats, ProgressListener* progress) {
  std::unique_ptr<FrameSource> source = open_source(input, options_.storage);
  source->prefer_fast_image();  // redact_frame() takes the hidden pixels from the decoded picture
  std::unique_ptr<FrameSink> sink = open_sink(output, *source, options_.encode, options_.storage);
  if (progress) progress->on_file_start(label, source->info().frame_count);
  const StageSettings stage = stage_settings(options_, source->info());
  AnalysisStage analysis(analyzer_, options_.tracking, stage.sweep_frames, stage.frames_in_flight);
  analysis.release_images_after_analysis();
  if (sidecar) sidecar->write_header(provenance_header(label, options_, source->info()));
  ObjectTally tally;
  FootageClock footage;
  auto emit = [&](std::vector<AnalyzedFrame> ready) {
    for (auto& [frame, found, context] : ready) {
      footage.add(frame.pts_seconds);
      round_to_sidecar_precision(found);
      round_to_sidecar_precision(context);
      if (sidecar) sidecar->write(label, frame, found, context);
      tally.add_frame(found);
      redact_frame(redactor_, frame, found);
      sink->write(frame);
      stats.frames++;
      if (progress) progress->on_frame();
    }
  };
  Frame frame;
  try {
    while (source->read(frame)) {
      throw_if_stop_requested();
      emit(analysis.push(std::move(frame)));
    }
    emit(analysis.flush());
  } catch (const Error& ex) {
    // Fail closed: nothing reaches the destination; the sink's temporary
    // file is removed when it is destroyed unfinished.
    std::string what = ex.what();
    if (what.rfind(input, 0) != 0) what = input + ": " + what;
    throw Error(what + "; no output written");
  }
  sink->finish();
  stats.outputs.push_back(output);
  tally.add_to(stats);
  stats.footage_seconds += footage.seconds();
  if (const std::int64_t missing = source->frames_missing()) {
    const std::int64_t decoded = *source->info().frame_count - missing;
    std::string msg = input + ": the recording ends early (cut off?): " + std::to_string(decoded) + " of the " +
                      std::to_string(*source->info().frame_count) + " frames its index lists could be read; " +
                      output + " holds those " + std::to_string(decoded) + ", anonymized";
    stats.truncated.push_back(std::move(msg));
  }
  stats.files++;
  if (progress) progress->on_file_end();
}

}  // namespace veil
