#pragma once
// Where redacted frames go. A sink writes to a temporary file beside its
// destination; only finish() puts the result at the destination path, so a
// failed or abandoned run never leaves a half-written output behind.
#include "veil/core/frame.hpp"

namespace veil {

class FrameSink {
 public:
  // Destroying a sink without finish() discards everything written so far.
  virtual ~FrameSink() = default;
  // Frames arrive in input order. Throws veil::Error on failure.
  virtual void write(const Frame& frame) = 0;
  // Flushes, closes and renames into place. Throws veil::Error on failure.
  virtual void finish() = 0;
};

}  // namespace veil
