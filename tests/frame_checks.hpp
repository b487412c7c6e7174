#pragma once
// What the end-to-end tests compare: sidecar lines and decoded frames.
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include <filesystem>
#include <vector>

namespace veil::test {

// The JSON Lines of a file (a sidecar), one value per line.
std::vector<nlohmann::json> read_jsonl(const std::filesystem::path& path);
// A sidecar's frame lines (those with "detections"), in file order: the
// provenance header and track lines left out, so that [i] is frame i.
std::vector<nlohmann::json> read_sidecar_frames(const std::filesystem::path& path);
void write_jsonl(const std::filesystem::path& path, const std::vector<nlohmann::json>& lines);

// Every frame of a video (or the image), as Veil's own source decodes it.
std::vector<cv::Mat> decode_frames(const std::filesystem::path& video);

// Mean over `area` and the three channels: of |a - b|, and of the pixels.
double mean_abs_diff(const cv::Mat& a, const cv::Mat& b, const cv::Rect& area);
double mean_level(const cv::Mat& image, const cv::Rect& area);

}  // namespace veil::test
