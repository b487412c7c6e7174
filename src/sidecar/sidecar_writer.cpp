#include "sidecar/sidecar_writer.hpp"

#include "veil/core/error.hpp"

#include <nlohmann/json.hpp>

#include <cmath>

namespace veil {

namespace {
// Two decimals are finer than any detector's box precision and keep lines short.
double round2(double v) { return std::round(v * 100.0) / 100.0; }
}  // namespace

void round_to_sidecar_precision(Detections& detections) {
  for (Detection& d : detections) {
    d.box = cv::Rect2f(float(round2(d.box.x)), float(round2(d.box.y)), float(round2(d.box.width)),
                       float(round2(d.box.height)));
    for (auto& p : d.corners) p = cv::Point2f(float(round2(p.x)), float(round2(p.y)));
  }
}

SidecarWriter::SidecarWriter(const std::string& path, const StorageOptions& storage)
    : out_(open_output_file(path, storage)), stream_(out_->temp_path()) {
  if (!stream_) throw Error("cannot write detections file " + path);
}

void SidecarWriter::write(const std::string& file, const Frame& frame, const Detections& detections) {
  nlohmann::json line;
  line["file"] = file;
  line["index"] = frame.index;
  line["pts"] = frame.pts_seconds ? nlohmann::json(std::round(*frame.pts_seconds * 1e6) / 1e6) : nlohmann::json();
  nlohmann::json dets = nlohmann::json::array();
  for (const auto& d : detections) {
    nlohmann::json j;
    j["class"] = to_string(d.cls);
    j["score"] = std::round(d.score * 1000.0) / 1000.0;
    j["box"] = {round2(d.box.x), round2(d.box.y), round2(d.box.width), round2(d.box.height)};
    if (!d.model.empty()) j["model"] = d.model;
    if (d.track_id >= 0) j["track"] = d.track_id;
    if (d.predicted) j["predicted"] = true;
    if (!d.corners.empty()) {
      nlohmann::json pts = nlohmann::json::array();
      for (const auto& p : d.corners) pts.push_back({round2(p.x), round2(p.y)});
      j["corners"] = pts;
    }
    dets.push_back(std::move(j));
  }
  line["detections"] = std::move(dets);
  stream_ << line.dump() << '\n';
  if (!stream_) throw Error("write error on detections file " + out_->destination());
}

void SidecarWriter::finish() {
  stream_.close();
  if (stream_.fail()) throw Error("cannot finish detections file " + out_->destination());
  out_->commit();
}

}  // namespace veil
