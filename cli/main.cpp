// `veil`: the command-line front of libveil. Parses options, builds the
// pipeline, prints progress and a summary. All real work lives in the library.
#include "exit_status.hpp"
#include "progress_bar.hpp"
#include "run_summary.hpp"
#include "veil/core/error.hpp"
#include "veil/core/stop.hpp"
#include "veil/core/version.hpp"
#include "veil/eval/evaluator.hpp"
#include "veil/live/live_anonymizer.hpp"
#include "veil/models/model_manifest.hpp"
#include "veil/pipeline/anonymizer.hpp"
#include "veil/queue/work_queue.hpp"
#include "veil/render/renderer.hpp"
#include "veil/review/review_server.hpp"

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

extern "C" {
#include <libavutil/log.h>
}

#include <cstdio>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <algorithm>
#include <cmath>
#include <atomic>
#include <chrono>
#include <thread>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <unistd.h>

namespace {

using namespace veil;

using namespace veil::cli;  // exit statuses

// An option value the parser accepted but Veil cannot use: a usage error.
struct UsageError : Error {
  using Error::Error;
};

// Ctrl-C and SIGTERM ask the pipeline to stop between frames, so that every
// unfinished output is discarded (temporary files removed, uploads
// aborted). A second signal ends the process at once.
void on_stop_signal(int signal) {
  if (stop_requested()) {
    std::signal(signal, SIG_DFL);
    std::raise(signal);
    return;
  }
  request_stop();
}

// "black", "white", "gray", "R,G,B" or "#RRGGBB" (RGB order) -> BGR scalar.
cv::Scalar parse_color(const std::string& text) {
  if (text == "black") return {0, 0, 0};
  if (text == "white") return {255, 255, 255};
  if (text == "gray" || text == "grey") return {128, 128, 128};
  int r, g, b;
  char tail;
  if (text.size() == 7 && text[0] == '#' && std::sscanf(text.c_str() + 1, "%2x%2x%2x%c", &r, &g, &b, &tail) == 3) {
    return {double(b), double(g), double(r)};
  }
  if (std::sscanf(text.c_str(), "%d,%d,%d%c", &r, &g, &b, &tail) == 3 && r >= 0 && r < 256 && g >= 0 &&
      g < 256 && b >= 0 && b < 256) {
    return {double(b), double(g), double(r)};
  }
  throw UsageError("--fill-color: expected black, white, gray, R,G,B or #RRGGBB, got '" + text + "'");
}

std::set<ObjectClass> parse_targets(const std::string& text) {
  std::set<ObjectClass> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    auto c = parse_object_class(item);
    if (!c) throw UsageError("--targets: unknown class '" + item + "' (expected face, plate)");
    out.insert(*c);
  }
  if (out.empty()) throw UsageError("--targets: name at least one of face, plate");
  return out;
}

struct AnonymizeArgs {
  std::string input, output, targets = "face,plate", mode = "blur", shape = "auto", fill = "black";
  std::string image_format = "same", codec = "h264", preset = "medium", detections;
  std::optional<float> face_threshold, plate_threshold;
  std::vector<std::string> face_models = DetectionOptions{}.face_models;
  std::vector<std::string> plate_models = DetectionOptions{}.plate_models;
  bool allow_noncommercial = false;
  float mask_scale = 1.3f, plate_mask_scale = 1.15f;
  int block_size = 0;
  std::optional<int> crf;
  bool strip_metadata = false, quiet = false, json = false, no_download = false, no_tracking = false, s3_path_style = false;
  int lookahead = LookaheadOptions{}.window, max_gap = TrackerOptions{}.max_gap;
  int sweep = AnonymizeOptions{}.sweep_frames, threads = 0;
};

