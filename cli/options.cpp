#include "options.hpp"

#include "veil/core/logging.hpp"
#include "veil/pipeline/profile.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>

namespace veil::cli {
namespace {

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

}  // namespace

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
  app.add_option("--profile", a.profile,
                 "fast (YuNet faces, int8 plates, fine passes over 12 frames), default, or thorough (every pass on "
                 "every frame); --face-models, --plate-models and --sweep override it")
      ->check(CLI::IsMember(profile_names()))
      ->capture_default_str();
  app.add_option("--face-models", a.face_models, "face models to run, by manifest name (see veil models)")
      ->delimiter(',')
      ->default_str(fmt::format("{}", fmt::join(DetectionOptions{}.face_models, ",")));
  app.add_option("--plate-models", a.plate_models, "plate models to run, by manifest name (see veil models)")
      ->delimiter(',')
      ->default_str(fmt::format("{}", fmt::join(DetectionOptions{}.plate_models, ",")));
  app.add_option("--precision", a.precision,
                 "int8: the models Veil holds int8 calibration for (YOLOv8 plates, RetinaFace) run in 8-bit "
                 "integers, faster; auto: only those where int8 keeps recall (YOLOv8); float: none "
                 "(default: the profile's)")
      ->check(CLI::IsMember(precision_names()));
  app.add_flag("--allow-noncommercial", a.allow_noncommercial,
               "allow models whose licence forbids commercial use (their licence is printed on every run)");
  app.add_option("--context", a.context,
                 "scene context: on (weak faces and plates need a person, vehicle, second model or track around "
                 "them), mark (find people and vehicles for the sidecar, drop nothing), off")
      ->check(CLI::IsMember({"on", "mark", "off"}))
      ->capture_default_str();
  app.add_option("--weak-face", a.weak_face, "with --context on: faces scoring under this need support")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--weak-plate", a.weak_plate, "with --context on: plates scoring under this need support")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
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
      ->default_str(std::to_string(AnonymizeOptions{}.sweep_frames));
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

void add_anonymize_options(CLI::App& app, AnonymizeArgs& a) {
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
  apply_profile(parse_profile(a.profile), o);
  o.detection.targets = parse_targets(a.targets);
  o.detection.face_threshold = a.face_threshold;
  o.detection.plate_threshold = a.plate_threshold;
  if (!a.face_models.empty()) o.detection.face_models = a.face_models;
  if (!a.plate_models.empty()) o.detection.plate_models = a.plate_models;
  o.detection.allow_noncommercial = a.allow_noncommercial;
  o.detection.context = a.context == "off" ? ContextMode::kOff : a.context == "mark" ? ContextMode::kMark : ContextMode::kOn;
  o.detection.support.face_below = a.weak_face;
  o.detection.support.plate_below = a.weak_plate;
  o.detection.threads = a.threads;
  o.storage.force_path_style = a.s3_path_style;
  if (a.sweep) o.sweep_frames = *a.sweep;
  if (!a.precision.empty()) o.detection.precision = parse_precision(a.precision);
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
  if (!a.manifest.empty()) o.manifest_path = a.manifest;
  return o;
}

ModelStore model_store(bool no_download) {
  ModelStoreOptions store_options;
  store_options.allow_download = !no_download;
  return ModelStore(store_options);
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

// The AnonymizeOptions a job's flags give, checked as `veil anonymize`
// checks them. Throws veil::Error for a flag anonymize would refuse.
AnonymizeOptions job_options(const std::string& input, const std::string& output, const std::string& detections,
                             const std::vector<std::string>& args) {
  CLI::App app{"job"};
  AnonymizeArgs a;
  add_anonymize_options(app, a);
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

void add_service_options(CLI::App& app, ServiceArgs& s, const std::string& group) {
  auto* m = app.add_option("--metrics", s.metrics,
                           "serve Prometheus metrics at /metrics and the probes /healthz and /readyz on HOST:PORT "
                           "(e.g. :9464, 127.0.0.1:9464)");
  auto* l = app.add_option("--log-format", s.log_format, "text, or json: one JSON object per line, for log shippers")
                ->check(CLI::IsMember({"text", "json"}))
                ->capture_default_str();
  if (!group.empty()) {
    m->group(group);
    l->group(group);
  }
}

void apply_log_format(const ServiceArgs& s) { configure_logging(*parse_log_format(s.log_format)); }

}  // namespace veil::cli
