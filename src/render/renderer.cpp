#include "veil/render/renderer.hpp"

#include "io/video_source.hpp"
#include "pipeline/frame_redaction.hpp"
#include "pipeline/object_tally.hpp"
#include "pipeline/per_file_run.hpp"
#include "veil/core/error.hpp"
#include "veil/core/stop.hpp"
#include "veil/sidecar/sidecar.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>

extern "C" {
#include <libavutil/frame.h>
}

namespace veil {
namespace {

// Sidecar times are written to the microsecond; a frame of another recording
// is off by far more than this.
constexpr double kPtsTolerance = 1e-3;

cv::Size picture_size(const Frame& frame) {
  if (!frame.image.empty()) return frame.image.size();
  return cv::Size(frame.decoded->width, frame.decoded->height);
}

std::string line_of(const std::string& sidecar, const SidecarFrame& f) {
  return sidecar + ":" + std::to_string(f.line) + ": ";
}

// Throws unless the sidecar's line for `frame` is one Veil would have
// written for this frame of this input.
const SidecarFrame& matching_line(const SidecarMedia& media, const std::string& sidecar, const Frame& frame,
                                  cv::Size size, const std::string& input) {
  auto it = media.frames().find(frame.index);
  if (it == media.frames().end()) {
    throw Error(sidecar + ": no line for frame " + std::to_string(frame.index) + " of " + input + " (it lists " +
                std::to_string(media.frames().size()) + " frames): made from another file?");
  }
  const SidecarFrame& line = it->second;
  if (frame.pts_seconds.has_value() != line.pts.has_value() ||
      (line.pts && std::abs(*line.pts - *frame.pts_seconds) > kPtsTolerance)) {
    auto show = [](const std::optional<double>& t) { return t ? std::to_string(*t) : std::string("null"); };
    throw Error(line_of(sidecar, line) + "pts: " + show(line.pts) + " here, but frame " + std::to_string(frame.index) +
                " of " + input + " is at " + show(frame.pts_seconds) + ": made from another file?");
  }
  const cv::Rect2f picture(0.f, 0.f, float(size.width), float(size.height));
  for (std::size_t i = 0; i < line.objects.size(); ++i) {
    if ((line.objects[i].detection.box & picture).area() <= 0.f) {
      throw Error(line_of(sidecar, line) + "detections[" + std::to_string(i) + "].box: outside the " +
                  std::to_string(size.width) + "x" + std::to_string(size.height) + " frame of " + input);
    }
  }
  return line;
}

// The sidecar's header says which input anonymize read; a different size
// or frame count means another file or another version of it. Only a
// warning: the frame-by-frame check below refuses a sidecar whose frames
// do not fit, and a remux (same frames, other container) is legitimate.
void warn_if_other_input(const SidecarMedia& media, const std::string& sidecar, const SourceInfo& info,
                         const std::string& input) {
  if (!media.header()) return;
  const SidecarHeader& h = *media.header();
  if (h.bytes && info.bytes && *h.bytes != *info.bytes) {
    spdlog::warn("{} was made from an input of {} bytes; {} has {} bytes: another file, or a changed one?", sidecar,
                 *h.bytes, input, *info.bytes);
  }
  if (h.frames && info.frame_count && *h.frames != *info.frame_count) {
    spdlog::warn("{} was made from an input of {} frames; {} has {}: another file, or a changed one?", sidecar,
                 *h.frames, input, *info.frame_count);
  }
}

void render_file(const std::string& input, const std::string& output, const std::string& label,
                 const Sidecar& sidecar, const std::string& sidecar_name, const Redactor& redactor,
                 const RenderOptions& options, RunStats& stats, ProgressListener* progress) {
  const SidecarMedia* media = nullptr;
  try {
    media = &sidecar.media_for(label, input, sidecar_name);
  } catch (const Error& ex) {
    throw Error(std::string(ex.what()) + "; nothing written");
  }
  std::unique_ptr<FrameSource> source = open_source(input, options.storage);
  warn_if_other_input(*media, sidecar_name, source->info(), input);
  // Only the areas that change are converted to BGR and back: render runs
  // at close to the speed of a plain transcode.
  if (auto* video = dynamic_cast<VideoSource*>(source.get())) video->set_bgr(false);
  std::unique_ptr<FrameSink> sink = open_sink(output, *source, options.encode, options.storage);
  if (progress) progress->on_file_start(label, source->info().frame_count);
  std::int64_t frames = 0;
  ObjectTally tally;
  try {
    Frame frame;
    while (source->read(frame)) {
      throw_if_stop_requested();
      matching_line(*media, sidecar_name, frame, picture_size(frame), input);
      const Detections hide = media->to_hide(frame.index);
      tally.add_frame(hide);
      redact_frame(redactor, frame, hide);
      sink->write(frame);
      ++frames;
      if (progress) progress->on_frame();
    }
    if (std::int64_t(media->frames().size()) != frames) {
      throw Error(sidecar_name + " lists " + std::to_string(media->frames().size()) + " frames of " + label + ", but " +
                  input + " has " + std::to_string(frames) + ": made from another file?");
    }
  } catch (const Error& ex) {
    throw Error(std::string(ex.what()) + "; nothing written");
  }
  sink->finish();
  tally.add_to(stats);
  stats.frames += frames;
  stats.files++;
  if (progress) progress->on_file_end();
}

}  // namespace

RunStats render(const std::string& input, const std::string& sidecar_path, const std::string& output,
                const RenderOptions& options, ProgressListener* progress) {
  const auto start = std::chrono::steady_clock::now();
  const Sidecar sidecar = Sidecar::load(sidecar_path, options.storage);
  const Redactor redactor(options.redact);
  RunStats stats;
  run_per_file(input, output, options.image_format, options.storage, stats,
               [&](const std::string& in, const std::string& out, const std::string& label) {
                 render_file(in, out, label, sidecar, sidecar_path, redactor, options, stats, progress);
               });
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return stats;
}

}  // namespace veil
