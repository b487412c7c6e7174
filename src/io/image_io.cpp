#include "io/image_io.hpp"

#include "io/image_header.hpp"
#include "veil/core/error.hpp"

#include <opencv2/imgcodecs.hpp>

#include <cstdint>
#include <fstream>
#include <optional>
#include <vector>

namespace veil {
namespace fs = std::filesystem;

namespace {
// Larger than any photograph; a bigger file is not an image to load whole.
constexpr std::int64_t kMaxImageBytes = std::int64_t(512) << 20;
}  // namespace

ImageSource::ImageSource(const fs::path& input) {
  std::error_code ec;
  if (!fs::exists(input, ec)) throw Error(input.string() + ": no such file");
  if (!fs::is_regular_file(input, ec)) throw Error(input.string() + ": not a regular file");
  const auto size = fs::file_size(input, ec);
  if (ec) throw Error(input.string() + ": cannot read: " + ec.message());
  if (std::int64_t(size) > kMaxImageBytes) throw Error(input.string() + ": too large for an image");
  std::vector<std::uint8_t> bytes(size);
  std::ifstream in(input, std::ios::binary);
  if (!in.read(reinterpret_cast<char*>(bytes.data()), std::streamsize(size))) {
    throw Error(input.string() + ": cannot read the file");
  }
  decode(bytes, input.string());
}

ImageSource::ImageSource(ObjectReader& object) {
  if (object.size() > kMaxImageBytes) throw Error(object.url() + ": too large for an image");
  std::vector<std::uint8_t> bytes(std::size_t(object.size()));
  std::size_t done = 0;
  while (done < bytes.size()) {
    const std::size_t n = object.read_at(std::int64_t(done), bytes.data() + done, bytes.size() - done);
    if (n == 0) throw Error(object.url() + ": the object ended early");
    done += n;
  }
  decode(bytes, object.url());
}

void ImageSource::decode(const std::vector<std::uint8_t>& bytes, const std::string& name) {
  // The header is checked before OpenCV sees the bytes: OpenCV would
  // allocate any size up to 2^30 pixels that a crafted header claims.
  const std::optional<DeclaredImage> header = read_image_header(bytes.data(), bytes.size());
  if (!header) throw Error(name + ": not a readable image (JPEG, PNG, WebP, BMP, TIFF or JPEG 2000)");
  if (header->width * header->height > kMaxImagePixels) {
    throw Error(name + ": image size " + std::to_string(header->width) + "x" + std::to_string(header->height) +
                " is " + over_picture_limit_text());
  }
  // IMREAD_COLOR applies the EXIF orientation, so detection sees the picture
  // upright, as a viewer would show it.
  // OpenCV's decoders report some damaged files by throwing rather than by
  // returning an empty image; both are the same plain error here.
  try {
    image_ = cv::imdecode(bytes, cv::IMREAD_COLOR);
  } catch (const cv::Exception& ex) {
    throw Error(name + ": not a readable image (" + ex.err + ")");
  }
  if (image_.empty()) throw Error(name + ": not a readable image");
  info_.description = name;
  info_.width = image_.cols;
  info_.height = image_.rows;
  info_.frame_count = 1;
  info_.bytes = std::int64_t(bytes.size());
}

bool ImageSource::read(Frame& out) {
  if (done_) return false;
  out = Frame{};
  out.image = image_;
  done_ = true;
  return true;
}

ImageSink::ImageSink(const std::string& output, const StorageOptions& storage) {
  if (!cv::haveImageWriter(fs::path(output).filename().string())) {
    throw Error(output + ": no image writer for this extension");
  }
  out_ = open_output_file(output, storage);
}

void ImageSink::write(const Frame& frame) {
  if (written_) throw Error(out_->destination() + ": an image output takes exactly one frame");
  std::vector<int> params = {cv::IMWRITE_JPEG_QUALITY, 95};
  bool ok = false;
  try {
    ok = cv::imwrite(out_->temp_path().string(), frame.image, params);
  } catch (const cv::Exception& ex) {
    throw Error(out_->destination() + ": cannot write image: " + ex.what());
  }
  if (!ok) throw Error(out_->destination() + ": cannot write image");
  written_ = true;
}

void ImageSink::finish() {
  if (!written_) throw Error(out_->destination() + ": no frame to write");
  out_->commit();
}

}  // namespace veil
