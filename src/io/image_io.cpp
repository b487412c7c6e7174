#include "veil/io/image_io.hpp"

#include "veil/core/error.hpp"

#include <opencv2/imgcodecs.hpp>

namespace veil {
namespace fs = std::filesystem;

ImageSource::ImageSource(const fs::path& input) {
  std::error_code ec;
  if (!fs::exists(input, ec)) throw Error(input.string() + ": no such file");
  if (!fs::is_regular_file(input, ec)) throw Error(input.string() + ": not a regular file");
  // IMREAD_COLOR applies the EXIF orientation, so detection sees the picture
  // upright, as a viewer would show it.
  image_ = cv::imread(input.string(), cv::IMREAD_COLOR);
  if (image_.empty()) throw Error(input.string() + ": not a readable image");
  info_.description = input.string();
  info_.width = image_.cols;
  info_.height = image_.rows;
  info_.frame_count = 1;
}

bool ImageSource::read(Frame& out) {
  if (done_) return false;
  out.image = image_;
  out.index = 0;
  out.pts_seconds.reset();
  done_ = true;
  return true;
}

ImageSink::ImageSink(const fs::path& output) : out_(output) {
  if (!cv::haveImageWriter(output.string())) {
    throw Error(output.string() + ": no image writer for this extension");
  }
}

void ImageSink::write(const Frame& frame) {
  if (written_) throw Error(out_.destination().string() + ": an image output takes exactly one frame");
  std::vector<int> params = {cv::IMWRITE_JPEG_QUALITY, 95};
  bool ok = false;
  try {
    ok = cv::imwrite(out_.temp_path().string(), frame.image, params);
  } catch (const cv::Exception& ex) {
    throw Error(out_.destination().string() + ": cannot write image: " + ex.what());
  }
  if (!ok) throw Error(out_.destination().string() + ": cannot write image");
  written_ = true;
}

void ImageSink::finish() {
  if (!written_) throw Error(out_.destination().string() + ": no frame to write");
  out_.commit();
}

}  // namespace veil
