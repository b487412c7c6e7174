#pragma once
// One output timeline for a live input that may reconnect: frames keep the
// input's spacing; after a reconnection, or a jump of the input's clock,
// they continue one frame after the last frame placed, so that the output
// plays without a hole (the gap is reported, not shown). The other streams'
// packets follow the same offset as the video of their connection.
#include <cstdint>

extern "C" {
#include <libavutil/rational.h>
}

namespace veil {

class LiveTimeline {
 public:
  explicit LiveTimeline(AVRational out) : out_(out) {}
  // The output pts (in the output time base) of a frame with `pts` in
  // `time_base`, from connection `connection`; `nominal_step` is the
  // stream's seconds per frame, or 0.
  std::int64_t place(std::int64_t pts, AVRational time_base, std::int64_t connection, double nominal_step);
  // Seconds to add to a timestamp of connection `connection` to put it on
  // the output timeline; false until that connection's first frame.
  bool offset(std::int64_t connection, double& seconds) const;

 private:
  AVRational out_;
  bool started_ = false;
  std::int64_t connection_ = 0, last_in_ = 0, last_out_ = 0;
  double offset_ = 0;
};

}  // namespace veil
