#include "detect/model_fusion.hpp"

#include "detect/nms.hpp"

#include <algorithm>

namespace veil {

bool same_object(const cv::Rect2f& a, const cv::Rect2f& b, const FusionRule& rule) {
  if (iou(a, b) >= rule.min_iou) return true;
  const float small = std::max(std::min(a.area(), b.area()), 1e-6f);
  const float large = std::max(a.area(), b.area());
  return large / small <= rule.max_area_ratio && overlap_of_smaller(a, b) >= rule.min_containment;
}

namespace {

Sighting sighting_of(const Detection& d) { return {d.model, d.score, d.box, d.corners}; }

}  // namespace

Detections fuse_models(Detections found, const FusionRule& rule) {
  std::stable_sort(found.begin(), found.end(), [](const Detection& a, const Detection& b) { return a.score > b.score; });
  Detections out;
  std::vector<bool> joined(found.size(), false);
  for (size_t seed = 0; seed < found.size(); ++seed) {
    if (joined[seed]) continue;
    joined[seed] = true;
    Detection fused = found[seed];
    fused.found_by.clear();
    std::vector<Sighting> members{sighting_of(found[seed])};
    for (size_t other = seed + 1; other < found.size(); ++other) {
      const Detection& d = found[other];
      // Boxes of one model were already weighed against each other by its
      // own NMS: what it kept apart is two objects to it.
      if (joined[other] || d.cls != fused.cls || d.model == fused.model) continue;
      if (!same_object(fused.box, d.box, rule)) continue;
      joined[other] = true;
      members.push_back(sighting_of(d));
    }
    if (members.size() > 1) fused.found_by = std::move(members);
    out.push_back(std::move(fused));
  }
  return out;
}

}  // namespace veil
