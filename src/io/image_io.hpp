#pragma once
// Still images as one-frame sources and sinks (OpenCV imgcodecs).
#include "io/output_file.hpp"
#include "io/picture_size_limit.hpp"
#include "veil/io/frame_sink.hpp"
#include "veil/io/frame_source.hpp"
#include "veil/storage/object_store.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace veil {

class ImageSource : public FrameSource {
 public:
  // The same limit as video frames (8192x8192), checked on the header
  // before the picture is decoded.
  static constexpr std::int64_t kMaxImagePixels = kMaxPicturePixels;

  // Reads the image now; throws veil::Error when missing, undecodable, not
  // one of JPEG, PNG, WebP, BMP, TIFF, JPEG 2000, or above kMaxImagePixels.
  explicit ImageSource(const std::filesystem::path& input);
  // Reads the whole object now (images are small); same errors, naming its URL.
  explicit ImageSource(ObjectReader& object);
  bool read(Frame& out) override;
  const SourceInfo& info() const override { return info_; }

 private:
  void decode(const std::vector<std::uint8_t>& bytes, const std::string& name);  // fills image_, info_

  SourceInfo info_;
  cv::Mat image_;
  bool done_ = false;
};

class ImageSink : public FrameSink {
 public:
  // The format follows the output's extension. JPEG is written at quality 95.
  // `output` is a path or an object URL (see open_output_file).
  explicit ImageSink(const std::string& output, const StorageOptions& storage = {});
  void write(const Frame& frame) override;
  void finish() override;

 private:
  std::unique_ptr<OutputFile> out_;
  bool written_ = false;
};

}  // namespace veil
