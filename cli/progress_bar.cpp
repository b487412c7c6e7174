#include "progress_bar.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cstdio>

namespace veil::cli {

namespace {
std::string clock_text(double seconds) {
  int s = static_cast<int>(seconds + 0.5);
  return s >= 3600 ? fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
                   : fmt::format("{}:{:02}", s / 60, s % 60);
}
}  // namespace

void ProgressBar::on_file_start(const std::string& name, std::optional<std::int64_t> frame_count) {
  name_ = name;
  total_ = frame_count;
  done_ = 0;
  start_ = last_draw_ = std::chrono::steady_clock::now();
  draw(false);
}

void ProgressBar::on_frame() {
  ++done_;
  // Redrawing every frame would cost more than it tells; ten times a second is plenty.
  if (std::chrono::steady_clock::now() - last_draw_ > std::chrono::milliseconds(100)) draw(false);
}

void ProgressBar::on_file_end() {
  draw(true);
  std::fputc('\n', stderr);
}

void ProgressBar::draw(bool final) {
  auto now = std::chrono::steady_clock::now();
  last_draw_ = now;
  double elapsed = std::chrono::duration<double>(now - start_).count();
  double fps = elapsed > 0 ? done_ / elapsed : 0;
  std::string line;
  if (total_ && *total_ > 0) {
    const int width = 28;
    std::int64_t total = std::max(*total_, done_);
    int filled = static_cast<int>(width * done_ / total);
    std::string eta = fps > 0 && !final ? clock_text((total - done_) / fps) : "-";
    line = fmt::format("[{}{}] {}/{} frames  {:.1f} fps  ETA {}  {}", std::string(filled, '#'),
                       std::string(width - filled, ' '), done_, total, fps, eta, name_);
  } else {
    line = fmt::format("{} frames  {:.1f} fps  {}  {}", done_, fps, clock_text(elapsed), name_);
  }
  std::fprintf(stderr, "\r\033[K%s", line.c_str());
  std::fflush(stderr);
}

}  // namespace veil::cli
