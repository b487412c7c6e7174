// `veil anonymize`: a file, a folder or an s3:// location, or with --live a
// stream as it arrives.
#include "commands.hpp"
#include "exit_status.hpp"
#include "options.hpp"
#include "progress_bar.hpp"
#include "run_summary.hpp"
#include "veil/core/stop.hpp"
#include "veil/io/media_io.hpp"
#include "veil/core/logging.hpp"
#include "veil/live/live_anonymizer.hpp"
#include "veil/ops/monitoring.hpp"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <optional>
#include <unistd.h>

namespace veil::cli {
namespace {

int run_anonymize(const AnonymizeArgs& a) {
  AnonymizeOptions o = anonymize_options(a);
  ModelStore store = model_store(a.no_download);
  Anonymizer anonymizer(o, store);
  ProgressBar bar;
  bool show_progress = !a.quiet && ::isatty(STDERR_FILENO);
  RunStats s = anonymizer.run(a.input, a.output, show_progress ? &bar : nullptr);
  return finish_run(s, o.detection.targets, a.quiet, a.json);
}

struct LiveArgs {
  ServiceArgs service;
  bool live = false;
  std::string latency = "2s", when_behind = "lighten", stall = "2s", give_up = "0", stats, format;
  std::vector<std::string> input_options, output_options;
};

void add_live_options(CLI::App& app, LiveArgs& l) {
  const std::string group = "Live streams (--live)";
  app.add_flag("--live", l.live, "read a live stream (rtsp, srt, udp, tcp, http, rtmp URL) and write a live output")
      ->group(group);
  app.add_option("--latency", l.latency, "the most a frame may wait between arriving and leaving (e.g. 1s, 500ms)")
      ->capture_default_str()->group(group);
  app.add_option("--when-behind", l.when_behind,
                 "detection slower than the stream: lighten (spread the fine passes, then hide whole frames) "
                 "or hide (hide whole frames)")
      ->check(CLI::IsMember({"lighten", "hide"}))->capture_default_str()->group(group);
  app.add_option("--stall-timeout", l.stall, "no frame for this long: the input is lost and reopened")
      ->capture_default_str()->group(group);
  app.add_option("--give-up-after", l.give_up, "input lost for this long: stop (0: keep trying)")
      ->capture_default_str()->group(group);
  app.add_option("--stats", l.stats, "write the status each second and events as JSON Lines to this file")
      ->group(group);
  app.add_option("-f,--format", l.format, "output container (mpegts, hls, flv, rtsp, ...) where the URL does not say")
      ->group(group);
  app.add_option("--input-option", l.input_options, "an FFmpeg input option KEY=VALUE (e.g. rtsp_transport=tcp)")
      ->group(group);
  app.add_option("--output-option", l.output_options, "an FFmpeg output option KEY=VALUE (e.g. hls_list_size=10)")
      ->group(group);
  add_service_options(app, l.service, group);
}

// A status line redrawn in place once a second.
void print_live_status(const LiveStatus& s) {
  fmt::print(stderr, "\r\033[Klive {:.0f}s: in {:.1f} fps, out {:.1f} fps, latency {:.2f} s (max {:.2f}), "
             "{} hidden whole, {} reconnects{}{}{}",
             s.seconds, s.fps_in, s.fps_out, s.latency_mean, s.latency_max, s.hidden_whole, s.reconnects,
             s.sweep_frames > 0 ? fmt::format(", sweep {}", s.sweep_frames) : "",
             s.dropped.empty() ? "" : fmt::format(", without {}", s.dropped),
             s.input_connected ? "" : ", INPUT LOST");
}

int run_live(const AnonymizeArgs& a, const LiveArgs& l) {
  if (!is_stream_url(a.input)) {
    throw UsageError(a.input + ": --live reads a stream URL (rtsp://, srt://, udp://, tcp://, http://, rtmp://)");
  }
  if (!a.detections.empty()) throw UsageError("--detections is not available with --live yet");
  if (!a.manifest.empty()) throw UsageError("--manifest lists finished files; a live output never finishes");
  AnonymizeOptions o = anonymize_options(a);
  // Encoding must leave the cores to detection: x264 veryfast takes ~50 ms
  // of CPU per 1080p frame, ultrafast half that (docs/live.md).
  if (a.preset == AnonymizeArgs{}.preset) o.encode.preset = "ultrafast";
  o.encode.format = l.format;
  o.encode.muxer_options = parse_key_values("--output-option", l.output_options);
  LiveOptions live;
  live.latency_seconds = parse_duration("--latency", l.latency);
  if (live.latency_seconds <= 0) throw UsageError("--latency: must be more than 0");
  live.when_behind = l.when_behind == "hide" ? BehindPolicy::kHide : BehindPolicy::kLighten;
  live.stall_seconds = parse_duration("--stall-timeout", l.stall);
  if (live.stall_seconds <= 0) throw UsageError("--stall-timeout: must be more than 0");
  live.give_up_seconds = parse_duration("--give-up-after", l.give_up);
  live.input_options = parse_key_values("--input-option", l.input_options);
  if (!l.stats.empty()) live.stats_path = l.stats;

  Metrics metrics;
  Health health;
  std::optional<MonitoringServer> monitoring;
  if (!l.service.metrics.empty()) monitoring.emplace(l.service.metrics, metrics, health);
  health.set("models", false, "loading");
  ModelStore store = model_store(a.no_download);
  LiveAnonymizer anonymizer(o, live, store);
  health.set("models", true);
  const std::string input_name = without_credentials(a.input);  // probes and logs show no password
  health.set("input", false, "connecting to " + input_name);
  // The status line is for a person at a terminal; JSON logs stay JSON.
  const bool show_status = !a.quiet && ::isatty(STDERR_FILENO) && log_format() == LogFormat::kText;
  LogContext stream("stream", input_name);
  LiveStats s = anonymizer.run(a.input, a.output, [&](const LiveStatus& st) {
    if (show_status) print_live_status(st);
    metrics.live_status(st.frames_in, st.frames_out, st.hidden_whole, st.reconnects, st.latency_mean, st.latency_max,
                        st.input_connected);
    health.set("input", st.input_connected, st.input_connected ? input_name : "input lost: " + input_name);
  });
  if (show_status) fmt::print(stderr, "\n");
  if (!a.quiet) {
    log_summary(fmt::format("live: {} frames in, {} out ({} hidden whole), latency max {:.2f} s, {} reconnects, "
                            "input lost {:.1f} s in all",
                            s.last.frames_in, s.last.frames_out, s.last.hidden_whole, s.latency_max, s.last.reconnects,
                            s.gap_seconds));
  }
  if (s.failure) {
    spdlog::error("{}; {} was closed properly", *s.failure, a.output);
    return kFailed;
  }
  return kSuccess;
}

}  // namespace

void add_anonymize_command(CLI::App& app, Run& run) {
  auto a = std::make_shared<AnonymizeArgs>();
  auto l = std::make_shared<LiveArgs>();
  CLI::App* cmd = app.add_subcommand("anonymize", "write a copy with every face and plate hidden");
  add_anonymize_options(*cmd, *a);
  cmd->add_option("--manifest", a->manifest,
                  "add the outputs to a JSON Lines manifest for labelling ({\"source-ref\": ...} per file, SageMaker "
                  "Ground Truth's input) at this path or s3:// URL");
  add_live_options(*cmd, *l);
  cmd->callback([a, l, &run] {
    run = [a, l] {
      if (l->live) apply_log_format(l->service);
      if (a->quiet) spdlog::set_level(spdlog::level::warn);
      if (l->live) return run_live(*a, *l);
      if (!l->service.metrics.empty() || l->service.log_format != "text") {
        throw UsageError("--metrics and --log-format are for --live (and veil worker, veil watch)");
      }
      if (is_stream_url(a->input)) {
        throw UsageError(a->input + ": a stream; add --live to anonymize it as it arrives");
      }
      return run_anonymize(*a);
    };
  });
}

}  // namespace veil::cli
