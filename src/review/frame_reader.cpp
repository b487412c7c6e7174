#include "review/frame_reader.hpp"

#include "veil/core/error.hpp"
#include "veil/io/media_io.hpp"

namespace veil {

FrameReader::FrameReader(std::string input) : input_(std::move(input)), source_(open_source(input_)) {}

Frame FrameReader::frame(std::int64_t index) {
  std::lock_guard lock(mutex_);
  for (auto it = cache_.begin(); it != cache_.end(); ++it) {
    if (it->index == index) {
      cache_.splice(cache_.begin(), cache_, it);
      Frame copy = cache_.front();
      copy.image = copy.image.clone();
      return copy;
    }
  }
  if (index < next_) {
    source_ = open_source(input_);
    next_ = 0;
  }
  Frame f;
  while (next_ <= index) {
    if (!source_->read(f)) {
      throw Error(input_ + ": no frame " + std::to_string(index) + " (it has " + std::to_string(next_) + ")");
    }
    next_ = f.index + 1;
    remember(f);
  }
  f.image = f.image.clone();
  return f;
}

void FrameReader::remember(const Frame& f) {
  Frame kept = f;
  kept.image = f.image.clone();
  cache_bytes_ += kept.image.total() * kept.image.elemSize();
  cache_.push_front(std::move(kept));
  while (cache_bytes_ > kCacheBytes && cache_.size() > 1) {
    cache_bytes_ -= cache_.back().image.total() * cache_.back().image.elemSize();
    cache_.pop_back();
  }
}

}  // namespace veil
