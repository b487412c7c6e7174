#pragma once
// What an input location holds: one file or object, or a folder (a local
// directory, an object-key prefix) of videos and images, with each one's path
// relative to the folder. The same for anonymize and eval.
#include "veil/storage/object_store.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace veil {

struct MediaEntry {
  std::string location;  // path or URL to open
  std::string relative;  // '/'-separated, below the folder
  std::string problem;   // why this entry must not be processed, if it must not
  // What identifies the content without reading it: "size/mtime" for a
  // file (mtime in the file clock's ticks), "size/ETag" for an object.
  std::string version;
  std::int64_t size = 0;
  // A file's modification time; none for an object (objects appear whole).
  std::optional<std::filesystem::file_time_type> modified;
};

struct MediaListing {
  bool is_folder = false;
  std::vector<MediaEntry> files;  // sorted; one entry when !is_folder
};

// A local folder, an object URL ending in '/', or a key with objects under
// "key/" is a folder. Entries under `exclude` (an output folder inside the
// input) are left out. Throws veil::Error when `input` does not exist; with
// `allow_empty`, an object prefix with nothing under it is an empty folder
// (watch: nothing uploaded yet).
MediaListing list_media(const std::string& input, const std::string& exclude, const StorageOptions& storage,
                        bool allow_empty = false);

// `relative` inside `folder`: a path join, or a key join for object URLs.
std::string join_location(const std::string& folder, const std::string& relative);

}  // namespace veil
