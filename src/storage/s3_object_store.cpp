// ObjectStore over the S3 REST API: ranged reads with read-ahead, ListObjectsV2,
// and uploads that are atomic (a single PUT, or a multipart upload that is
// aborted on any failure).
#include "storage/s3_client.hpp"
#include "storage/s3_xml.hpp"
#include "veil/core/error.hpp"
#include "veil/core/stop.hpp"
#include "veil/storage/object_store.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <deque>
#include <fstream>
#include <future>
#include <list>
#include <map>
#include <sstream>

namespace veil {
namespace fs = std::filesystem;

namespace {

// Parts of 8 MiB, as the AWS CLI sends them; S3 allows 10,000 parts, so
// objects above 80 GB get larger parts. Files under one part go up in a
// single PUT, which is atomic by itself.
constexpr std::int64_t kPartSize = 8 << 20;
constexpr std::int64_t kMaxParts = 10000;
constexpr int kPartsInFlight = 4;
// Reads fetch 4 MiB ranges and keep at most 4 of them (16 MiB): the one being
// read, the one after it (fetched ahead), and two recent ones, since
// demuxers jump back after reading an index at the end of a file.
constexpr std::int64_t kChunkSize = 4 << 20;
constexpr size_t kChunksKept = 4;

std::string content_type_for(const std::string& key) {
  static const std::map<std::string, std::string> types = {
      {".mp4", "video/mp4"},        {".m4v", "video/mp4"},       {".mov", "video/quicktime"},
      {".mkv", "video/x-matroska"}, {".webm", "video/webm"},     {".avi", "video/x-msvideo"},
      {".gif", "image/gif"},        {".ts", "video/mp2t"},       {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},      {".png", "image/png"},       {".webp", "image/webp"},
      {".bmp", "image/bmp"},        {".tif", "image/tiff"},      {".tiff", "image/tiff"},
      {".jsonl", "application/x-ndjson"}, {".json", "application/json"}};
  std::string ext = fs::path(key).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  auto it = types.find(ext);
  return it == types.end() ? "application/octet-stream" : it->second;
}


class S3ObjectReader : public ObjectReader {
 public:
  S3ObjectReader(std::shared_ptr<s3::Client> client, std::string bucket, std::string key, std::int64_t size)
      : client_(std::move(client)), bucket_(std::move(bucket)), key_(std::move(key)), size_(size),
        url_(s3::object_url(bucket_, key_)) {}

  ~S3ObjectReader() override {
    for (auto& [index, chunk] : chunks_) {
      if (chunk.valid()) chunk.wait();
    }
  }

  std::int64_t size() const override { return size_; }
  const std::string& url() const override { return url_; }

  std::size_t read_at(std::int64_t offset, void* buffer, std::size_t n) override {
    if (offset < 0 || offset >= size_ || n == 0) return 0;
    const std::int64_t index = offset / kChunkSize;
    const std::string& data = chunk(index);
    if (index + 1 < chunk_count()) start_fetch(index + 1);  // read-ahead
    const std::int64_t within = offset - index * kChunkSize;
    const std::size_t count = std::min<std::size_t>(n, data.size() - std::size_t(within));
    std::copy_n(data.data() + within, count, static_cast<char*>(buffer));
    return count;
  }

 private:
  std::int64_t chunk_count() const { return (size_ + kChunkSize - 1) / kChunkSize; }

  void start_fetch(std::int64_t index) {
    if (chunks_.count(index)) return;
    const std::int64_t first = index * kChunkSize;
    const std::int64_t last = std::min(size_, first + kChunkSize) - 1;
    auto client = client_;
    s3::Request r;
    r.bucket = bucket_;
    r.key = key_;
    r.headers.push_back("Range: bytes=" + std::to_string(first) + "-" + std::to_string(last));
    const std::int64_t expected = last - first + 1;
    std::string url = url_;
    chunks_[index] = std::async(std::launch::async, [client, r, expected, url] {
      std::string body = client->send(r).body;
      if (std::int64_t(body.size()) != expected) {
        throw Error(url + ": the store returned " + std::to_string(body.size()) + " bytes for a range of " +
                    std::to_string(expected) + " (was the object replaced while it was read?)");
      }
      return body;
    }).share();
    order_.push_back(index);
    evict();
  }

  const std::string& chunk(std::int64_t index) {
    start_fetch(index);
    // Most recently used last.
    order_.erase(std::find(order_.begin(), order_.end(), index));
    order_.push_back(index);
    return chunks_.at(index).get();
  }

