#pragma once
// Watch's durable record of what it has done, one record per source file,
// so that a restarted watch does nothing twice.
//
// Where it lives, and why:
//  - Working alone, beside the outputs (FolderLedger: "<destination>/
//    .veil-watch/"): the record is written only after the output is
//    complete, so a record always means an output exists; it goes wherever
//    the outputs go (a local disk, a bucket) with nothing else to run or back
//    up; and whoever may write the outputs may write it.
//  - Submitting to a fleet, in a JetStream key-value bucket (KvLedger,
//    "<QUEUE>_WATCH"): the jobs already live on that server, several
//    watchers may share one source, and a job submitted but not yet done is
//    a state only the queue's side can hold.
#include "veil/queue/work_queue.hpp"
#include "veil/storage/object_store.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

namespace veil {

struct WatchRecord {
  std::string source;
  std::string version;  // the source's size and ETag or modification time
  std::string sha256;   // a local source's content, so that the same bytes rewritten are not done again
  std::string output;
  std::string job_id;
  std::string state;  // "done", or "submitted" (to a queue, not yet done)
  bool source_deleted = false;
  std::string time;   // when, UTC ISO 8601

  nlohmann::json to_json() const;
  // Nothing for a malformed record.
  static std::optional<WatchRecord> from_json(const nlohmann::json& j);
};

// One thread at a time may use a ledger.
class WatchLedger {
 public:
  virtual ~WatchLedger() = default;
  // The record of `source`, if any. Throws veil::Error when the store fails.
  virtual std::optional<WatchRecord> find(const std::string& source) = 0;
  // Stores `record`, replacing the one of its source. Throws veil::Error.
  virtual void put(const WatchRecord& record) = 0;
  // Where, for messages.
  virtual std::string where() const = 0;
};

// Records as small JSON files (or objects) named by a hash of the source,
// under `location` (a folder or an s3:// prefix). The names there are listed
// once, when the first record is looked up, and each record is read once.
std::unique_ptr<WatchLedger> open_folder_ledger(const std::string& location, const StorageOptions& storage);

// Records in the JetStream key-value bucket "<queue name>_WATCH", created
// when missing. Throws veil::Error when the server cannot be reached.
std::unique_ptr<WatchLedger> open_queue_ledger(const QueueOptions& queue);

}  // namespace veil
