#pragma once
// Finds a model file on this machine, or fetches it, and proves it is the
// file the manifest names before anyone loads it.
//
// Search order: the folder named by VEIL_MODEL_DIR (a mirror; CI and tests
// use ../shared/models), then the user cache ($VEIL_CACHE_DIR, else
// $XDG_CACHE_HOME/veil/models, else ~/.cache/veil/models), then each
// download URL in the manifest, saved into the cache. Every file is checked
// against its sha256; a mismatch is refused, never loaded.
#include "veil/models/model_manifest.hpp"

#include <filesystem>
#include <optional>
#include <string>

namespace veil {

struct ResolvedModel {
  ModelEntry entry;
  std::filesystem::path path;
  std::string origin;  // "VEIL_MODEL_DIR", "cache" or "downloaded from <url>"
};

struct ModelStoreOptions {
  std::optional<std::filesystem::path> mirror_dir;  // default: $VEIL_MODEL_DIR
  std::optional<std::filesystem::path> cache_dir;   // default: see above
  bool allow_download = true;
};

class ModelStore {
 public:
  explicit ModelStore(ModelStoreOptions options = {});

  // Returns a verified local file for the entry. Throws veil::Error when the
  // model cannot be found or its checksum does not match.
  ResolvedModel resolve(const ModelEntry& entry) const;
  ResolvedModel resolve(const std::string& name) const;

  const std::optional<std::filesystem::path>& mirror_dir() const { return mirror_dir_; }
  const std::filesystem::path& cache_dir() const { return cache_dir_; }

 private:
  std::optional<std::filesystem::path> mirror_dir_;
  std::filesystem::path cache_dir_;
  bool allow_download_;
};

// Downloads `url` to `dest` (via a temporary file). Throws veil::Error.
void download_file(const std::string& url, const std::filesystem::path& dest);

}  // namespace veil
