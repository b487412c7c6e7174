#include "live/timeline.hpp"

#include <algorithm>
#include <cmath>

extern "C" {
#include <libavutil/mathematics.h>
}

namespace veil {

std::int64_t LiveTimeline::place(std::int64_t pts, AVRational time_base, std::int64_t connection,
                                 double nominal_step) {
  const double nominal = nominal_step > 0 ? nominal_step : 1.0 / 25;
  const std::int64_t nominal_out = std::max<std::int64_t>(1, std::llround(nominal / av_q2d(out_)));
  std::int64_t out;
  if (!started_) {
    out = 0;
  } else if (connection == connection_ && pts > last_in_ &&
             (pts - last_in_) * av_q2d(time_base) <= std::max(10 * nominal, 1.0)) {
    out = last_out_ + std::max<std::int64_t>(1, av_rescale_q(pts - last_in_, time_base, out_));
  } else {
    out = last_out_ + nominal_out;
  }
  started_ = true;
  connection_ = connection;
  last_in_ = pts;
  last_out_ = out;
  offset_ = out * av_q2d(out_) - pts * av_q2d(time_base);
  return out;
}

bool LiveTimeline::offset(std::int64_t connection, double& seconds) const {
  if (!started_ || connection != connection_) return false;
  seconds = offset_;
  return true;
}

}  // namespace veil
