#pragma once
// A FrameSource over frames made in memory, for tests that synthesise video.
#include "veil/io/frame_source.hpp"

#include <vector>

namespace veil::test {

class MemoryFrameSource : public FrameSource {
 public:
  // Frames are stamped at `fps` from index 0.
  MemoryFrameSource(std::vector<cv::Mat> frames, double fps) : frames_(std::move(frames)), fps_(fps) {
    info_.description = "synthetic clip";
    info_.is_video = true;
    info_.frame_count = static_cast<std::int64_t>(frames_.size());
    if (!frames_.empty()) {
      info_.width = frames_[0].cols;
      info_.height = frames_[0].rows;
    }
  }
  bool read(Frame& out) override {
    if (next_ >= frames_.size()) return false;
    out.image = frames_[next_].clone();
    out.index = static_cast<std::int64_t>(next_);
    out.pts = out.index;
    out.pts_seconds = out.index / fps_;
    ++next_;
    return true;
  }
  const SourceInfo& info() const override { return info_; }

 private:
  std::vector<cv::Mat> frames_;
  double fps_;
  size_t next_ = 0;
  SourceInfo info_;
};

}  // namespace veil::test
