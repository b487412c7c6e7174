#include "watch/watch_ledger.hpp"

#include "io/media_listing.hpp"
#include "io/whole_files.hpp"
#include "models/sha256.hpp"
#include "queue/nats_client.hpp"
#include "veil/core/error.hpp"

#include <filesystem>

namespace veil {
namespace fs = std::filesystem;

namespace {

// The record's name: a hash of the source's location, which may hold any
// character while a key-value key or a file name may not.
std::string record_key(const std::string& source) { return sha256_hex(source).substr(0, 32); }

class FolderLedger : public WatchLedger {
 public:
  FolderLedger(std::string location, StorageOptions storage) : location_(std::move(location)), storage_(storage) {
    if (location_.empty() || location_.back() != '/') location_ += '/';
  }

  std::optional<WatchRecord> find(const std::string& source) override {
    load_names();
    const std::string key = record_key(source);
    if (auto it = cache_.find(key); it != cache_.end()) return it->second;
    if (!names_.count(key)) return std::nullopt;
    std::optional<WatchRecord> record;
    if (const std::optional<std::string> text = read_whole_file(path_of(key), storage_)) {
      const nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
      record = WatchRecord::from_json(j);
      // A record of another source with the same hash prefix, or a damaged
      // one: as if there were none (the file is done again, then rewritten).
      if (record && record->source != source) record.reset();
    }
    cache_[key] = record;
    return record;
  }

  void put(const WatchRecord& record) override {
    const std::string key = record_key(record.source);
    if (!is_object_url(location_)) {
      std::error_code ec;
      fs::create_directories(location_, ec);
      if (ec) throw Error("cannot create " + location_ + " for watch's records: " + ec.message());
    }
    write_whole_file(path_of(key), record.to_json().dump(2) + "\n", storage_);
    names_.insert(key);
    cache_[key] = record;
  }

  std::string where() const override { return location_; }

 private:
  std::string path_of(const std::string& key) const { return join_location(location_, key + ".json"); }

  void load_names() {
    if (loaded_) return;
    if (is_object_url(location_)) {
      ObjectLocation loc = open_object_location(location_, storage_);
      for (const ObjectInfo& o : loc.store->list(loc.key)) names_.insert(fs::path(o.key).stem().string());
    } else {
      std::error_code ec;
      for (const auto& e : fs::directory_iterator(location_, ec)) {
        if (e.path().extension() == ".json") names_.insert(e.path().stem().string());
      }
    }
    loaded_ = true;
  }

  std::string location_;
  StorageOptions storage_;
  bool loaded_ = false;
  std::set<std::string> names_;
  std::map<std::string, std::optional<WatchRecord>> cache_;
};

class QueueLedger : public WatchLedger {
 public:
  explicit QueueLedger(const QueueOptions& queue) : client_(queue), bucket_(queue.name + "_WATCH") {
    natsStatus s = js_KeyValue(&kv_, client_.js(), bucket_.c_str());
    if (s == NATS_NOT_FOUND) {
      kvConfig config;
      kvConfig_Init(&config);
      config.Bucket = bucket_.c_str();
      config.History = 1;
      config.StorageType = js_FileStorage;
      config.Replicas = queue.replicas;
      s = js_CreateKeyValue(&kv_, client_.js(), &config);
    }
    queue::check(s, "cannot open the key-value bucket " + bucket_ + " on " + queue.url);
  }
  ~QueueLedger() override {
    if (kv_) kvStore_Destroy(kv_);
  }

  std::optional<WatchRecord> find(const std::string& source) override {
    kvEntry* entry = nullptr;
    natsStatus s = kvStore_Get(&entry, kv_, record_key(source).c_str());
    if (s == NATS_NOT_FOUND) return std::nullopt;
    queue::check(s, "cannot read watch's record of " + source + " in " + bucket_);
    const std::string text(static_cast<const char*>(kvEntry_Value(entry)), std::size_t(kvEntry_ValueLen(entry)));
    kvEntry_Destroy(entry);
    std::optional<WatchRecord> record = WatchRecord::from_json(nlohmann::json::parse(text, nullptr, false));
    if (record && record->source != source) record.reset();
    return record;
  }

  void put(const WatchRecord& record) override {
    const std::string text = record.to_json().dump();
    queue::check(kvStore_Put(nullptr, kv_, record_key(record.source).c_str(), text.data(), int(text.size())),
                 "cannot write watch's record of " + record.source + " to " + bucket_);
  }

  std::string where() const override { return "the key-value bucket " + bucket_ + " on " + client_.options().url; }

 private:
  queue::NatsClient client_;
  std::string bucket_;
  kvStore* kv_ = nullptr;
};

}  // namespace

nlohmann::json WatchRecord::to_json() const {
  nlohmann::json j = {{"source", source}, {"version", version}, {"output", output}, {"state", state}, {"time", time}};
  if (!sha256.empty()) j["sha256"] = sha256;
  if (!job_id.empty()) j["job"] = job_id;
  if (source_deleted) j["source_deleted"] = true;
  return j;
}

std::optional<WatchRecord> WatchRecord::from_json(const nlohmann::json& j) {
  if (!j.is_object()) return std::nullopt;
  WatchRecord r;
  try {
    r.source = j.at("source").get<std::string>();
    r.version = j.at("version").get<std::string>();
    r.output = j.value("output", "");
    r.state = j.value("state", "done");
    r.time = j.value("time", "");
    r.sha256 = j.value("sha256", "");
    r.job_id = j.value("job", "");
    r.source_deleted = j.value("source_deleted", false);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return r;
}

std::unique_ptr<WatchLedger> open_folder_ledger(const std::string& location, const StorageOptions& storage) {
  return std::make_unique<FolderLedger>(location, storage);
}

std::unique_ptr<WatchLedger> open_queue_ledger(const QueueOptions& queue) {
  return std::make_unique<QueueLedger>(queue);
}

}  // namespace veil
