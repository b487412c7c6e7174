#pragma once
// Inputs shared by the micro-benchmarks: a real dashcam frame at the sizes
// bench.py measures, and the models from the mirror (VEIL_MODEL_DIR, else
// ../shared/models next to the source tree).
#include <opencv2/core.hpp>

#include <filesystem>

namespace veil::bench {

// Frame heights the benchmarks take as their first argument: 960x540,
// 1280x720 and 1920x1080.
inline constexpr int kHeights[] = {540, 720, 1080};

// A frame of the 1280x720 dashcam clip (cars, plates), resized to 16:9 at
// `height` rows. Decoded once and cached.
const cv::Mat& dashcam_frame(int height);
// A street photo from faces-dev (many small faces) resized the same way.
const cv::Mat& crowd_frame(int height);

std::filesystem::path model_file(const std::string& manifest_name);

}  // namespace veil::bench
