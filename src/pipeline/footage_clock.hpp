#pragma once
// How much video a run played through, for the metrics' seconds of footage:
// from the first frame's presentation time to the end of the last frame,
// the last frame lasting as long as the average one before it. Frames
// without a time (still images) add nothing.
#include <cstdint>
#include <optional>

namespace veil {

class FootageClock {
 public:
  void add(std::optional<double> pts_seconds) {
    if (!pts_seconds) return;
    if (!first_) first_ = *pts_seconds;
    last_ = *pts_seconds;
    ++frames_;
  }
  double seconds() const {
    if (!first_ || frames_ < 2) return 0;
    const double span = last_ - *first_;
    return span > 0 ? span + span / double(frames_ - 1) : 0;
  }

 private:
  std::optional<double> first_;
  double last_ = 0;
  std::int64_t frames_ = 0;
};

}  // namespace veil
