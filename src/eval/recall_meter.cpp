#include "veil/eval/recall_meter.hpp"

#include <fmt/core.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include <algorithm>
#include <cmath>

namespace veil {

int height_bin(float height) {
  for (int b = 0; b < kHeightBins; ++b) {
    if (height < kHeightBinEdges[b + 1]) return b;
  }
  return kHeightBins - 1;
}

namespace {

// Python's int(round(v)): round half to even, as coverage.py does.
int py_round(double v) { return static_cast<int>(std::nearbyint(v)); }

double iou(const cv::Rect2f& a, const cv::Rect2f& b) {
  float inter = (a & b).area();
  float uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0.0;
}

// How well detection `d` boxes `truth`: an object several models found
// counts with the best of their boxes, as each is in the sidecar.
double best_iou(const cv::Rect2f& truth, const Detection& d) {
  double best = iou(truth, d.box);
  for (const Sighting& s : d.found_by) best = std::max(best, iou(truth, s.box));
  return best;
}

Tally sum_from(const std::array<Tally, kHeightBins>& bins, float min_height) {
  Tally t;
  for (int b = 0; b < kHeightBins; ++b) {
    if (kHeightBinEdges[b] >= min_height) {
      t.hit += bins[b].hit;
      t.total += bins[b].total;
    }
  }
  return t;
}

std::string bin_name(int b) {
  return b + 1 < kHeightBins ? fmt::format("{}-{}", kHeightBinEdges[b], kHeightBinEdges[b + 1])
                             : fmt::format("{}-inf", kHeightBinEdges[b]);
}

}  // namespace

Tally ClassRecall::hidden_from(float min_height) const { return sum_from(hidden, min_height); }
Tally ClassRecall::iou50_from(float min_height) const { return sum_from(iou50, min_height); }

void RecallMeter::add_missing() { r_.missing_images++; }

void RecallMeter::add(const cv::Mat& input, const cv::Mat& mask, const Detections& detections,
                      const std::vector<GroundTruthBox>& truth, const std::string& where) {
  r_.images++;
  const int W = input.cols, H = input.rows;
  // Redacted = inside the mask and not already the fill colour in the input.
  cv::Mat is_fill;
  cv::inRange(input, fill_, fill_, is_fill);
  cv::Mat red = mask & ~is_fill;

  cv::Mat near_truth = cv::Mat::zeros(input.size(), CV_8U);
  for (const auto& g : truth) {
    auto& c = r_.classes[g.cls];
    int bin = height_bin(g.box.height);
    c.hidden[bin].total++;
    int x0 = std::max(0, py_round(g.box.x)), y0 = std::max(0, py_round(g.box.y));
    int x1 = std::min(W, py_round(g.box.x + g.box.width)), y1 = std::min(H, py_round(g.box.y + g.box.height));
    if (x1 <= x0 || y1 <= y0) continue;
    double mx = g.box.width * 0.25, my = g.box.height * 0.25;
    // int() in Python truncates toward zero; so does the cast.
    int gx0 = std::max(0, static_cast<int>(x0 - mx)), gy0 = std::max(0, static_cast<int>(y0 - my));
    int gx1 = std::min(W, static_cast<int>(x1 + mx)), gy1 = std::min(H, static_cast<int>(y1 + my));
    if (gx1 > gx0 && gy1 > gy0) near_truth(cv::Rect(gx0, gy0, gx1 - gx0, gy1 - gy0)).setTo(255);
    double covered = cv::countNonZero(red(cv::Rect(x0, y0, x1 - x0, y1 - y0))) /
                     static_cast<double>((x1 - x0) * (y1 - y0));
    bool hidden = covered >= 0.7;
    if (hidden) {
      c.hidden[bin].hit++;
    } else {
      double best = 0;
      for (const auto& d : detections) {
        if (d.cls == g.cls) best = std::max(best, best_iou(g.box, d));
      }
      r_.missed.push_back({where, g.cls, g.box, covered, best});
    }
    if (g.object_id >= 0) object_history_[{static_cast<int>(g.cls), g.object_id}].push_back(hidden);
    r_.object_frames_hidden.total += g.object_id >= 0;
    r_.object_frames_hidden.hit += g.object_id >= 0 && hidden;
  }
  outside_sum_ += cv::countNonZero(red & ~near_truth) / static_cast<double>(W * H);
  outside_images_++;

  // IoU 0.5 recall: greedy one-to-one matching per class, best pairs first.
  for (auto& [cls, c] : r_.classes) {
    std::vector<std::tuple<double, size_t, size_t>> pairs;
    for (size_t i = 0; i < truth.size(); ++i) {
      if (truth[i].cls != cls) continue;
      for (size_t j = 0; j < detections.size(); ++j) {
        if (detections[j].cls != cls) continue;
        double v = best_iou(truth[i].box, detections[j]);
        if (v >= 0.5) pairs.emplace_back(v, i, j);
      }
    }
    std::sort(pairs.rbegin(), pairs.rend());
    std::vector<bool> gt_used(truth.size()), det_used(detections.size());
    for (auto& [v, i, j] : pairs) {
      if (gt_used[i] || det_used[j]) continue;
      gt_used[i] = det_used[j] = true;
      c.iou50[height_bin(truth[i].box.height)].hit++;
    }
    for (size_t i = 0; i < truth.size(); ++i) {
      if (truth[i].cls == cls) c.iou50[height_bin(truth[i].box.height)].total++;
    }
  }
  for (const auto& d : detections) {
    auto& c = r_.classes[d.cls];
    c.detections++;
    cv::Point2f centre(d.box.x + d.box.width / 2, d.box.y + d.box.height / 2);
    bool near = false;
    for (const auto& g : truth) {
      if (g.cls != d.cls) continue;
      cv::Rect2f grown(g.box.x - g.box.width / 4, g.box.y - g.box.height / 4, g.box.width * 1.5f,
                       g.box.height * 1.5f);
      near |= grown.contains(centre);
    }
    c.false_detections += !near;
  }
}

RecallReport RecallMeter::report() const {
  RecallReport r = r_;
  r.hidden_outside_gt = outside_images_ ? outside_sum_ / outside_images_ : 0.0;
  r.flicker_leaks = 0;
  for (const auto& [id, seen] : object_history_) {
    // A run of misses with a hidden frame on each side is one leak.
    bool hidden_before = false, in_gap = false;
    for (bool h : seen) {
      if (h) {
        if (in_gap) r.flicker_leaks++;
        hidden_before = true;
        in_gap = false;
      } else if (hidden_before) {
        in_gap = true;
      }
    }
  }
  return r;
}

nlohmann::json RecallReport::to_json(float min_height) const {
  nlohmann::json j;
  j["images"] = images;
  j["missing_images"] = missing_images;
  j["hidden_outside_gt"] = hidden_outside_gt;
  j["min_height"] = min_height;
  for (const auto& [cls, c] : classes) {
    auto tally_json = [&](const std::array<Tally, kHeightBins>& bins, Tally head) {
      nlohmann::json t;
      t["covered"] = head.hit;
      t["total"] = head.total;
      t["recall"] = head.share();
      for (int b = 0; b < kHeightBins; ++b) t["by_height"][bin_name(b)] = {bins[b].hit, bins[b].total};
      return t;
    };
    nlohmann::json cj;
    cj["hidden"] = tally_json(c.hidden, c.hidden_from(min_height));
    cj["iou50"] = tally_json(c.iou50, c.iou50_from(min_height));
    cj["detections"] = c.detections;
    cj["false_detections"] = c.false_detections;
    cj["false_per_image"] = images ? static_cast<double>(c.false_detections) / images : 0.0;
    j["classes"][std::string(to_string(cls))] = cj;
  }
  j["missed"] = nlohmann::json::array();
  for (const MissedBox& m : missed) {
    if (m.box.height < min_height) continue;
    j["missed"].push_back({{"where", m.where},
                           {"class", std::string(to_string(m.cls))},
                           {"box", {m.box.x, m.box.y, m.box.width, m.box.height}},
                           {"hidden_share", m.hidden_share},
                           {"best_iou", m.best_iou}});
  }
  if (object_frames_hidden.total) {
    j["video"] = {{"object_frames_hidden", object_frames_hidden.hit},
                  {"object_frames", object_frames_hidden.total},
                  {"share", object_frames_hidden.share()},
                  {"flicker_leaks", flicker_leaks}};
  }
  return j;
}

std::string RecallReport::to_text(float min_height) const {
  std::string s = fmt::format("{} images scored, {} missing\n", images, missing_images);
  for (const auto& [cls, c] : classes) {
    auto line = [&](const char* what, const std::array<Tally, kHeightBins>& bins, Tally head) {
      std::string out = fmt::format("  {:<8} {:>6.2f}% ({}/{}) of boxes >= {:g} px;", what, 100 * head.share(),
                                    head.hit, head.total, min_height);
      for (int b = 0; b < kHeightBins; ++b) out += fmt::format(" {} px {}/{},", bin_name(b), bins[b].hit, bins[b].total);
      return out + "\n";
    };
    s += fmt::format("{}:\n", to_string(cls));
    if (c.hidden_from(0).total == 0) {
      s += fmt::format("  no annotated boxes; {} detections\n", c.detections);
      continue;
    }
    s += line("hidden", c.hidden, c.hidden_from(min_height));
    s += line("IoU 0.5", c.iou50, c.iou50_from(min_height));
    s += fmt::format("  false detections: {} of {} ({:.3f} per image)\n", c.false_detections, c.detections,
                     images ? static_cast<double>(c.false_detections) / images : 0.0);
  }
  s += fmt::format("image area hidden outside ground truth: {:.2f}%\n", 100 * hidden_outside_gt);
  if (object_frames_hidden.total) {
    s += fmt::format("video: {:.2f}% of (frame, object) pairs hidden ({}/{}), {} flicker leaks\n",
                     100 * object_frames_hidden.share(), object_frames_hidden.hit, object_frames_hidden.total,
                     flicker_leaks);
  }
  return s;
}

}  // namespace veil
