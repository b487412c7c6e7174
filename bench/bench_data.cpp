#include "bench_data.hpp"

#include "io/video_source.hpp"
#include "test_paths.hpp"
#include "veil/models/model_store.hpp"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <map>
#include <mutex>
#include <stdexcept>

namespace veil::bench {
namespace fs = std::filesystem;

namespace {

cv::Mat resized(const cv::Mat& image, int height) {
  cv::Mat out;
  cv::resize(image, out, cv::Size(height * 16 / 9, height), 0, 0, cv::INTER_AREA);
  return out;
}

const cv::Mat& cached(std::map<int, cv::Mat>& cache, const cv::Mat& source, int height) {
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  cv::Mat& slot = cache[height];
  if (slot.empty()) slot = resized(source, height);
  return slot;
}

}  // namespace

const cv::Mat& dashcam_frame(int height) {
  static const cv::Mat source = [] {
    VideoSource video(test::video_dir() / "CarND-Vehicle-Detection_test_video.mp4");
    Frame frame;
    for (int i = 0; i < 20; ++i) {  // past the first frames, into traffic
      if (!video.read(frame)) throw std::runtime_error("dashcam clip is too short");
    }
    return frame.image.clone();
  }();
  static std::map<int, cv::Mat> cache;
  return cached(cache, source, height);
}

const cv::Mat& crowd_frame(int height) {
  static const cv::Mat source = [] {
    fs::path dir = test::shared_dir() / "data" / "faces-dev" / "images";
    // The first photo in name order: fixed, so runs compare.
    fs::path first;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (first.empty() || entry.path() < first) first = entry.path();
    }
    cv::Mat image = cv::imread(first.string(), cv::IMREAD_COLOR);
    if (image.empty()) throw std::runtime_error("cannot read " + first.string());
    return image;
  }();
  static std::map<int, cv::Mat> cache;
  return cached(cache, source, height);
}

fs::path model_file(const std::string& manifest_name) {
  ModelStoreOptions options;
  options.mirror_dir = test::model_dir();
  options.allow_download = false;
  return ModelStore(options).resolve(manifest_name).path;
}

}  // namespace veil::bench
