#include "io/atomic_output.hpp"

#include "io/temp_files.hpp"
#include "veil/core/error.hpp"

#include <system_error>

namespace veil {
namespace fs = std::filesystem;

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
  // Hidden name with the real extension last: "a/.clip.veil-HOST-1234-0.tmp.mp4".
  std::string prefix = ".";  // appended, not "." + ...: GCC 12 warns falsely (-Wrestrict) on the operator+ chain
  prefix += destination_.stem().string();
  prefix += ".veil-";
  const std::string suffix = ".tmp" + destination_.extension().string();
  // What a killed run (power cut, kill -9, OOM) left for this destination.
  remove_stale_temp_files(dir, prefix, suffix);
  temp_ = dir / temp_file_name(prefix, suffix);
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
