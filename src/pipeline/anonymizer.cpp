#include "veil/pipeline/anonymizer.hpp"

#include "veil/core/error.hpp"
#include "veil/pipeline/analysis_stage.hpp"
#include "veil/pipeline/sidecar_writer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace veil {
namespace fs = std::filesystem;

namespace {

// Files under `dir` that Veil can process, sorted for a stable order. Skips
// anything under `exclude` (the output folder may sit inside the input).
std::vector<fs::path> media_files_under(const fs::path& dir, const fs::path& exclude) {
  std::vector<fs::path> files;
  std::error_code ec;
  fs::path ex = fs::weakly_canonical(exclude, ec);
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory() && fs::weakly_canonical(it->path()) == ex) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file() && media_kind_for_path(it->path()) != MediaKind::kUnknown) {
      files.push_back(it->path());
    }
  }
  if (ec) throw Error("cannot list folder " + dir.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

bool same_file(const fs::path& a, const fs::path& b) {
  std::error_code ec;
  return fs::exists(b, ec) && fs::equivalent(a, b, ec);
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

RunStats Anonymizer::run(const fs::path& input, const fs::path& output, ProgressListener* progress) {
  auto start = std::chrono::steady_clock::now();
  RunStats stats;
  std::error_code ec;
  if (!fs::exists(input, ec)) throw Error(input.string() + ": no such file or folder");
  if (same_file(input, output)) throw Error(output.string() + ": output would overwrite the input");

  std::unique_ptr<SidecarWriter> sidecar;
  if (options_.detections_path) sidecar = std::make_unique<SidecarWriter>(*options_.detections_path);

  if (fs::is_directory(input, ec)) {
    if (fs::exists(output, ec) && !fs::is_directory(output, ec)) {
      throw Error(output.string() + ": input is a folder, so the output must be a folder too");
    }
    fs::create_directories(output, ec);
    if (ec) throw Error("cannot create output folder " + output.string() + ": " + ec.message());
    std::vector<fs::path> files = media_files_under(input, output);
    if (files.empty()) throw Error(input.string() + ": no videos or images in this folder");
    for (const auto& file : files) {
      // Lexically: fs::relative resolves symlinks, and a linked file's
      // path relative to the folder then climbs out of it ("../../x.jpg"),
      // which put its output outside the output folder, over the very file
      // it was read from.
      fs::path rel = file.lexically_relative(input);
      fs::path dest = output / output_path_for(rel, options_.image_format);
      try {
        if (rel.empty() || *rel.begin() == "..") throw Error(file.string() + ": not inside " + input.string());
        if (same_file(file, dest)) throw Error(dest.string() + ": output would overwrite the input");
        fs::create_directories(dest.parent_path());
        run_file(file, dest, rel.string(), sidecar.get(), stats, progress);
      } catch (const std::exception& ex) {
        spdlog::error("{}", ex.what());
        stats.failures.push_back(ex.what());
      }
    }
  } else {
    run_file(input, output, input.filename().string(), sidecar.get(), stats, progress);
  }
  if (sidecar) sidecar->finish();
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return stats;
}

void Anonymizer::run_file(const fs::path& input, const fs::path& output, const std::string& label,
                          SidecarWriter* sidecar, RunStats& stats, ProgressListener* progress) {
  std::unique_ptr<FrameSource> source = open_source(input);
  std::unique_ptr<FrameSink> sink = open_sink(output, *source, options_.encode);
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
    while (source->read(frame)) emit(analysis.push(std::move(frame)));
    emit(analysis.flush());
  } catch (const Error& ex) {
    // Fail closed: nothing reaches the destination; the sink's temporary
    // file is removed when it is destroyed unfinished.
    std::string what = ex.what();
    if (what.rfind(input.string(), 0) != 0) what = input.string() + ": " + what;
    throw Error(what + "; no output written");
  }
  sink->finish();
  stats.files++;
  if (progress) progress->on_file_end();
}

}  // namespace veil
