#pragma once
// A frame hidden whole: what live mode writes when a frame could not be
// analysed in time. Nothing of the picture stays recognisable.
#include "veil/core/frame.hpp"
#include "veil/redact/redactor.hpp"

namespace veil {

// A new frame with the same index and times as `frame` and its picture
// hidden whole: blurred (or pixelated) down to 24 pixels across, or filled,
// as `options.mode` says; mode none leaves it as it is. A frame with its
// decoded YUV picture gets a new YUV picture (Frame::decoded, no BGR
// image); others a BGR image. `frame` is only read, so another thread may
// be reading it at the same time.
Frame hide_whole_frame(const Frame& frame, const RedactOptions& options);

}  // namespace veil