// How a hidden object looks: shared by anonymize, eval, render and review.
void add_redaction_options(CLI::App& app, AnonymizeArgs& a) {
  app.add_option("--mode", a.mode, "blur, pixelate, fill or none (report only)")
      ->check(CLI::IsMember({"blur", "pixelate", "fill", "none"}))
      ->capture_default_str();
  app.add_option("--shape", a.shape, "auto (ellipse for faces, outline for plates), ellipse or box")
      ->check(CLI::IsMember({"auto", "ellipse", "box"}))
      ->capture_default_str();
  app.add_option("--mask-scale", a.mask_scale, "hidden area size relative to a detected face")
      ->check(CLI::Range(0.5, 4.0))
      ->capture_default_str();
  app.add_option("--plate-mask-scale", a.plate_mask_scale, "hidden area size relative to a detected plate")
      ->check(CLI::Range(0.5, 4.0))
      ->capture_default_str();
  app.add_option("--fill-color", a.fill, "fill colour: black, white, gray, R,G,B or #RRGGBB")->capture_default_str();
  app.add_option("--block-size", a.block_size, "pixelate block size in pixels (0: scale with the object)")
      ->check(CLI::NonNegativeNumber);
}

// Options that decide what is hidden: shared by anonymize and eval, so that
// eval measures exactly what anonymize would do with the same flags.
void add_detection_options(CLI::App& app, AnonymizeArgs& a) {
  app.add_option("--targets", a.targets, "what to hide: face, plate, or face,plate")->capture_default_str();
  app.add_option("--face-threshold", a.face_threshold, "face score threshold (lower finds more)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--plate-threshold", a.plate_threshold, "plate score threshold (lower finds more)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--face-models", a.face_models, "face models to run, by manifest name (see veil models)")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--plate-models", a.plate_models, "plate models to run, by manifest name (see veil models)")
      ->delimiter(',')
      ->capture_default_str();
  app.add_flag("--allow-noncommercial", a.allow_noncommercial,
               "allow models whose licence forbids commercial use (their licence is printed on every run)");
  add_redaction_options(app, a);
  app.add_option("--lookahead", a.lookahead, "video: frames held back so an object is hidden before its first detection")
      ->check(CLI::Range(0, 250))
      ->capture_default_str();
  app.add_option("--max-gap", a.max_gap, "video: frames an object stays hidden along its motion after a detector miss")
      ->check(CLI::Range(0, 250))
      ->capture_default_str();
  app.add_option("--sweep", a.sweep,
                 "video: spread the small-object passes over this many frames (1 = all passes on every frame)")
      ->check(CLI::Range(1, 16))
      ->capture_default_str();
  app.add_option("--threads", a.threads, "detection threads (0 = one per core)")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  app.add_flag("--no-tracking", a.no_tracking, "video: analyse every frame on its own (no gap filling, no look-ahead)");
  app.add_flag("--offline", a.no_download, "never download models; use VEIL_MODEL_DIR or the cache only");
  app.add_flag("--s3-path-style", a.s3_path_style,
               "address s3:// buckets as ENDPOINT/bucket/key (MinIO and most local servers; automatic for "
               "localhost and IP endpoints)");
}

// How outputs are written: shared by anonymize and render.
void add_output_options(CLI::App& app, AnonymizeArgs& a) {
  app.add_option("--image-format", a.image_format, "images inside a folder: same, png or jpg")
      ->check(CLI::IsMember({"same", "png", "jpg"}))
      ->capture_default_str();
  app.add_option("--codec", a.codec, "video encoder: h264 (libx264) or h265 (libx265)")
      ->check(CLI::IsMember({"h264", "h265"}))
      ->capture_default_str();
  app.add_option("--crf", a.crf, "encoder quality (lower is better; default 18 for h264, 20 for h265)")
      ->check(CLI::Range(0, 51));
  app.add_option("--preset", a.preset, "encoder speed preset (ultrafast ... veryslow)")
      ->check(CLI::IsMember({"ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower",
                             "veryslow"}))
      ->capture_default_str();
  app.add_flag("--strip-metadata", a.strip_metadata, "drop container and stream metadata (GPS, creation time)");
}

