#include "pipeline/provenance.hpp"

#include "veil/core/version.hpp"

#include <chrono>
#include <cmath>
#include <ctime>

namespace veil {
namespace {

using json = nlohmann::ordered_json;

// Options are floats: written with the digits they were given, not 1.2999999523162842.
double tidy(float v) { return std::round(double(v) * 1e4) / 1e4; }

json optional_number(const std::optional<float>& v) { return v ? json(tidy(*v)) : json(); }

const char* mode_name(RedactMode m) {
  switch (m) {
    case RedactMode::kBlur: return "blur";
    case RedactMode::kPixelate: return "pixelate";
    case RedactMode::kFill: return "fill";
    case RedactMode::kNone: return "none";
  }
  return "?";
}

const char* shape_name(MaskShape s) {
  switch (s) {
    case MaskShape::kAuto: return "auto";
    case MaskShape::kEllipse: return "ellipse";
    case MaskShape::kBox: return "box";
  }
  return "?";
}

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

// Scene context: its mode, model and, when it drops candidates, the rule.
json context_json(const DetectionOptions& d) {
  if (d.context == ContextMode::kOff) return "off";
  json j = {{"mode", d.context == ContextMode::kOn ? "on" : "mark"}, {"model", d.context_model}};
  if (d.context == ContextMode::kOn) {
    const SupportOptions& s = d.support;
    j["weak_face"] = tidy(s.face_below);
    j["weak_plate"] = tidy(s.plate_below);
    j["person_grow"] = tidy(s.person_grow);
    j["vehicle_grow"] = tidy(s.vehicle_grow);
    j["crowd_distance"] = tidy(s.crowd_distance);
    j["scene_seen"] = tidy(s.scene_seen);
  }
  return j;
}

json options_json(const AnonymizeOptions& o) {
  json targets = json::array();
  for (ObjectClass c : o.detection.targets) targets.push_back(std::string(to_string(c)));
  json tracking;  // null: every frame on its own
  if (o.tracking) {
    tracking = {{"lookahead", o.tracking->window},
                {"max_gap", o.tracking->tracker.max_gap},
                {"max_gap_single_hit", o.tracking->tracker.max_gap_single_hit}};
  }
  const RedactOptions& r = o.redact;
  return {{"targets", targets},
          {"face_models", o.detection.face_models},
          {"plate_models", o.detection.plate_models},
          // null: each model's own recall-first threshold (fixed per Veil version)
          {"face_threshold", optional_number(o.detection.face_threshold)},
          {"plate_threshold", optional_number(o.detection.plate_threshold)},
          {"context", context_json(o.detection)},
          {"sweep", o.sweep_frames},
          {"frames_in_flight", o.frames_in_flight},
          {"tracking", tracking},
          {"mode", mode_name(r.mode)},
          {"shape", shape_name(r.shape)},
          {"face_mask_scale", tidy(r.face_mask_scale)},
          {"plate_mask_scale", tidy(r.plate_mask_scale)},
          {"small_face_extra", tidy(r.small_face_extra)},
          {"min_face_mask_height", tidy(r.min_face_mask_height)},
          {"block_size", r.block_size}};
}

}  // namespace

nlohmann::ordered_json provenance_header(const std::string& file, const AnonymizeOptions& options, const SourceInfo& input) {
  json models = json::array();
  for (const ModelEntry& e : lineup_models(options.detection)) {
    models.push_back({{"name", e.name}, {"file", e.file}, {"sha256", e.sha256}, {"licence", e.license}});
  }
  auto or_null = [](const auto& v) { return v ? json(*v) : json(); };
  json in = {{"name", file},
             {"bytes", or_null(input.bytes)},
             {"width", input.width},
             {"height", input.height},
             {"frames", or_null(input.frame_count)},
             {"duration", or_null(input.duration_seconds)}};
  return {{"veil", version()}, {"file", file},   {"written", utc_now()},
          {"models", models},  {"options", options_json(options)}, {"input", in}};
}

}  // namespace veil
