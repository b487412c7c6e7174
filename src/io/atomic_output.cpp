#include "io/atomic_output.hpp"

#include "veil/core/error.hpp"

#include <atomic>
#include <system_error>
#include <unistd.h>

namespace veil {
namespace fs = std::filesystem;

namespace {
std::atomic<unsigned> g_counter{0};
}

AtomicOutput::AtomicOutput(fs::path destination)
    : destination_(std::move(destination)), name_(destination_.string()) {
  fs::path dir = destination_.parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw Error("cannot write " + destination_.string() + ": folder " + dir.string() + " does not exist");
  }
  if (fs::is_directory(destination_, ec)) {
    throw Error("output path is a folder, expected a file: " + destination_.string());
  }
  // Hidden name with the real extension last: "a/.clip.veil-1234-0.tmp.mp4".
  temp_ = dir / ("." + destination_.stem().string() + ".veil-" + std::to_string(::getpid()) + "-" +
                 std::to_string(g_counter++) + ".tmp" + destination_.extension().string());
}

AtomicOutput::~AtomicOutput() {
  if (!committed_) {
    std::error_code ec;
    fs::remove(temp_, ec);
  }
}

void AtomicOutput::commit() {
  std::error_code ec;
  fs::rename(temp_, destination_, ec);
  if (ec) {
    throw Error("cannot move finished output into place at " + destination_.string() + ": " + ec.message());
  }
  committed_ = true;
}

}  // namespace veil
