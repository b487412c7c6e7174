#include "test_paths.hpp"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <sys/wait.h>

namespace veil::test {
namespace fs = std::filesystem;

fs::path shared_dir() {
  if (const char* s = std::getenv("VEIL_SHARED_DIR")) return s;
  return fs::path(VEIL_SOURCE_DIR) / ".." / "shared";
}

fs::path video_dir() { return shared_dir() / "data" / "video"; }

fs::path model_dir() {
  if (const char* s = std::getenv("VEIL_MODEL_DIR")) return fs::absolute(s);
  return shared_dir() / "models";
}

fs::path cli_path() { return VEIL_CLI_PATH; }

fs::path make_temp_dir(const std::string& tag) {
  std::random_device rd;
  fs::path p = fs::temp_directory_path() / ("veil-test-" + tag + "-" + std::to_string(rd()));
  fs::create_directories(p);
  return p;
}

std::string quoted(const fs::path& path) { return "'" + path.string() + "'"; }

std::string veil_command(const std::string& args) {
  return "VEIL_MODEL_DIR=" + quoted(model_dir()) + " " + quoted(cli_path()) + " " + args;
}

int run_command(const std::string& command, std::string* output) {
  std::string full = command + " 2>&1";
  FILE* pipe = ::popen(full.c_str(), "r");
  if (!pipe) return -1;
  std::array<char, 4096> buf;
  std::string text;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) text.append(buf.data(), n);
  int status = ::pclose(pipe);
  if (output) *output = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace veil::test
