#include "pipeline/per_file_run.hpp"

#include "io/media_listing.hpp"
#include "veil/core/error.hpp"
#include "veil/core/stop.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>

namespace veil {
namespace fs = std::filesystem;

namespace {

bool same_file(const fs::path& a, const fs::path& b) {
  std::error_code ec;
  return fs::exists(b, ec) && fs::equivalent(a, b, ec);
}

bool same_location(const std::string& a, const std::string& b) {
  if (is_object_url(a) || is_object_url(b)) return a == b;
  return same_file(a, b);
}

}  // namespace

void run_per_file(const std::string& input, const std::string& output, ImageFormat image_format,
                  const StorageOptions& storage, RunStats& stats, const FileJob& job) {
  if (same_location(input, output)) throw Error(output + ": output would overwrite the input");
  const MediaListing listing = list_media(input, output, storage);
  if (!listing.is_folder) {
    const MediaEntry& file = listing.files.front();
    // "-o s3://bucket/folder/" names where the file goes, under its own name.
    const bool to_prefix = is_object_url(output) && output.back() == '/';
    job(file.location, to_prefix ? output + file.relative : output, file.relative);
    return;
  }
  if (!is_object_url(output)) {
    std::error_code ec;
    if (fs::exists(output, ec) && !fs::is_directory(output, ec)) {
      throw Error(output + ": input is a folder, so the output must be a folder too");
    }
    fs::create_directories(output, ec);
    if (ec) throw Error("cannot create output folder " + output + ": " + ec.message());
  }
  if (listing.files.empty()) throw Error(input + ": no videos or images in this folder");
  for (const auto& file : listing.files) {
    const std::string dest = join_location(output, output_path_for(file.relative, image_format).generic_string());
    try {
      if (!file.problem.empty()) throw Error(file.problem);
      if (same_location(file.location, dest)) throw Error(dest + ": output would overwrite the input");
      if (!is_object_url(dest)) fs::create_directories(fs::path(dest).parent_path());
      job(file.location, dest, file.relative);
    } catch (const std::exception& ex) {
      if (stop_requested()) throw;
      spdlog::error("{}", ex.what());
      stats.failures.push_back(ex.what());
    }
  }
}

}  // namespace veil
