#include "veil/pipeline/anonymizer.hpp"

#include "veil/core/error.hpp"
#include "veil/core/stop.hpp"
#include "io/media_listing.hpp"
#include "veil/pipeline/analysis_stage.hpp"
#include "pipeline/sidecar_writer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace veil {
namespace fs = std::filesystem;

namespace {

bool same_file(const fs::path& a, const fs::path& b) {
  std::error_code ec;
  return fs::exists(b, ec) && fs::equivalent(a, b, ec);
}

bool same_location(const std::string& a, const std::string& b) {
  if (is_object_url(a) || is_object_url(b)) return a == b;
  return same_file(a, b);
}

}  // namespace

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
  if (same_location(input, output)) throw Error(output + ": output would overwrite the input");
  const MediaListing listing = list_media(input, output, options_.storage);

  std::unique_ptr<SidecarWriter> sidecar;
  if (options_.detections_path) sidecar = std::make_unique<SidecarWriter>(*options_.detections_path, options_.storage);

  if (listing.is_folder) {
    if (!is_object_url(output)) {
      std::error_code ec;
      if (fs::exists(output, ec) && !fs::is_directory(output, ec)) {
        throw Error(output + ": input is a folder, so the output must be a folder too");
      }
      fs::create_directories(output, ec);
      if (ec) throw Error("cannot create output folder " + output + ": " + ec.message());
    }
    if (listing.files.empty()) throw Error(input + ": no videos or images in this folder");
    for (const auto& file : listing.files) {
      const std::string dest = join_location(output, output_path_for(file.relative, options_.image_format).generic_string());
      try {
        if (!file.problem.empty()) throw Error(file.problem);
        if (same_location(file.location, dest)) throw Error(dest + ": output would overwrite the input");
        if (!is_object_url(dest)) fs::create_directories(fs::path(dest).parent_path());
        run_file(file.location, dest, file.relative, sidecar.get(), stats, progress);
      } catch (const std::exception& ex) {
        if (stop_requested()) throw;
        spdlog::error("{}", ex.what());
        stats.failures.push_back(ex.what());
      }
    }
  } else {
    const MediaEntry& file = listing.files.front();
    // "-o s3://bucket/folder/" names where the file goes, under its own name.
    const bool to_prefix = is_object_url(output) && output.back() == '/';
    run_file(file.location, to_prefix ? output + file.relative : output, file.relative, sidecar.get(), stats,
             progress);
  }
  if (sidecar) sidecar->finish();
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return stats;
}

void Anonymizer::run_file(const std::string& input, const std::string& output, const std::string& label,
                          SidecarWriter* sidecar, RunStats& stats, ProgressListener* progress) {
  std::unique_ptr<FrameSource> source = open_source(input, options_.storage);
  std::unique_ptr<FrameSink> sink = open_sink(output, *source, options_.encode, options_.storage);
  if (progress) progress->on_file_start(label, source->info().frame_count);
  const StageSettings stage = stage_settings(options_, source->info());
  AnalysisStage analysis(analyzer_, options_.tracking, stage.sweep_frames, stage.frames_in_flight);
  auto emit = [&](std::vector<AnalyzedFrame> ready) {
    for (auto& [frame, found] : ready) {
      if (sidecar) sidecar->write(label, frame, found);
      for (const auto& d : found) {
        if (d.predicted) {
          stats.tracked++;
        } else {
          stats.detections[d.cls]++;
        }
      }
      redactor_.apply(frame.image, found);
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