  void evict() {
    while (chunks_.size() > kChunksKept) {
      const std::int64_t oldest = order_.front();
      order_.pop_front();
      chunks_.at(oldest).wait();
      chunks_.erase(oldest);
    }
  }

  std::shared_ptr<s3::Client> client_;
  std::string bucket_, key_;
  std::int64_t size_;
  std::string url_;
  std::map<std::int64_t, std::shared_future<std::string>> chunks_;
  std::deque<std::int64_t> order_;
};

// Aborts a multipart upload unless it completed, so that a failed or
// interrupted upload leaves no parts on the server (they cost storage and
// never expire on their own).
class MultipartUpload {
 public:
  MultipartUpload(s3::Client& client, std::string bucket, std::string key, std::string id)
      : client_(client), bucket_(std::move(bucket)), key_(std::move(key)), id_(std::move(id)) {}
  ~MultipartUpload() {
    if (completed_) return;
    s3::Request r;
    r.method = "DELETE";
    r.bucket = bucket_;
    r.key = key_;
    r.query = {{"uploadId", id_}};
    r.ignore_stop = true;
    try {
      client_.send(r, /*allow_not_found=*/true);
      spdlog::debug("{}: upload aborted", s3::object_url(bucket_, key_));
    } catch (const std::exception& ex) {
      spdlog::warn("{}: could not abort the unfinished upload {} ({}); its parts remain until a lifecycle rule "
                   "removes them",
                   s3::object_url(bucket_, key_), id_, ex.what());
    }
  }
  const std::string& id() const { return id_; }
  void mark_completed() { completed_ = true; }

 private:
  s3::Client& client_;
  std::string bucket_, key_, id_;
  bool completed_ = false;
};

class S3ObjectStore : public ObjectStore {
 public:
  S3ObjectStore(std::shared_ptr<s3::Client> client, std::string bucket)
      : client_(std::move(client)), bucket_(std::move(bucket)) {}

  std::string url(const std::string& key) const override { return s3::object_url(bucket_, key); }

  std::vector<ObjectInfo> list(const std::string& prefix) override {
    std::vector<ObjectInfo> out;
    std::string token;
    do {
      s3::Request r;
      r.bucket = bucket_;
      r.query = {{"list-type", "2"}, {"prefix", prefix}};
      if (!token.empty()) r.query.emplace_back("continuation-token", token);
      s3::Response response = client_->send(r);
      s3::ListPage page;
      try {
        page = s3::parse_list_page(response.body);
      } catch (const Error& ex) {
        throw Error(url(prefix) + ": " + ex.what());
      }
      out.insert(out.end(), page.objects.begin(), page.objects.end());
      token = page.next_token;
    } while (!token.empty());
    std::sort(out.begin(), out.end(), [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
    return out;
  }

  std::optional<ObjectInfo> stat(const std::string& key) override {
    if (key.empty() || key.back() == '/') return std::nullopt;
    s3::Request r;
    r.method = "HEAD";
    r.bucket = bucket_;
    r.key = key;
    s3::Response response = client_->send(r, /*allow_not_found=*/true);
    if (response.status == 404) {
      // NoSuchBucket is an error, not a missing object.
      if (response.body.find("<Code>NoSuchBucket</Code>") != std::string::npos) {
        throw Error(url(key) + ": no such bucket");
      }
      return std::nullopt;
    }
    auto it = response.headers.find("content-length");
    if (it == response.headers.end()) throw Error(url(key) + ": the store did not say the object's size");
    auto etag = response.headers.find("etag");
    std::int64_t size = -1;
    const std::string& text = it->second;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), size);
    if (ec != std::errc() || end != text.data() + text.size() || size < 0) {
      throw Error(url(key) + ": the store sent a size that is not a number: '" + text + "'");
    }
    return ObjectInfo{key, size, etag == response.headers.end() ? "" : etag->second};
  }

  std::unique_ptr<ObjectReader> open(const std::string& key) override {
    std::optional<ObjectInfo> info = stat(key);
    if (!info) throw Error(url(key) + ": no such object");
    return std::make_unique<S3ObjectReader>(client_, bucket_, key, info->size);
  }

  void remove(const std::string& key) override {
    s3::Request r;
    r.method = "DELETE";
    r.bucket = bucket_;
    r.key = key;
    client_->send(r, /*allow_not_found=*/true);
  }

