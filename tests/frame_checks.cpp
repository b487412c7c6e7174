#include "frame_checks.hpp"

#include "io/video_source.hpp"

#include <fstream>

namespace veil::test {

std::vector<nlohmann::json> read_jsonl(const std::filesystem::path& path) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(path);
  for (std::string l; std::getline(in, l);) lines.push_back(nlohmann::json::parse(l));
  return lines;
}

std::vector<nlohmann::json> read_sidecar_frames(const std::filesystem::path& path) {
  std::vector<nlohmann::json> frames;
  for (auto& l : read_jsonl(path)) {
    if (l.contains("detections")) frames.push_back(std::move(l));
  }
  return frames;
}

void write_jsonl(const std::filesystem::path& path, const std::vector<nlohmann::json>& lines) {
  std::ofstream out(path);
  for (const auto& l : lines) out << l.dump() << "\n";
}

std::vector<cv::Mat> decode_frames(const std::filesystem::path& video) {
  VideoSource src(video);
  std::vector<cv::Mat> frames;
  Frame f;
  while (src.read(f)) frames.push_back(f.image.clone());
  return frames;
}

double mean_abs_diff(const cv::Mat& a, const cv::Mat& b, const cv::Rect& area) {
  const cv::Scalar m = cv::mean(cv::abs(a(area) - b(area)));
  return (m[0] + m[1] + m[2]) / 3;
}

double mean_level(const cv::Mat& image, const cv::Rect& area) {
  const cv::Scalar m = cv::mean(image(area));
  return (m[0] + m[1] + m[2]) / 3;
}

}  // namespace veil::test
