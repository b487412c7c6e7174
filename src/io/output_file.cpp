#include "io/output_file.hpp"

#include "io/atomic_output.hpp"
#include "io/temp_files.hpp"
#include "veil/core/error.hpp"
#include "veil/io/media_io.hpp"

namespace veil {
namespace fs = std::filesystem;

namespace {

// An object destination: the bytes are written to a local temporary file
// (most containers seek back while muxing, so they cannot be streamed as
// written), then uploaded by ObjectStore::upload, which is atomic.
class UploadOutput : public OutputFile {
 public:
  UploadOutput(std::string url, const StorageOptions& storage) : url_(std::move(url)) {
    location_ = open_object_location(url_, storage);
    if (location_.key.empty() || location_.key.back() == '/') {
      throw Error(url_ + ": names a prefix (a folder), expected an object key for a single output");
    }
    const std::string suffix = fs::path(location_.key).extension().string();
    const fs::path dir = fs::temp_directory_path();
    remove_stale_temp_files(dir, "veil-upload-", suffix);
    temp_ = dir / temp_file_name("veil-upload-", suffix);
  }
  ~UploadOutput() override {
    std::error_code ec;
    fs::remove(temp_, ec);
  }
  const fs::path& temp_path() const override { return temp_; }
  const std::string& destination() const override { return url_; }
  void commit() override { location_.store->upload(temp_, location_.key); }

 private:
  std::string url_;
  ObjectLocation location_;
  fs::path temp_;
};

class LiveOutput : public OutputFile {
 public:
  explicit LiveOutput(std::string destination) : destination_(std::move(destination)), path_(destination_) {}
  const fs::path& temp_path() const override { return path_; }
  const std::string& destination() const override { return destination_; }
  void commit() override {}

 private:
  std::string destination_;
  fs::path path_;
};

}  // namespace

std::unique_ptr<OutputFile> open_live_output(const std::string& destination) {
  if (is_object_url(destination)) throw Error(destination + ": a live output cannot be an object URL");
  if (!is_stream_url(destination)) {
    const fs::path parent = fs::absolute(destination).parent_path();
    std::error_code ec;
    if (!fs::is_directory(parent, ec)) throw Error(destination + ": folder " + parent.string() + " does not exist");
  }
  return std::make_unique<LiveOutput>(destination);
}

std::unique_ptr<OutputFile> open_output_file(const std::string& destination, const StorageOptions& storage) {
  if (is_object_url(destination)) return std::make_unique<UploadOutput>(destination, storage);
  return std::make_unique<AtomicOutput>(destination);
}

}  // namespace veil