void add_anonymize(CLI::App& app, AnonymizeArgs& a) {
  app.add_option("input", a.input, "video, image, or folder of them; or s3://bucket/key, s3://bucket/prefix/")
      ->required();
  app.add_option("-o,--output", a.output, "output file (format from its extension) or folder; or an s3:// URL")
      ->required();
  add_detection_options(app, a);
  app.add_option("--detections", a.detections, "write detections as JSON Lines to this file (or s3:// URL)");
  add_output_options(app, a);
  app.add_flag("-q,--quiet", a.quiet, "no progress bar and no summary");
  app.add_flag("--json", a.json, "print the summary as one JSON object on stdout (objects and boxes per class)");
}

RedactOptions redact_options(const AnonymizeArgs& a) {
  RedactOptions r;
  r.mode = *parse_redact_mode(a.mode);
  r.shape = *parse_mask_shape(a.shape);
  r.face_mask_scale = a.mask_scale;
  r.plate_mask_scale = a.plate_mask_scale;
  r.fill_color = parse_color(a.fill);
  r.block_size = a.block_size;
  return r;
}

ImageFormat image_format(const AnonymizeArgs& a) {
  return a.image_format == "png" ? ImageFormat::kPng : a.image_format == "jpg" ? ImageFormat::kJpg : ImageFormat::kSame;
}

VideoEncodeOptions encode_options(const AnonymizeArgs& a) {
  VideoEncodeOptions e;
  e.codec = a.codec;
  e.crf = a.crf;
  e.preset = a.preset;
  e.strip_metadata = a.strip_metadata;
  return e;
}

AnonymizeOptions anonymize_options(const AnonymizeArgs& a) {
  AnonymizeOptions o;
  o.detection.targets = parse_targets(a.targets);
  o.detection.face_threshold = a.face_threshold;
  o.detection.plate_threshold = a.plate_threshold;
  o.detection.face_models = a.face_models;
  o.detection.plate_models = a.plate_models;
  o.detection.allow_noncommercial = a.allow_noncommercial;
  o.detection.threads = a.threads;
  o.storage.force_path_style = a.s3_path_style;
  o.sweep_frames = a.sweep;
  if (a.no_tracking) {
    o.tracking.reset();
  } else {
    o.tracking->window = a.lookahead;
    o.tracking->tracker.max_gap = a.max_gap;
  }
  o.redact = redact_options(a);
  o.image_format = image_format(a);
  o.encode = encode_options(a);
  if (!a.detections.empty()) o.detections_path = a.detections;
  return o;
}

ModelStore model_store(bool no_download) {
  ModelStoreOptions store_options;
  store_options.allow_download = !no_download;
  return ModelStore(store_options);
}

int run_anonymize(const AnonymizeArgs& a) {
  AnonymizeOptions o = anonymize_options(a);
  ModelStore store = model_store(a.no_download);
  Anonymizer anonymizer(o, store);
  cli::ProgressBar bar;
  bool show_progress = !a.quiet && ::isatty(STDERR_FILENO);
  RunStats s = anonymizer.run(a.input, a.output, show_progress ? &bar : nullptr);
  return finish_run(s, o.detection.targets, a.quiet, a.json);
}

// --- Live streams ------------------------------------------------------------

struct LiveArgs {
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
}

// "2s", "500ms", "1.5", "1m" -> seconds.
double parse_duration(const std::string& name, const std::string& text) {
  double value = 0;
  std::size_t used = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  const std::string unit = text.substr(used);
  double scale = 0;
  if (unit.empty() || unit == "s") scale = 1;
  if (unit == "ms") scale = 0.001;
  if (unit == "m" || unit == "min") scale = 60;
  if (used == 0 || scale == 0 || !(value >= 0) || std::isinf(value)) {
    throw UsageError(name + ": expected a duration such as 2s, 500ms or 1m, got '" + text + "'");
  }
  return value * scale;
}

std::vector<std::pair<std::string, std::string>> parse_key_values(const std::string& name,
                                                                  const std::vector<std::string>& items) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& item : items) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) throw UsageError(name + ": expected KEY=VALUE, got '" + item + "'");
    out.emplace_back(item.substr(0, eq), item.substr(eq + 1));
  }
  return out;
}

