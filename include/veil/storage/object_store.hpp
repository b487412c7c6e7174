#pragma once
// Object storage (S3 and S3-compatible stores) as a place Veil reads inputs
// from and writes outputs to, beside local files. Locations are URLs such as
// "s3://bucket/some/key.mp4"; every other string is a local path.
//
// Configuration is read as the AWS CLI and SDKs read it (docs/storage.md):
// credentials, region, endpoint and addressing style from the environment
// and ~/.aws/{credentials,config}. Credentials never appear in messages.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace veil {

struct StorageOptions {
  // Always address buckets as https://endpoint/bucket/key. Without it, path
  // style is chosen for IP-address and localhost endpoints, for bucket names
  // with dots, and by AWS_S3_ADDRESSING_STYLE or the profile's
  // s3.addressing_style; virtual-hosted style (bucket.endpoint) otherwise.
  bool force_path_style = false;
};

// True when `location` names an object ("s3://..."), not a local path.
bool is_object_url(std::string_view location);

struct ObjectInfo {
  std::string key;
  std::int64_t size = 0;
  std::string etag;  // the store's version tag, when it gives one
};

// Random-access reads of one object, with a bounded read-ahead. One thread at
// a time may call it.
class ObjectReader {
 public:
  virtual ~ObjectReader() = default;
  virtual std::int64_t size() const = 0;
  // Copies up to `n` bytes from `offset` into `buffer`; returns how many
  // (0 at or past the end). Throws veil::Error when the store fails for good.
  virtual std::size_t read_at(std::int64_t offset, void* buffer, std::size_t n) = 0;
  // "s3://bucket/key", for messages.
  virtual const std::string& url() const = 0;
};

// One bucket of one store. Its methods may be called from several threads.
class ObjectStore {
 public:
  virtual ~ObjectStore() = default;
  // "s3://bucket/" + key.
  virtual std::string url(const std::string& key) const = 0;
  // Every object whose key starts with `prefix`, sorted by key.
  virtual std::vector<ObjectInfo> list(const std::string& prefix) = 0;
  // The object's size, or nothing when there is no object at `key`.
  virtual std::optional<ObjectInfo> stat(const std::string& key) = 0;
  // Throws veil::Error naming the object when it is missing or unreadable.
  virtual std::unique_ptr<ObjectReader> open(const std::string& key) = 0;
  // Stores the local `file` at `key` atomically: readers see the whole new
  // object or none. A failure (or veil::request_stop()) aborts the upload
  // and leaves no parts behind. Throws veil::Error.
  virtual void upload(const std::filesystem::path& file, const std::string& key) = 0;
  // Deletes the object at `key` (nothing happens when there is none).
  // Throws veil::Error.
  virtual void remove(const std::string& key) = 0;
};

struct ObjectLocation {
  std::shared_ptr<ObjectStore> store;
  std::string key;  // may be empty or end in '/' (a prefix)
};

// Parses an object URL and opens its bucket. Throws veil::Error for a
// malformed URL or when no credentials can be found.
ObjectLocation open_object_location(const std::string& url, const StorageOptions& options = {});

}  // namespace veil
