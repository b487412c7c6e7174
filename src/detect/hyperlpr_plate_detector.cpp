#include "detect/hyperlpr_plate_detector.hpp"

#include "veil/core/error.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <regex>

namespace veil {

namespace {

// Row layout of the [1, N, 15] output.
constexpr int kRow = 15;
constexpr int kObj = 4;
constexpr int kCorners = 5;  // x0 y0 .. x3 y3
constexpr int kClasses = 13; // single-row, double-row plate

int size_from_name(const std::filesystem::path& file) {
  std::smatch m;
  std::string name = file.filename().string();
  if (std::regex_search(name, m, std::regex("_(320|640)x"))) return std::stoi(m[1]);
  return 640;
}

// Puts four points in the order Detection promises: clockwise (in image
// coordinates, y down) starting from the top-left one. The model's own order
// follows its training labels and is not guaranteed on tilted plates.
std::vector<cv::Point2f> order_corners(std::vector<cv::Point2f> p) {
  cv::Point2f c = (p[0] + p[1] + p[2] + p[3]) * 0.25f;
  // With y pointing down, increasing atan2 runs clockwise on screen.
  std::sort(p.begin(), p.end(), [&](const cv::Point2f& a, const cv::Point2f& b) {
    return std::atan2(a.y - c.y, a.x - c.x) < std::atan2(b.y - c.y, b.x - c.x);
  });
  auto top_left = std::min_element(p.begin(), p.end(), [](const cv::Point2f& a, const cv::Point2f& b) {
    return a.x + a.y < b.x + b.y;
  });
  std::rotate(p.begin(), top_left, p.end());
  return p;
}

}  // namespace

HyperLprPlateDetector::HyperLprPlateDetector(const std::filesystem::path& model_file, const PlateOptions& options)
    : TiledPlateDetector(model_file, options, "plate model", GraphEdit{}, size_from_name(model_file), 0.f) {
  // A model of another kind fails now, not mid-video.
  const std::vector<int64_t> shape = blank_output_shape();
  if (shape.size() != 3 || shape[2] != kRow) throw Error(what() + " is not a HyperLPR3 detector");
}

Detections HyperLprPlateDetector::decode(const TensorView& pred, const Letterbox& lb) const {
  if (pred.shape.size() != 3 || pred.shape[2] != kRow) throw Error(what() + ": unexpected output shape");
  Detections out;
  const int64_t n = pred.shape[1];
  const float* row = pred.data;
  for (int64_t i = 0; i < n; ++i, row += kRow) {
    float score = row[kObj] * std::max(row[kClasses], row[kClasses + 1]);
    if (score < options().score_threshold) continue;
    Detection d;
    d.cls = ObjectClass::kPlate;
    d.score = score;
    cv::Point2f tl = lb.to_frame(row[0] - row[2] / 2, row[1] - row[3] / 2);
    cv::Point2f br = lb.to_frame(row[0] + row[2] / 2, row[1] + row[3] / 2);
    std::vector<cv::Point2f> corners;
    for (int k = 0; k < 4; ++k) corners.push_back(lb.to_frame(row[kCorners + 2 * k], row[kCorners + 2 * k + 1]));
    d.corners = order_corners(corners);
    // The box covers both the regressed box and the corners, so a redactor
    // that only uses the box still hides the whole plate.
    d.box = cv::Rect2f(tl, br) | cv::Rect2f(cv::boundingRect(d.corners));
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace veil
