#pragma once
// A temporary path beside a destination that becomes the destination only on
// commit(). If the object is destroyed first, the temporary file is removed.
#include <filesystem>

namespace veil {

class AtomicOutput {
 public:
  explicit AtomicOutput(std::filesystem::path destination);
  ~AtomicOutput();
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;

  // Where to write. Same folder and extension as the destination, so that
  // format guessing by extension still works and the rename stays atomic.
  const std::filesystem::path& temp_path() const { return temp_; }
  const std::filesystem::path& destination() const { return destination_; }
  // Renames the temporary file onto the destination. Throws veil::Error.
  void commit();

 private:
  std::filesystem::path destination_;
  std::filesystem::path temp_;
  bool committed_ = false;
};

}  // namespace veil
