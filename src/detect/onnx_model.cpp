#include "veil/detect/onnx_model.hpp"

#include "veil/core/error.hpp"
#include "veil/detect/fast_layers.hpp"

#include <opencv2/imgproc.hpp>

#include <fstream>
#include <iterator>

namespace veil {

std::vector<uchar> read_model_bytes(const std::filesystem::path& file, const std::string& kind) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error("cannot open " + kind + " " + file.string());
  std::vector<uchar> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.empty()) throw Error(kind + " " + file.string() + " is empty");
  return bytes;
}

cv::dnn::Net load_onnx(const std::vector<uchar>& bytes, const std::string& what) {
  try {
    use_fast_layers();
    cv::dnn::Net net = cv::dnn::readNetFromONNX(bytes);
    if (net.empty()) throw Error(what + " holds no network");
    return net;
  } catch (const cv::Exception& e) {
    throw Error(what + " cannot be loaded: " + e.what());
  }
}

cv::Mat as_bgr8(const cv::Mat& image, const std::string& who) {
  if (image.empty()) throw Error(who + ": empty image");
  if (image.depth() != CV_8U) throw Error(who + ": image is not 8-bit");
  if (image.channels() == 3) return image;
  cv::Mat bgr;
  if (image.channels() == 1) {
    cv::cvtColor(image, bgr, cv::COLOR_GRAY2BGR);
  } else if (image.channels() == 4) {
    cv::cvtColor(image, bgr, cv::COLOR_BGRA2BGR);
  } else {
    throw Error(who + ": unsupported channel count");
  }
  return bgr;
}

}  // namespace veil
