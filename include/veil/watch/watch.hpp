#pragma once
// `veil watch`: keeps a destination anonymized. It lists a source folder or
// s3:// prefix every interval and anonymizes each new video or image once:
// once across restarts, and again when a source is replaced by different
// bytes. Either it runs the jobs itself, or (with a queue) it submits them to
// the fleet's workers. See docs/scale.md, "Watching a folder or prefix".
//
// The durable record of what was done (WatchOptions::state) lives beside
// the outputs, or in a JetStream key-value bucket when jobs go to a queue:
// see watch_ledger.hpp for why.
#include "veil/ops/monitoring.hpp"
#include "veil/queue/work_queue.hpp"
#include "veil/storage/object_store.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace veil {

struct WatchOptions {
  std::string source;       // a local folder or an s3:// prefix
  std::string destination;  // a local folder or an s3:// prefix
  std::vector<std::string> args;  // anonymize options for every job (as `veil submit` takes them)
  bool sidecars = false;          // each job writes its detections to "<output>.jsonl"
  std::chrono::milliseconds interval{10000};  // between listings
  // A local file is left until it has not changed for this long (it may
  // still be being written). Objects appear whole, and are taken at once.
  std::chrono::milliseconds settle{5000};
  // Work through what is there (waiting for files still being written, and
  // retrying failures a few times), then return.
  bool once = false;
  // Delete a source once its output is complete and read back whole (and,
  // with a queue, once a worker has reported it done).
  bool delete_source = false;
  std::optional<std::string> manifest;  // JSON Lines for labelling (labelling_manifest.hpp)
  // Where the records live; default "<destination>/.veil-watch/". Ignored
  // with a queue (its key-value bucket holds them).
  std::optional<std::string> state;
  StorageOptions storage;
  // Submit jobs here instead of running them.
  std::optional<QueueOptions> queue;
  // Tries of a failing file when `once`; without it, a file is retried for
  // as long as watch runs, the wait doubling from `retry_after` to an hour.
  int max_tries = 3;
  std::chrono::milliseconds retry_after{30000};
  // Either may be null; they must outlive run_watch().
  Metrics* metrics = nullptr;
  Health* health = nullptr;
};

struct WatchStats {
  std::int64_t done = 0;       // anonymized (or submitted, with a queue) by this run
  std::int64_t skipped = 0;    // found already done
  std::int64_t failed = 0;     // gave up on (only with `once`)
  std::int64_t deleted = 0;    // sources deleted
  std::vector<std::string> failures;  // their messages
};

// Runs until veil::request_stop() (checked between files and while
// waiting; a file being anonymized stops between frames and is done again
// next time), or with `once` until the source is worked through. `run`
// anonymizes one job when there is no queue (throws veil::Error when it
// fails). Throws veil::Error for a source that is not a folder or prefix, a
// destination inside nothing that can be written, or, with `once`, a source
// that cannot be listed.
WatchStats run_watch(const WatchOptions& options, const JobRunner& run);

}  // namespace veil
