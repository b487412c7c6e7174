#pragma once
// Where frames come from: a video file, an image, later a stream or an
// object in S3. The pipeline only sees this interface.
#include "veil/core/frame.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace veil {

struct SourceInfo {
  std::string description;               // the input's name, for messages
  int width = 0;
  int height = 0;
  bool is_video = false;
  std::optional<std::int64_t> frame_count;  // best estimate, for progress only
  std::optional<double> duration_seconds;   // video: as the container says
  std::optional<std::int64_t> bytes;        // size of the file or object; none for a stream
};

class FrameSource {
 public:
  virtual ~FrameSource() = default;
  // Fills `out` with the next frame and returns true, or returns false at the
  // end. Throws veil::Error when the input is unreadable or corrupt: a frame
  // that cannot be decoded must never be skipped silently.
  virtual bool read(Frame& out) = 0;
  virtual const SourceInfo& info() const = 0;
  // Once read() has returned false: how many frames the container's index
  // lists that never came, because the recording was cut short (a dashcam
  // losing power). 0 when the input is whole, or when the container has no
  // index to tell (MKV, MPEG-TS cut mid-write).
  virtual std::int64_t frames_missing() const { return 0; }
  // For a caller that only detects on Frame::image and hides through
  // redact_frame(): a source that can make a faster, approximate image says
  // so with Frame::image_approximate (video: VideoSource::set_fast_bgr).
  // Call before the first read(). Default: nothing changes.
  virtual void prefer_fast_image() {}
};

}  // namespace veil
