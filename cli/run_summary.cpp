#include "run_summary.hpp"

#include "exit_status.hpp"

#include <fmt/core.h>

#include <iostream>

namespace veil::cli {
namespace {

std::string count_of(std::int64_t n, std::string_view what) {
  const bool sibilant = what.back() == 'x' || what.back() == 's';
  return fmt::format("{} {}{}", n, what, n == 1 ? "" : sibilant ? "es" : "s");
}

}  // namespace

std::string summary_line(const RunStats& s, const std::set<ObjectClass>& classes) {
  std::string objects;
  size_t i = 0;
  for (ObjectClass c : classes) {
    if (i++) objects += i == classes.size() ? " and " : ", ";
    objects += count_of(s.objects.count(c) ? s.objects.at(c) : 0, to_string(c));
  }
  std::string line = fmt::format("{}, {}: {} (objects); {} in {}", count_of(s.files, "file"), count_of(s.frames, "frame"),
                                 objects, count_of(s.boxes(), "box"), count_of(s.frames_with_objects, "frame"));
  if (s.tracked) line += fmt::format(" ({} from tracking)", s.tracked);
  line += fmt::format(", {:.1f} s, {:.1f} fps", s.seconds, s.seconds > 0 ? s.frames / s.seconds : 0.0);
  if (!s.failures.empty()) line += fmt::format(", {} FAILED", s.failures.size());
  return line;
}

int finish_run(const RunStats& s, const std::set<ObjectClass>& classes, bool quiet, bool json) {
  if (json) {
    std::cout << s.to_json(classes).dump() << std::endl;
  } else if (!quiet) {
    fmt::print(stderr, "veil: {}\n", summary_line(s, classes));
  }
  if (!s.failures.empty()) {
    for (const auto& f : s.failures) fmt::print(stderr, "veil: failed: {}\n", f);
    return s.files > 0 ? kPartial : kFailed;
  }
  if (!s.truncated.empty()) {
    for (const auto& t : s.truncated) fmt::print(stderr, "veil: truncated: {}\n", t);
    return kTruncated;
  }
  return kSuccess;
}

}  // namespace veil::cli
