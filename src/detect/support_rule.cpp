#include "detect/support_rule.hpp"

#include "detect/nms.hpp"

#include <algorithm>

namespace veil {

namespace {

cv::Rect2f grown(const cv::Rect2f& b, float by) {
  return {b.x - by * b.width, b.y - by * b.height, b.width * (1.f + 2.f * by), b.height * (1.f + 2.f * by)};
}

bool inside(const cv::Rect2f& box, const cv::Rect2f& around, float share) {
  const float area = box.area();
  return area > 0.f && (box & around).area() >= share * area;
}

bool found_by_two_models(const Detection& d) {
  for (const Sighting& s : d.found_by) {
    if (s.model != d.model) return true;
  }
  return false;
}

// Same overlap the tracker asks of a detection continuing a track.
constexpr float kContinuesIou = 0.2f;

// Whether `other` is a face of about `face`'s size near it (crowd_distance).
bool beside(const Detection& face, const Detection& other, float distance) {
  const float h = face.box.height, oh = other.box.height;
  if (h <= 0.f || oh < 0.5f * h || oh > 2.f * h) return false;
  const cv::Point2f a(face.box.x + face.box.width / 2, face.box.y + h / 2);
  const cv::Point2f b(other.box.x + other.box.width / 2, other.box.y + oh / 2);
  const cv::Point2f d = a - b;
  return d.dot(d) <= (distance * h) * (distance * h);
}

// A face that needs no support, and so may support others in its crowd.
bool confirmed_face(const Detection& d, const SupportOptions& options) {
  return d.cls == ObjectClass::kFace && (d.score >= options.face_below || found_by_two_models(d));
}

}  // namespace

Support support_for(const Detection& candidate, const Detections& context, const Detections& confirmed,
                    const Detections& expected, const SupportOptions& options) {
  const bool face = candidate.cls == ObjectClass::kFace;
  const float below = face ? options.face_below : options.plate_below;
  if (is_context(candidate.cls) || candidate.score >= below) return Support::kStrong;
  if (found_by_two_models(candidate)) return Support::kSecondModel;
  for (const Detection& c : context) {
    const bool helps = c.cls == ObjectClass::kVehicle || (face && c.cls == ObjectClass::kPerson);
    if (!helps) continue;
    const float by = c.cls == ObjectClass::kPerson ? options.person_grow : options.vehicle_grow;
    if (inside(candidate.box, grown(c.box, by), options.min_inside)) return Support::kContext;
  }
  if (face && options.crowd_distance > 0.f) {
    for (const Detection& f : confirmed) {
      if (f.cls == ObjectClass::kFace && beside(candidate, f, options.crowd_distance)) {
        return Support::kCrowd;
      }
    }
  }
  for (const Detection& e : expected) {
    if (e.cls == candidate.cls && iou(e.box, candidate.box) >= kContinuesIou) return Support::kTrack;
  }
  return Support::kNone;
}

Detections keep_supported(Detections found, const Detections& context, const Detections& expected,
                          const SupportOptions& options) {
  const bool scene_seen = std::any_of(context.begin(), context.end(), [&](const Detection& c) {
    return is_context(c.cls) && c.score >= options.scene_seen;
  });
  if (!scene_seen) return found;  // the context model cannot judge this view
  Detections confirmed;
  for (const Detection& d : found) {
    if (confirmed_face(d, options)) confirmed.push_back(d);
  }
  Detections kept;
  for (Detection& d : found) {
    if (support_for(d, context, confirmed, expected, options) != Support::kNone) kept.push_back(std::move(d));
  }
  return kept;
}

}  // namespace veil
