#include "veil/models/model_store.hpp"

#include "io/atomic_output.hpp"
#include "models/sha256.hpp"
#include "veil/core/error.hpp"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>

namespace veil {
namespace fs = std::filesystem;

namespace {

fs::path default_cache_dir() {
  if (const char* d = std::getenv("VEIL_CACHE_DIR"); d && *d) return d;
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d && *d) return fs::path(d) / "veil" / "models";
  if (const char* d = std::getenv("HOME"); d && *d) return fs::path(d) / ".cache" / "veil" / "models";
  return fs::temp_directory_path() / "veil-models";
}

// Throws when the file exists but is not the file the manifest names.
void verify(const ModelEntry& entry, const fs::path& file) {
  std::string actual = sha256_file(file);
  if (actual != entry.sha256) {
    throw Error("model '" + entry.name + "' at " + file.string() + " has sha256 " + actual +
                " but the manifest requires " + entry.sha256 +
                "; refusing to load it (delete the file or fix VEIL_MODEL_DIR)");
  }
}

size_t write_to_file(char* data, size_t size, size_t count, void* file) {
  return std::fwrite(data, size, count, static_cast<FILE*>(file));
}

}  // namespace

ModelStore::ModelStore(ModelStoreOptions options)
    : mirror_dir_(options.mirror_dir),
      cache_dir_(options.cache_dir ? *options.cache_dir : default_cache_dir()),
      allow_download_(options.allow_download) {
  if (!mirror_dir_) {
    if (const char* d = std::getenv("VEIL_MODEL_DIR"); d && *d) mirror_dir_ = fs::path(d);
  }
}

ResolvedModel ModelStore::resolve(const std::string& name) const {
  return resolve(ModelManifest::builtin().find(name));
}

ResolvedModel ModelStore::resolve(const ModelEntry& entry) const {
  std::error_code ec;
  if (mirror_dir_) {
    fs::path p = *mirror_dir_ / entry.file;
    if (fs::is_regular_file(p, ec)) {
      verify(entry, p);
      return {entry, p, "VEIL_MODEL_DIR"};
    }
  }
  fs::path cached = cache_dir_ / entry.file;
  if (fs::is_regular_file(cached, ec)) {
    verify(entry, cached);
    return {entry, cached, "cache"};
  }
  if (!allow_download_ || entry.sources.empty()) {
    throw Error("model '" + entry.name + "' (" + entry.file + ") not found" +
                (mirror_dir_ ? " in " + mirror_dir_->string() : std::string(" (VEIL_MODEL_DIR is not set)")) +
                " or in " + cache_dir_.string());
  }
  std::string failures;
  for (const auto& url : entry.sources) {
    try {
      fs::create_directories(cached.parent_path());
      AtomicOutput out(cached);
      spdlog::info("downloading model {} from {}", entry.name, url);
      download_file(url, out.temp_path());
      verify(entry, out.temp_path());
      out.commit();
      return {entry, cached, "downloaded from " + url};
    } catch (const std::exception& ex) {
      failures += std::string("\n  ") + url + ": " + ex.what();
    }
  }
  throw Error("could not fetch model '" + entry.name + "':" + failures);
}

void download_file(const std::string& url, const fs::path& dest) {
  FILE* f = std::fopen(dest.c_str(), "wb");
  if (!f) throw Error("cannot write " + dest.string());
  CURL* curl = curl_easy_init();
  if (!curl) {
    std::fclose(f);
    throw Error("libcurl failed to initialise");
  }
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 20L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_to_file);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, f);
  CURLcode rc = curl_easy_perform(curl);
  curl_easy_cleanup(curl);
  bool closed = std::fclose(f) == 0;
  if (rc != CURLE_OK) throw Error(errbuf[0] ? errbuf : curl_easy_strerror(rc));
  if (!closed) throw Error("cannot finish writing " + dest.string());
}

}  // namespace veil
