#pragma once
// The local OutputFile: a hidden temporary file beside the destination,
// renamed onto it on commit() (atomic within one file system), removed if
// the object is destroyed first.
#include "io/output_file.hpp"

#include <filesystem>
#include <string>

namespace veil {

class AtomicOutput : public OutputFile {
 public:
  explicit AtomicOutput(std::filesystem::path destination);
  ~AtomicOutput() override;
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;

  // Same folder and extension as the destination, so that format guessing
  // by extension still works and the rename stays atomic.
  const std::filesystem::path& temp_path() const override { return temp_; }
  const std::string& destination() const override { return name_; }
  void commit() override;

 private:
  std::filesystem::path destination_;
  std::string name_;
  std::filesystem::path temp_;
  bool committed_ = false;
};

}  // namespace veil
