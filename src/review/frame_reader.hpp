#pragma once
// Random access to the frames of one video or image, for the review page:
// decoded by Veil's own decoder, so that any codec works and the page shows
// exactly the frames render will change.
#include "veil/core/frame.hpp"
#include "veil/io/frame_source.hpp"

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>

namespace veil {

class FrameReader {
 public:
  // Opens `input` (throws veil::Error as open_source does).
  explicit FrameReader(std::string input);

  // A copy of frame `index`. Frames ahead of the decoder are decoded forward;
  // recent frames come from a cache of at most kCacheBytes; an earlier frame
  // outside it reopens the input and decodes from the start. Throws
  // veil::Error past the last frame. Any thread may call it.
  Frame frame(std::int64_t index);
  const SourceInfo& info() const { return source_->info(); }

  static constexpr std::size_t kCacheBytes = std::size_t(256) << 20;

 private:
  void remember(const Frame& f);

  std::string input_;
  std::mutex mutex_;
  std::unique_ptr<FrameSource> source_;
  std::int64_t next_ = 0;        // the index source_ decodes next
  std::list<Frame> cache_;       // most recently used first
  std::size_t cache_bytes_ = 0;
};

}  // namespace veil
