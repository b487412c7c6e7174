#include "sidecar/sidecar_writer.hpp"

#include "veil/core/error.hpp"

#include <nlohmann/json.hpp>

#include <cmath>

namespace veil {

namespace {
// Two decimals are finer than any detector's box precision and keep lines short.
double round2(double v) { return std::round(v * 100.0) / 100.0; }
}  // namespace

namespace {
cv::Rect2f rounded(const cv::Rect2f& b) {
  return cv::Rect2f(float(round2(b.x)), float(round2(b.y)), float(round2(b.width)), float(round2(b.height)));
}
void round_points(std::vector<cv::Point2f>& points) {
  for (auto& p : points) p = cv::Point2f(float(round2(p.x)), float(round2(p.y)));
}
nlohmann::json box_json(const cv::Rect2f& b) { return {round2(b.x), round2(b.y), round2(b.width), round2(b.height)}; }
nlohmann::json corners_json(const std::vector<cv::Point2f>& corners) {
  nlohmann::json pts = nlohmann::json::array();
  for (const auto& p : corners) pts.push_back({round2(p.x), round2(p.y)});
  return pts;
}
double round_score(float s) { return std::round(s * 1000.0) / 1000.0; }
}  // namespace

void round_to_sidecar_precision(Detections& detections) {
  for (Detection& d : detections) {
    d.box = rounded(d.box);
    round_points(d.corners);
    for (Sighting& s : d.found_by) {
      s.box = rounded(s.box);
      round_points(s.corners);
    }
  }
}

SidecarWriter::SidecarWriter(const std::string& path, const StorageOptions& storage)
    : out_(open_output_file(path, storage)), stream_(out_->temp_path()) {
  if (!stream_) throw Error("cannot write detections file " + path);
}

void SidecarWriter::write_header(const nlohmann::ordered_json& header) {
  stream_ << header.dump() << '\n';
  if (!stream_) throw Error("write error on detections file " + out_->destination());
}

void SidecarWriter::write(const std::string& file, const Frame& frame, const Detections& detections,
                          const Detections& context) {
  nlohmann::json line;
  line["file"] = file;
  line["index"] = frame.index;
  line["pts"] = frame.pts_seconds ? nlohmann::json(std::round(*frame.pts_seconds * 1e6) / 1e6) : nlohmann::json();
  nlohmann::json dets = nlohmann::json::array();
  for (const auto& d : detections) {
    nlohmann::json j;
    j["class"] = to_string(d.cls);
    j["score"] = round_score(d.score);
    j["box"] = box_json(d.box);
    if (!d.model.empty()) j["model"] = d.model;
    if (d.track_id >= 0) j["track"] = d.track_id;
    if (d.predicted) j["predicted"] = true;
    if (!d.corners.empty()) j["corners"] = corners_json(d.corners);
    if (!d.found_by.empty()) {
      nlohmann::json members = nlohmann::json::array();
      for (const Sighting& s : d.found_by) {
        nlohmann::json m = {{"model", s.model}, {"score", round_score(s.score)}, {"box", box_json(s.box)}};
        if (!s.corners.empty()) m["corners"] = corners_json(s.corners);
        members.push_back(std::move(m));
      }
      j["found_by"] = std::move(members);
    }
    dets.push_back(std::move(j));
  }
  line["detections"] = std::move(dets);
  if (!context.empty()) {
    nlohmann::json seen = nlohmann::json::array();
    for (const Detection& c : context) {
      seen.push_back({{"class", to_string(c.cls)}, {"score", round_score(c.score)}, {"box", box_json(c.box)}});
    }
    line["context"] = std::move(seen);
  }
  stream_ << line.dump() << '\n';
  if (!stream_) throw Error("write error on detections file " + out_->destination());
}

void SidecarWriter::finish() {
  stream_.close();
  if (stream_.fail()) throw Error("cannot finish detections file " + out_->destination());
  out_->commit();
}

}  // namespace veil
