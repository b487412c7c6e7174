#pragma once
// Reading and writing a whole file or object at once, for small records and
// text (watch's records, manifests, sidecars): a local path or an s3:// URL.
#include "veil/storage/object_store.hpp"

#include <optional>
#include <string>

namespace veil {

// The content of `location`, or nothing when there is no such file or
// object. Throws veil::Error when it exists but cannot be read.
std::optional<std::string> read_whole_file(const std::string& location, const StorageOptions& storage = {});

// Replaces `location` with `content` atomically: a reader sees the old or
// the new content, never part. Throws veil::Error.
void write_whole_file(const std::string& location, const std::string& content, const StorageOptions& storage = {});

// Deletes the file or object at `location`; nothing when there is none.
// Throws veil::Error when it cannot be deleted.
void remove_file(const std::string& location, const StorageOptions& storage = {});

}  // namespace veil
