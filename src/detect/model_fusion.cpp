#include "detect/model_fusion.hpp"

#include "detect/nms.hpp"

#include <algorithm>

namespace veil {
namespace {

Sighting sighting_of(const Detection& d) { return {d.model, d.score, d.box, d.corners}; }

}  // namespace

Detections fuse_models(Detections found, float min_iou) {
  std::stable_sort(found.begin(), found.end(), [](const Detection& a, const Detection& b) { return a.score > b.score; });
  Detections out;
  std::vector<bool> taken(found.size(), false);
  for (size_t seed = 0; seed < found.size(); ++seed) {
    if (taken[seed]) continue;
    taken[seed] = true;
    Detection fused = found[seed];
    std::vector<Sighting> members{sighting_of(fused)};
    for (size_t other = seed + 1; other < found.size(); ++other) {
      if (taken[other] || found[other].cls != fused.cls || iou(fused.box, found[other].box) < min_iou) continue;
      taken[other] = true;
      members.push_back(sighting_of(found[other]));
    }
    fused.found_by.clear();
    if (members.size() > 1) fused.found_by = std::move(members);
    out.push_back(std::move(fused));
  }
  return out;
}

}  // namespace veil
