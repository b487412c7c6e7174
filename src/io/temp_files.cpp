#include "io/temp_files.hpp"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <unistd.h>

namespace veil {
namespace fs = std::filesystem;

namespace {

std::atomic<unsigned> g_counter{0};

std::string host_tag() {
  static const std::string tag = [] {
    char buf[256] = {};
    ::gethostname(buf, sizeof(buf) - 1);
    std::string h = buf;
    for (char& c : h) {
      if (c == '/' || c == '-' || c == ' ') c = '_';
    }
    return h.empty() ? std::string("host") : h;
  }();
  return tag;
}

bool process_gone(long pid) { return pid > 0 && ::kill(pid_t(pid), 0) != 0 && errno == ESRCH; }

}  // namespace

std::string temp_file_name(const std::string& prefix, const std::string& suffix) {
  return prefix + host_tag() + "-" + std::to_string(::getpid()) + "-" + std::to_string(g_counter++) + suffix;
}

void remove_stale_temp_files(const fs::path& dir, const std::string& prefix, const std::string& suffix) {
  const std::string mine = prefix + host_tag() + "-";
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() <= mine.size() + suffix.size() || name.compare(0, mine.size(), mine) != 0 ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    // "<pid>-<n>" between the two.
    const std::string middle = name.substr(mine.size(), name.size() - mine.size() - suffix.size());
    char* end = nullptr;
    const long pid = std::strtol(middle.c_str(), &end, 10);
    if (end == middle.c_str() || *end != '-' || pid == long(::getpid())) continue;
    if (process_gone(pid)) fs::remove(e.path(), ec);
  }
}

}  // namespace veil