// A status line redrawn in place once a second.
void print_live_status(const LiveStatus& s) {
  fmt::print(stderr, "\r\033[Klive {:.0f}s: in {:.1f} fps, out {:.1f} fps, latency {:.2f} s (max {:.2f}), "
             "{} hidden whole, {} reconnects{}{}",
             s.seconds, s.fps_in, s.fps_out, s.latency_mean, s.latency_max, s.hidden_whole, s.reconnects,
             s.sweep_frames > 0 ? fmt::format(", sweep {}", s.sweep_frames) : "",
             s.input_connected ? "" : ", INPUT LOST");
}

int run_live(const AnonymizeArgs& a, const LiveArgs& l) {
  if (!is_stream_url(a.input)) {
    throw UsageError(a.input + ": --live reads a stream URL (rtsp://, srt://, udp://, tcp://, http://, rtmp://)");
  }
  if (!a.detections.empty()) throw UsageError("--detections is not available with --live yet");
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

  ModelStore store = model_store(a.no_download);
  LiveAnonymizer anonymizer(o, live, store);
  const bool show_status = !a.quiet && ::isatty(STDERR_FILENO);
  LiveStats s = anonymizer.run(a.input, a.output, show_status ? print_live_status : std::function<void(const LiveStatus&)>{});
  if (show_status) fmt::print(stderr, "\n");
  if (!a.quiet) {
    fmt::print(stderr, "veil: live: {} frames in, {} out ({} hidden whole), latency max {:.2f} s, {} reconnects, "
               "input lost {:.1f} s in all\n",
               s.last.frames_in, s.last.frames_out, s.last.hidden_whole, s.latency_max, s.last.reconnects,
               s.gap_seconds);
  }
  if (s.failure) {
    fmt::print(stderr, "veil: error: {}; {} was closed properly\n", *s.failure, a.output);
    return kFailed;
  }
  return kSuccess;
}

// --- Review and render -----------------------------------------------------

void add_render(CLI::App& app, AnonymizeArgs& a) {
  app.add_option("input", a.input, "the video, image or folder the sidecar was made from (or s3:// URL)")->required();
  app.add_option("--detections", a.detections, "the sidecar (JSON Lines) that says what to hide; or s3:// URL")
      ->required();
  app.add_option("-o,--output", a.output, "output file (format from its extension) or folder; or an s3:// URL")
      ->required();
  add_redaction_options(app, a);
  add_output_options(app, a);
  app.add_flag("--s3-path-style", a.s3_path_style, "address s3:// buckets as ENDPOINT/bucket/key");
  app.add_flag("-q,--quiet", a.quiet, "no progress bar and no summary");
  app.add_flag("--json", a.json, "print the summary as one JSON object on stdout (objects and boxes per class)");
}

void add_review(CLI::App& app, AnonymizeArgs& a, int& port) {
  app.add_option("input", a.input, "the video or image the sidecar was made from")->required();
  app.add_option("--detections", a.detections, "the sidecar (JSON Lines) to review; Save rewrites it, keeping a .bak")
      ->required();
  app.add_option("--port", port, "port on 127.0.0.1 (0: any free port)")->check(CLI::Range(0, 65535))->capture_default_str();
  add_redaction_options(app, a);  // how the preview (and later render) hides
}

