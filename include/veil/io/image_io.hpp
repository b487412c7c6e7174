#pragma once
// Still images as one-frame sources and sinks (OpenCV imgcodecs).
#include "veil/io/atomic_output.hpp"
#include "veil/io/frame_sink.hpp"
#include "veil/io/frame_source.hpp"

#include <filesystem>
#include <optional>

namespace veil {

class ImageSource : public FrameSource {
 public:
  // Reads the image now; throws veil::Error when missing or undecodable.
  explicit ImageSource(const std::filesystem::path& input);
  bool read(Frame& out) override;
  const SourceInfo& info() const override { return info_; }

 private:
  SourceInfo info_;
  cv::Mat image_;
  bool done_ = false;
};

class ImageSink : public FrameSink {
 public:
  // The format follows the output's extension. JPEG is written at quality 95.
  explicit ImageSink(const std::filesystem::path& output);
  void write(const Frame& frame) override;
  void finish() override;

 private:
  AtomicOutput out_;
  bool written_ = false;
};

}  // namespace veil
