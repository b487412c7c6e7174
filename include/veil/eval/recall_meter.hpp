#pragma once
// Scores what Veil would hide against annotated boxes, the way a compliance
// officer asks: how many objects were hidden, by size, and how much else
// was hidden with them. The "hidden" rule and the area measure follow
// ../shared/tools/coverage.py exactly, so the two always agree:
//  * a box is hidden when >= 70% of its pixels (rounded box, clipped to the
//    image) are inside the redaction mask and differ from the fill colour in
//    the input (a pixel already of the fill colour cannot show redaction);
//  * "outside" is the share of the image's pixels hidden that lie outside
//    every ground-truth box grown by a quarter of its size on each side,
//    averaged over images.
// Also reported: recall at IoU 0.5 (one-to-one greedy matching per class),
// false detections (a detection whose centre is outside every ground-truth
// box of its class grown by a quarter on each side), and for video the
// frame-level figures: (frame, object) pairs hidden and flicker leaks (an
// object hidden in frames before and after a run of frames where it was not).
#include "veil/core/detection.hpp"
#include "veil/eval/ground_truth.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>

namespace veil {

// Box height bins: <10, 10-20, 20-32, 32-64, >=64 px.
inline constexpr std::array<float, 6> kHeightBinEdges = {0, 10, 20, 32, 64, 1e9f};
inline constexpr int kHeightBins = 5;
int height_bin(float height);

struct Tally {
  std::int64_t hit = 0, total = 0;
  double share() const { return total ? static_cast<double>(hit) / total : 0.0; }
};

struct ClassRecall {
  std::array<Tally, kHeightBins> hidden{};  // by height bin
  std::array<Tally, kHeightBins> iou50{};
  std::int64_t detections = 0;
  std::int64_t false_detections = 0;
  // Sums over bins whose lower edge is >= min_height.
  Tally hidden_from(float min_height) const;
  Tally iou50_from(float min_height) const;
};

// A ground-truth box that was not hidden, so that a reviewer can look at
// each leak: where, what share of it was hidden, and how well the closest
// detection of its class overlapped it (0: none near; high: found, but the
// mask did not cover enough of it).
struct MissedBox {
  std::string where;  // image stem, or "frame N"
  ObjectClass cls = ObjectClass::kFace;
  cv::Rect2f box;
  double hidden_share = 0;
  double best_iou = 0;
};

struct RecallReport {
  std::int64_t images = 0;         // images or frames scored
  std::int64_t missing_images = 0; // annotated but not in the input; left out
  std::map<ObjectClass, ClassRecall> classes;
  double hidden_outside_gt = 0;    // mean share of image area
  // Video only (objects with ids in the ground truth).
  Tally object_frames_hidden;
  std::int64_t flicker_leaks = 0;
  std::vector<MissedBox> missed;  // in the order scored

  // JSON lists the missed boxes at least min_height tall under "missed".
  nlohmann::json to_json(float min_height) const;
  std::string to_text(float min_height) const;
};

class RecallMeter {
 public:
  explicit RecallMeter(cv::Scalar fill_color = {0, 0, 0}) : fill_(fill_color) {}

  // One image or frame: the input pixels, the mask Veil would hide (CV_8U,
  // 255 = hidden), what the detectors returned, and the ground truth.
  // `where` names it in the list of missed boxes.
  void add(const cv::Mat& input_bgr, const cv::Mat& hidden_mask, const Detections& detections,
           const std::vector<GroundTruthBox>& truth, const std::string& where = {});
  // An annotated image that is not in the input: left out of every figure
  // (as coverage.py does) but counted, so the report shows it.
  void add_missing();

  RecallReport report() const;

 private:
  cv::Scalar fill_;
  RecallReport r_;
  double outside_sum_ = 0;
  std::int64_t outside_images_ = 0;
  // Per object id, hidden or not in each frame it appears in, in order.
  std::map<std::pair<int, int>, std::vector<bool>> object_history_;
};

}  // namespace veil
