#include "facade/found_objects.hpp"

namespace veil::facade {
namespace {

Box to_box(const cv::Rect2f& r) { return {r.x, r.y, r.width, r.height}; }
cv::Rect2f to_rect(const Box& b) { return {b.x, b.y, b.width, b.height}; }

std::vector<Point> to_points(const std::vector<cv::Point2f>& pts) {
  std::vector<Point> out;
  for (const auto& p : pts) out.push_back({p.x, p.y});
  return out;
}
std::vector<cv::Point2f> to_cv_points(const std::vector<Point>& pts) {
  std::vector<cv::Point2f> out;
  for (const auto& p : pts) out.push_back({p.x, p.y});
  return out;
}

}  // namespace

std::vector<FoundObject> to_found_objects(const Detections& detections) {
  std::vector<FoundObject> out;
  for (const Detection& d : detections) {
    FoundObject f;
    f.cls = std::string(to_string(d.cls));
    f.box = to_box(d.box);
    f.score = d.score;
    f.corners = to_points(d.corners);
    f.model = d.model;
    for (const Sighting& s : d.found_by) f.found_by.push_back({s.model, s.score, to_box(s.box), to_points(s.corners)});
    out.push_back(std::move(f));
  }
  return out;
}

Detections to_detections(const std::vector<FoundObject>& found) {
  Detections out;
  for (const FoundObject& f : found) {
    const std::optional<ObjectClass> cls = parse_object_class(f.cls);
    if (!cls) throw Error("found object: unknown class '" + f.cls + "' (expected face or plate)");
    Detection d;
    d.cls = *cls;
    d.box = to_rect(f.box);
    d.score = f.score;
    d.corners = to_cv_points(f.corners);
    d.model = f.model;
    for (const Sighted& s : f.found_by) d.found_by.push_back({s.model, s.score, to_rect(s.box), to_cv_points(s.corners)});
    out.push_back(std::move(d));
  }
  return out;
}

DetectionOptions detection_options(const DetectorOptions& o) {
  DetectionOptions d;
  d.targets.clear();
  for (const std::string& t : o.targets) {
    const std::optional<ObjectClass> cls = parse_object_class(t);
    if (!cls) throw Error("targets: unknown class '" + t + "' (expected face, plate)");
    d.targets.insert(*cls);
  }
  if (d.targets.empty()) throw Error("targets: name at least one of face, plate");
  d.face_threshold = o.face_threshold;
  d.plate_threshold = o.plate_threshold;
  if (!o.face_models.empty()) d.face_models = o.face_models;
  if (!o.plate_models.empty()) d.plate_models = o.plate_models;
  d.allow_noncommercial = o.allow_noncommercial;
  try {
    d.precision = parse_precision(o.precision);
  } catch (const Error&) {
    throw Error("precision: unknown '" + o.precision + "' (expected float, auto or int8)");
  }
  d.threads = o.threads;
  return d;
}

RedactOptions redact_options(const RedactStyle& s) {
  RedactOptions r;
  const std::optional<RedactMode> mode = parse_redact_mode(s.mode);
  if (!mode) throw Error("redact: unknown mode '" + s.mode + "' (expected blur, pixelate, fill or none)");
  const std::optional<MaskShape> shape = parse_mask_shape(s.shape);
  if (!shape) throw Error("redact: unknown shape '" + s.shape + "' (expected auto, ellipse or box)");
  r.mode = *mode;
  r.shape = *shape;
  r.face_mask_scale = s.face_mask_scale;
  r.plate_mask_scale = s.plate_mask_scale;
  r.fill_color = cv::Scalar(s.fill_blue, s.fill_green, s.fill_red);
  r.block_size = s.block_size;
  return r;
}

}  // namespace veil::facade
