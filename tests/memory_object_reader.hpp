#pragma once
// An ObjectReader over bytes in memory: feeds Veil's readers (VideoSource,
// ImageSource) data that never touches the disk, for the fuzz targets.
#include "veil/storage/object_store.hpp"

#include <algorithm>
#include <cstring>
#include <string>

namespace veil::test {

class MemoryObjectReader : public ObjectReader {
 public:
  MemoryObjectReader(const std::uint8_t* data, std::size_t size, std::string url)
      : data_(data), size_(size), url_(std::move(url)) {}
  std::int64_t size() const override { return std::int64_t(size_); }
  std::size_t read_at(std::int64_t offset, void* buffer, std::size_t n) override {
    if (offset < 0 || std::size_t(offset) >= size_) return 0;
    n = std::min(n, size_ - std::size_t(offset));
    std::memcpy(buffer, data_ + offset, n);
    return n;
  }
  const std::string& url() const override { return url_; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::string url_;
};

}  // namespace veil::test
