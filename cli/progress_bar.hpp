#pragma once
// A one-line progress bar on stderr: frames done, frames per second, ETA.
#include "veil/pipeline/anonymizer.hpp"

#include <chrono>

namespace veil::cli {

class ProgressBar : public ProgressListener {
 public:
  void on_file_start(const std::string& name, std::optional<std::int64_t> frame_count) override;
  void on_frame() override;
  void on_file_end() override;

 private:
  void draw(bool final);

  std::string name_;
  std::optional<std::int64_t> total_;
  std::int64_t done_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace veil::cli