// Serves the review page until Ctrl-C or SIGTERM.
int run_review(const AnonymizeArgs& a, int port) {
  ReviewOptions o;
  o.input = a.input;
  o.sidecar = a.detections;
  o.port = port;
  o.redact = redact_options(a);
  ReviewServer server(o);
  std::cout << server.url() << std::endl;  // alone on stdout, for scripts
  fmt::print(stderr, "veil: reviewing {} (sidecar {}): open the URL above; Ctrl-C stops\n", a.input, a.detections);
  std::atomic<bool> ended{false};
  std::thread serving([&] {
    server.run();
    ended = true;
  });
  while (!stop_requested() && !ended) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  // stop() before the server has begun listening does nothing: repeat it.
  while (!ended) {
    server.stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  serving.join();
  return kSuccess;
}

int run_render(const AnonymizeArgs& a) {
  RenderOptions o;
  o.redact = redact_options(a);
  o.encode = encode_options(a);
  o.image_format = image_format(a);
  o.storage.force_path_style = a.s3_path_style;
  cli::ProgressBar bar;
  bool show_progress = !a.quiet && ::isatty(STDERR_FILENO);
  RunStats s = render(a.input, a.detections, a.output, o, show_progress ? &bar : nullptr);
  return finish_run(s, {ObjectClass::kFace, ObjectClass::kPlate}, a.quiet, a.json);
}

struct EvalArgs {
  AnonymizeArgs detection;
  std::string annotations, format, only_class;
  float min_height = 10;
  bool json = false, quiet = false;
};

void add_eval(CLI::App& app, EvalArgs& e) {
  app.add_option("input", e.detection.input,
                 "folder of annotated images, or a video labelled in veil format (or an s3:// prefix or object)")
      ->required();
  app.add_option("--annotations", e.annotations, "annotation file or folder")->required();
  app.add_option("--format", e.format, "annotation format")
      ->required()
      ->check(CLI::IsMember({"voc", "openalpr", "wider", "coco", "veil"}));
  app.add_option("--class", e.only_class, "treat every annotated box as this class")
      ->check(CLI::IsMember({"face", "plate"}));
  app.add_option("--min-size", e.min_height, "headline figures count boxes at least this tall (px)")
      ->capture_default_str();
  app.add_flag("--json", e.json, "print one JSON object");
  app.add_flag("-q,--quiet", e.quiet, "no progress bar");
  add_detection_options(app, e.detection);
}

int run_eval(const EvalArgs& e) {
  EvalOptions o;
  o.anonymize = anonymize_options(e.detection);
  o.annotations = e.annotations;
  o.format = *parse_annotation_format(e.format);
  if (!e.only_class.empty()) o.only_class = parse_object_class(e.only_class);
  ModelStore store = model_store(e.detection.no_download);
  cli::ProgressBar bar;
  bool show_progress = !e.quiet && ::isatty(STDERR_FILENO);
  RecallReport r = evaluate(e.detection.input, o, store, show_progress ? &bar : nullptr);
  if (e.json) {
    std::cout << r.to_json(e.min_height).dump() << "\n";
  } else {
    std::cout << r.to_text(e.min_height);
  }
  return 0;
}

int run_models(bool json, bool no_download) {
  ModelStore store = model_store(no_download);
  nlohmann::json out = nlohmann::json::array();
  int status = 0;
  for (const auto& e : ModelManifest::builtin().entries()) {
    const DetectionOptions defaults;
    const bool is_default = std::count(defaults.face_models.begin(), defaults.face_models.end(), e.name) +
                                std::count(defaults.plate_models.begin(), defaults.plate_models.end(), e.name) >
                            0;
    nlohmann::json j = {{"name", e.name},     {"file", e.file},
                        {"sha256", e.sha256}, {"license", e.license},
                        {"commercial_use", e.commercial_use}, {"family", e.family},
                        {"role", e.role},     {"default", is_default}};
    try {
      ResolvedModel m = store.resolve(e);
      j["path"] = m.path.string();
      j["origin"] = m.origin;
      j["verified"] = true;
    } catch (const Error& ex) {
      j["error"] = ex.what();
      j["verified"] = false;
      status = 1;
    }
    out.push_back(j);
  }
  if (json) {
    std::cout << out.dump(2) << "\n";
  } else {
    for (const auto& j : out) {
      fmt::print("{}  ({}{})\n  file     {}\n  sha256   {}\n  licence  {}{}\n", j["name"].get<std::string>(),
                 j["role"].get<std::string>(), j["default"].get<bool>() ? "; used by default" : "",
                 j["file"].get<std::string>(), j["sha256"].get<std::string>(), j["license"].get<std::string>(),
                 j["commercial_use"].get<bool>() ? "" : " (NON-COMMERCIAL USE ONLY)");
      if (j["verified"].get<bool>()) {
        fmt::print("  found    {} ({}, checksum verified)\n\n", j["path"].get<std::string>(),
                   j["origin"].get<std::string>());
      } else {
        fmt::print("  MISSING  {}\n\n", j["error"].get<std::string>());
      }
    }
  }
  return status;
}


// --- Fleet: submit, worker, status (NATS JetStream) -----------------------

struct QueueArgs {
  std::string nats = "nats://127.0.0.1:4222";
  double ack_wait = 60;
  int max_deliver = 3;
  int replicas = 1;
  std::string queue = "VEIL";
};

void add_queue_options(CLI::App& app, QueueArgs& q) {
  app.add_option("--nats", q.nats, "NATS server URL (JetStream enabled)")->capture_default_str();
  app.add_option("--queue", q.queue, "queue name: streams <NAME>_JOBS and <NAME>_RESULTS (one per shard)")
      ->check([](const std::string& n) {
        const bool ok = !n.empty() && std::all_of(n.begin(), n.end(), [](unsigned char c) {
          return std::isalnum(c) || c == '_' || c == '-';
        });
        return ok ? std::string() : std::string("letters, digits, '_' and '-' only");
      })
      ->capture_default_str();
  app.add_option("--replicas", q.replicas, "copies of the streams in a NATS cluster, when first created")
      ->check(CLI::Range(1, 5))
      ->capture_default_str();
}

QueueOptions queue_options(const QueueArgs& q) {
  QueueOptions o;
  o.url = q.nats;
  o.ack_wait = std::chrono::milliseconds(std::int64_t(q.ack_wait * 1000));
  o.max_deliver = q.max_deliver;
  o.replicas = q.replicas;
  o.name = q.queue;
  o.subject_prefix = q.queue;
  std::transform(o.subject_prefix.begin(), o.subject_prefix.end(), o.subject_prefix.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return o;
}

// The AnonymizeOptions a job's flags give, checked as `veil anonymize`
// checks them. Throws veil::Error for a flag anonymize would refuse.
AnonymizeOptions job_options(const std::string& input, const std::string& output, const std::string& detections,
                             const std::vector<std::string>& args) {
  CLI::App app{"job"};
  AnonymizeArgs a;
  add_anonymize(app, a);
  std::vector<std::string> argv = {input, "-o", output};
  argv.insert(argv.end(), args.begin(), args.end());
  if (!detections.empty()) argv.insert(argv.end(), {"--detections", detections});
  std::reverse(argv.begin(), argv.end());  // CLI11 takes a vector last argument first
  try {
    app.parse(argv);
  } catch (const CLI::ParseError& e) {
    throw Error(std::string("anonymize options: ") + e.what());
  }
  return anonymize_options(a);
}

int run_submit(const std::string& input, const std::string& to, bool sidecars, const QueueArgs& q,
               const std::vector<std::string>& args) {
  // Refuse bad flags now, not on every worker; --s3-path-style among them
  // applies here too.
  AnonymizeOptions checked = job_options(input, to, "", args);
  std::vector<Job> jobs = plan_jobs(input, to, args, sidecars, checked.storage);
  auto queue = connect_work_queue(queue_options(q));
  std::int64_t queued = 0;
  for (const auto& job : jobs) queued += queue->submit(job);
  fmt::print(stderr, "veil: {} job{} queued on {}", queued, queued == 1 ? "" : "s", q.nats);
  if (queued < std::int64_t(jobs.size())) {
    fmt::print(stderr, " ({} already queued or done)", std::int64_t(jobs.size()) - queued);
  }
  fmt::print(stderr, "\n");
  return 0;
}

int run_worker_command(const QueueArgs& q, std::optional<double> exit_when_idle, bool no_download) {
  WorkerOptions options;
  options.queue = queue_options(q);
  if (exit_when_idle) options.exit_when_idle = std::chrono::milliseconds(std::int64_t(*exit_when_idle * 1000));
  ModelStore store = model_store(no_download);
  // The models stay loaded while consecutive jobs share their options.
  std::unique_ptr<Anonymizer> anonymizer;
  std::vector<std::string> loaded_for;
  auto run = [&](const Job& job) {
    AnonymizeOptions o = job_options(job.input, job.output, job.detections, job.args);
    // A folder submission's outputs go to sub-folders that may not exist yet.
    for (const std::string& path : {job.output, job.detections}) {
      if (path.empty() || is_object_url(path)) continue;
      std::error_code ec;
      std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    }
    if (!anonymizer || loaded_for != job.args) {
      anonymizer.reset();
      anonymizer = std::make_unique<Anonymizer>(o, store);
      loaded_for = job.args;
    }
    anonymizer->set_detections_path(o.detections_path);
    RunStats s = anonymizer->run(job.input, job.output);
    if (!s.failures.empty()) throw Error(s.failures.front());
    JobReport report;
    report.frames = s.frames;
    report.seconds = s.seconds;
    for (const auto& [cls, n] : s.objects) report.objects[std::string(to_string(cls))] = n;
    report.boxes = s.boxes();
    return report;
  };
  const std::int64_t done = run_worker(options, run);
  fmt::print(stderr, "veil: worker stopped after {} job{}\n", done, done == 1 ? "" : "s");
  return 0;
}

int run_status(const QueueArgs& q, bool json) {
  auto queue = connect_work_queue(queue_options(q));
  QueueStatus st = queue->status();
  if (json) {
    std::cout << st.to_json().dump() << "\n";
    return 0;
  }
  std::string objects;
  for (const auto& [cls, n] : st.objects) objects += fmt::format("{}{} {}{}", objects.empty() ? "" : ", ", n, cls, n == 1 ? "" : "s");
  fmt::print("queued {}  running {}  done {}  failed {}  idle workers {}\n", st.queued, st.running, st.done,
             st.failed, st.workers);
  if (st.done) fmt::print("hidden in the done jobs: {} (objects); {} boxes\n", objects.empty() ? "nothing" : objects, st.boxes);
  for (const auto& f : st.failures) {
    fmt::print("failed: {}\n", f.value("error", "?"));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto logger = spdlog::stderr_color_mt("veil");
  logger->set_pattern("veil: %^%l%$: %v");
  spdlog::set_default_logger(logger);
  // libx264 prints its settings and statistics at info level on every
  // encode; Veil reports what matters itself.
  av_log_set_level(AV_LOG_ERROR);
#ifdef __GLIBC__
  // glibc gives each thread that allocates its own arena, and an arena
  // keeps what was freed in it. The detection workers free large buffers
  // (network inputs of up to 25 MB) every frame, and one arena each held
  // 1080p video ~45 MB above 1 GiB. Two arenas: same speed, memory back
  // under (docs/speed.md).
  mallopt(M_ARENA_MAX, 2);
#endif

  CLI::App app{"veil: hide faces and licence plates in vehicle-camera video and photos"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("veil ") + version());

  AnonymizeArgs anon;
  LiveArgs live_args;
  CLI::App* anonymize = app.add_subcommand("anonymize", "write a copy with every face and plate hidden");
  add_anonymize(*anonymize, anon);
  add_live_options(*anonymize, live_args);

  EvalArgs eval;
  CLI::App* eval_cmd = app.add_subcommand("eval", "measure recall against annotated images or a labelled video");
  add_eval(*eval_cmd, eval);

  AnonymizeArgs review_args;
  int review_port = 0;
  CLI::App* review_cmd =
      app.add_subcommand("review", "check and correct a detections sidecar in a local web page, then render it");
  add_review(*review_cmd, review_args, review_port);

  AnonymizeArgs render_args;
  CLI::App* render_cmd =
      app.add_subcommand("render", "hide exactly what a (reviewed) detections sidecar lists; runs no detector");
  add_render(*render_cmd, render_args);

  QueueArgs submit_queue, worker_queue, status_queue;
  std::string submit_input, submit_to;
  bool submit_sidecars = false;
  CLI::App* submit = app.add_subcommand(
      "submit", "queue one job per video or image on NATS JetStream for `veil worker`s (anonymize options follow)");
  submit->add_option("input", submit_input, "video, image, folder, s3:// object or prefix")->required();
  submit->add_option("--to", submit_to, "output file, folder or s3:// prefix, as anonymize's -o")->required();
  submit->add_flag("--sidecars", submit_sidecars, "each job writes its detections to <output>.jsonl");
  add_queue_options(*submit, submit_queue);
  submit->allow_extras();
  submit->footer("Any other option is an anonymize option (veil anonymize --help), given to every job.");

  std::optional<double> worker_idle;
  bool worker_offline = false;
  CLI::App* worker = app.add_subcommand("worker", "run queued jobs until stopped (SIGTERM gives the current one back)");
  add_queue_options(*worker, worker_queue);
  worker->add_option("--exit-when-idle", worker_idle, "exit once no job has come for this many seconds")
      ->check(CLI::PositiveNumber);
  worker->add_option("--ack-wait", worker_queue.ack_wait,
                     "seconds without a sign of life before a job goes to another worker (set when the "
                     "workers' consumer is first created)")
      ->check(CLI::Range(1.0, 86400.0))
      ->capture_default_str();
  worker->add_option("--max-deliver", worker_queue.max_deliver, "tries before a failing job is dead-lettered")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  worker->add_flag("--offline", worker_offline, "never download models");

  bool status_json = false;
  CLI::App* status = app.add_subcommand("status", "jobs queued, running, done and failed (with the reasons)");
  add_queue_options(*status, status_queue);
  status->add_flag("--json", status_json, "one JSON object");

  bool models_json = false, models_offline = false;
  CLI::App* models = app.add_subcommand("models", "list the models, their checksums, licences and locations");
  models->add_flag("--json", models_json, "machine-readable output");
  models->add_flag("--offline", models_offline, "never download; report what is missing");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kSuccess : kUsage;  // --help and --version are not errors
  }
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  // A file-size limit (ulimit -f) or quota would kill the process mid-write
  // and leave its temporary file; ignored, the write fails with EFBIG and the
  // run fails cleanly, removing it.
  std::signal(SIGXFSZ, SIG_IGN);
  try {
    if (*anonymize) {
      if (anon.quiet) spdlog::set_level(spdlog::level::warn);
      if (live_args.live) return run_live(anon, live_args);
      if (is_stream_url(anon.input)) {
        throw UsageError(anon.input + ": a stream; add --live to anonymize it as it arrives");
      }
      return run_anonymize(anon);
    }
    if (*render_cmd) {
      if (render_args.quiet) spdlog::set_level(spdlog::level::warn);
      return run_render(render_args);
    }
    if (*review_cmd) return run_review(review_args, review_port);
    if (*eval_cmd) return run_eval(eval);
    if (*models) return run_models(models_json, models_offline);
    if (*submit) {
      return run_submit(submit_input, submit_to, submit_sidecars, submit_queue, submit->remaining());
    }
    if (*worker) return run_worker_command(worker_queue, worker_idle, worker_offline);
    if (*status) return run_status(status_queue, status_json);
  } catch (const std::exception& ex) {
    if (stop_requested()) {
      fmt::print(stderr, "veil: interrupted; unfinished outputs were discarded\n");
      return kInterrupted;  // as a shell reports a command ended by SIGINT
    }
    fmt::print(stderr, "veil: error: {}\n", ex.what());
    if (dynamic_cast<const UsageError*>(&ex)) return kUsage;
    if (dynamic_cast<const Error*>(&ex)) return kFailed;
    fmt::print(stderr, "veil: this is a bug in Veil; please report it with the command that caused it\n");
    return kInternal;
  }
  return 0;
}