  void upload(const fs::path& file, const std::string& key) override {
    std::error_code ec;
    const std::int64_t size = std::int64_t(fs::file_size(file, ec));
    if (ec) throw Error("cannot read " + file.string() + ": " + ec.message());
    std::ifstream in(file, std::ios::binary);
    if (!in) throw Error("cannot read " + file.string());
    const std::string content_type = "Content-Type: " + content_type_for(key);
    if (size < kPartSize) {
      std::string body(std::size_t(size), '\0');
      in.read(body.data(), size);
      if (!in) throw Error("read error on " + file.string());
      s3::Request r;
      r.method = "PUT";
      r.bucket = bucket_;
      r.key = key;
      r.body = body;
      r.headers = {content_type};
      client_->send(r);
      return;
    }
    upload_parts(in, size, key, content_type);
  }

 private:
  void upload_parts(std::ifstream& in, std::int64_t size, const std::string& key, const std::string& content_type) {
    s3::Request create;
    create.method = "POST";
    create.bucket = bucket_;
    create.key = key;
    create.query = {{"uploads", ""}};
    create.headers = {content_type};
    s3::Response created = client_->send(create);
    const std::string id = s3::parse_upload_id(created.body);
    if (id.empty()) throw Error(url(key) + ": the store did not start the upload (no UploadId)");
    MultipartUpload upload(*client_, bucket_, key, id);

    const std::int64_t part_size = std::max(kPartSize, (size + kMaxParts - 1) / kMaxParts);
    std::vector<std::string> etags;
    std::deque<std::future<std::string>> in_flight;
    auto collect_one = [&] {
      std::future<std::string> oldest = std::move(in_flight.front());
      in_flight.pop_front();
      etags.push_back(oldest.get());
    };
    try {
      for (std::int64_t offset = 0, number = 1; offset < size; offset += part_size, ++number) {
        throw_if_stop_requested();
        auto body = std::make_shared<std::string>(std::size_t(std::min(part_size, size - offset)), '\0');
        in.read(body->data(), std::streamsize(body->size()));
        if (!in) throw Error("read error on the temporary file for " + url(key));
        if (in_flight.size() >= std::size_t(kPartsInFlight)) collect_one();
        auto client = client_;
        s3::Request part;
        part.method = "PUT";
        part.bucket = bucket_;
        part.key = key;
        part.query = {{"partNumber", std::to_string(number)}, {"uploadId", id}};
        in_flight.push_back(std::async(std::launch::async, [client, part, body, this, key]() mutable {
          part.body = *body;
          s3::Response r = client->send(part);
          auto it = r.headers.find("etag");
          if (it == r.headers.end()) throw Error(url(key) + ": the store returned no ETag for a part");
          return it->second;
        }));
      }
      while (!in_flight.empty()) collect_one();
    } catch (...) {
      for (auto& f : in_flight) f.wait();  // then ~MultipartUpload aborts
      throw;
    }

    const std::string body = s3::complete_upload_body(etags);
    throw_if_stop_requested();
    s3::Request complete;
    complete.method = "POST";
    complete.bucket = bucket_;
    complete.key = key;
    complete.query = {{"uploadId", id}};
    complete.body = body;
    complete.headers = {"Content-Type: application/xml"};
    client_->send(complete);
    upload.mark_completed();
  }

  std::shared_ptr<s3::Client> client_;
  std::string bucket_;
};

}  // namespace

bool is_object_url(std::string_view location) { return location.rfind("s3://", 0) == 0; }

ObjectLocation open_object_location(const std::string& url, const StorageOptions& options) {
  if (!is_object_url(url)) throw Error(url + ": not an object URL (expected s3://bucket/key)");
  const std::string rest = url.substr(5);
  const auto slash = rest.find('/');
  const std::string bucket = rest.substr(0, slash);
  if (bucket.empty()) throw Error(url + ": no bucket name (expected s3://bucket/key)");
  const bool valid = std::all_of(bucket.begin(), bucket.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '.' || c == '_';
  });
  if (!valid || bucket.size() > 255) throw Error(url + ": '" + bucket + "' is not a valid bucket name");
  ObjectLocation loc;
  loc.key = slash == std::string::npos ? "" : rest.substr(slash + 1);
  loc.store = std::make_shared<S3ObjectStore>(std::make_shared<s3::Client>(s3::resolve_config(options)), bucket);
  return loc;
}

}  // namespace veil
