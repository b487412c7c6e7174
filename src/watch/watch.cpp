// `veil watch`: list, decide what is new, anonymize (or submit), record.
#include "veil/watch/watch.hpp"

#include "io/media_listing.hpp"
#include "io/whole_files.hpp"
#include "models/sha256.hpp"
#include "pipeline/labelling_manifest.hpp"
#include "veil/core/error.hpp"
#include "veil/core/logging.hpp"
#include "veil/core/stop.hpp"
#include "veil/io/media_io.hpp"
#include "watch/watch_ledger.hpp"

#include <fmt/chrono.h>
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <thread>

namespace veil {
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string utc_now() {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now())));
}

// Sleeps for `d`, or less when a stop is requested.
void sleep_unless_stopped(milliseconds d) {
  const auto until = Clock::now() + d;
  while (!stop_requested() && Clock::now() < until) {
    std::this_thread::sleep_for(std::min<Clock::duration>(milliseconds(100), until - Clock::now()));
  }
}

// Reads `output` back whole: the check before its source is deleted. A
// truncated upload, a file cut short or a format the reader refuses fails
// here, and the source is kept. `frames`: how many were written; unknown
// (a job another process did, a record from before), at least one.
void verify_output(const std::string& output, std::optional<std::int64_t> frames, const StorageOptions& storage) {
  std::unique_ptr<FrameSource> source = open_source(output, storage);
  Frame frame;
  std::int64_t read = 0;
  while (source->read(frame)) {
    throw_if_stop_requested();
    ++read;
  }
  if (!frames && read == 0) throw Error(output + ": no frame read back; the source is kept");
  if (frames && read != *frames) {
    throw Error(output + ": " + std::to_string(read) + " frames read back, " + std::to_string(*frames) +
                " written; the source is kept");
  }
}

std::string seconds_text(milliseconds d) { return fmt::format("{:.0f} s", d.count() / 1000.0); }

class Watcher {
 public:
  Watcher(const WatchOptions& options, const JobRunner& run) : o_(options), run_(run) {
    source_ = o_.source;
    if (is_object_url(source_)) {
      if (source_.back() != '/') source_ += '/';
    } else {
      std::error_code ec;
      if (!fs::is_directory(source_, ec)) throw Error(source_ + ": not a folder (watch needs a folder or an s3:// prefix)");
      // Records are keyed by the source's location: one spelling of it.
      source_ = fs::weakly_canonical(source_, ec).string();
    }
    if (!is_object_url(o_.destination)) {
      std::error_code ec;
      fs::create_directories(o_.destination, ec);
      if (ec) throw Error("cannot create " + o_.destination + ": " + ec.message());
    }
    if (o_.queue) {
      queue_ = connect_work_queue(*o_.queue);
      ledger_ = open_queue_ledger(*o_.queue);
      set_health("nats", true, without_credentials(o_.queue->url));
    } else {
      ledger_ = open_folder_ledger(o_.state.value_or(join_location(o_.destination, ".veil-watch/")), o_.storage);
    }
    if (o_.manifest) manifest_.emplace(*o_.manifest, o_.storage);
    spdlog::info("watching {} -> {} (records in {}{})", source_, o_.destination, without_credentials(ledger_->where()),
                 o_.queue ? ", jobs to " + without_credentials(o_.queue->url) : "");
  }

  WatchStats run() {
    while (!stop_requested()) {
      bool waiting = true;
      try {
        waiting = pass();
        if (manifest_) manifest_->write();
      } catch (const std::exception& e) {
        // The store or the queue failing for a while: said, and tried again.
        if (o_.once || stop_requested()) throw;
        spdlog::error("{}; trying again in {}", e.what(), seconds_text(o_.interval));
        if (o_.queue) set_health("nats", false, e.what());
      }
      if (o_.once && !waiting) break;
      sleep_unless_stopped(o_.once ? milliseconds(500) : o_.interval);
    }
    return stats_;
  }

 private:
  struct Retry {
    int tries = 0;
    Clock::time_point next;
  };
  struct Sighting {
    std::string version;
    Clock::time_point since;
  };

  void set_health(const std::string& name, bool ok, std::string detail) {
    if (o_.health) o_.health->set(name, ok, std::move(detail));
  }

  // A local file is settled when its modification time is `settle` old, or
  // when listings have seen it unchanged for that long (a clock ahead of
  // ours). Objects appear whole.
  bool settled(const MediaEntry& e) {
    if (!e.modified) return true;
    if (fs::file_time_type::clock::now() - *e.modified >= o_.settle) return true;
    Sighting& seen = sightings_[e.location];
    if (seen.version != e.version) seen = {e.version, Clock::now()};
    return Clock::now() - seen.since >= o_.settle;
  }

  // One listing, and what it finds new. Returns whether something is still
  // to come: a file being written, a retry, a submitted job to follow.
  bool pass() {
    MediaListing listing;
    try {
      listing = list_media(source_, o_.destination, o_.storage, /*allow_empty=*/true);
      set_health("source", true, source_);
      listing_error_.clear();
    } catch (const Error& e) {
      set_health("source", false, e.what());
      if (o_.once) throw;
      if (listing_error_ != e.what()) {
        spdlog::error("cannot list {}: {}; trying again every {}", source_, e.what(), seconds_text(o_.interval));
      }
      listing_error_ = e.what();
      return true;
    }
    if (o_.queue) set_health("nats", true, without_credentials(o_.queue->url));
    bool waiting = false;
    std::vector<const MediaEntry*> todo;
    for (const MediaEntry& e : listing.files) {
      if (stop_requested()) return true;
      if (!e.problem.empty()) {
        if (reported_.insert(e.location).second) spdlog::error("{}; skipped", e.problem);
        continue;
      }
      std::optional<WatchRecord> record = ledger_->find(e.location);
      if (record && record->version == e.version) {
        waiting |= follow(*record, e);
        continue;
      }
      if (!settled(e)) {
        waiting = true;  // still being written, perhaps
        continue;
      }
      if (record && record->state == "done" && same_bytes(e, *record)) {
        waiting |= follow(*record, e);
        continue;
      }
      auto retry = retries_.find(e.location);
      if (retry != retries_.end()) {
        if (o_.once && retry->second.tries >= o_.max_tries) continue;  // given up
        if (Clock::now() < retry->second.next) {
          waiting = true;
          continue;
        }
      }
      todo.push_back(&e);
    }
    std::int64_t pending = std::int64_t(todo.size());
    for (const MediaEntry* entry : todo) {
      if (o_.metrics) o_.metrics->set_jobs_pending(pending--);
      if (stop_requested()) return true;
      waiting |= handle(*entry, join_location(o_.destination, entry->relative));
    }
    if (o_.metrics) o_.metrics->set_jobs_pending(0);
    return waiting;
  }

  // A local source rewritten with the bytes already done (copied again,
  // touched): its record takes the new version, and nothing is redone.
  bool same_bytes(const MediaEntry& e, WatchRecord& record) {
    if (!e.modified || record.sha256.empty()) return false;
    std::string sha;
    try {
      sha = sha256_file(e.location);
    } catch (const std::exception&) {
      return false;
    }
    if (sha != record.sha256) return false;
    record.version = e.version;
    ledger_->put(record);
    return true;
  }

  // A source listed again that was handled already: with a queue, whether
  // its job has ended; then (or alone) a deletion still to do, and its
  // output listed for labelling. Returns whether it is still to follow.
  bool follow(WatchRecord& record, const MediaEntry& e) {
    if (!done_here_.count(record.source) && skipped_.insert(record.source).second) stats_.skipped++;
    if (record.source_deleted) {
      // Deleted once, and here again: a new copy of the same bytes.
      record.source_deleted = false;
      ledger_->put(record);
    }
    if (record.state == "failed") return false;
    if (record.state == "submitted") {
      if (!o_.delete_source && !manifest_) return false;
      if (std::optional<nlohmann::json> done = queue_->done_record(record.job_id)) {
        record.state = "done";
        ledger_->put(record);
        finish(record, e, done->value("frames", std::int64_t(-1)), done->value("truncated", false));
        return false;
      }
      if (std::optional<nlohmann::json> failed = queue_->failed_record(record.job_id)) {
        // The workers tried it --max-deliver times. A new version of the
        // file is a new job; this one is reported and left.
        const std::string error = failed->value("error", "failed");
        spdlog::error("{}: the workers gave up on it: {}", record.source, error);
        if (o_.metrics) o_.metrics->job_failed("error");
        record.state = "failed";
        ledger_->put(record);
        stats_.failed++;
        stats_.failures.push_back(record.source + ": " + error);
        return false;
      }
      return true;
    }
    finish(record, e, -1, false);
    return false;
  }

  // Once a source's output is complete and recorded: the output listed for
  // labelling and, when asked, the source deleted, but only once the output
  // reads back whole and the source is still the bytes that were done.
  // Problems with the deletion keep the source, and are said once.
  void finish(WatchRecord& record, const MediaEntry& e, std::int64_t frames, bool truncated) {
    if (manifest_) manifest_->add(record.output);
    if (!o_.delete_source || record.source_deleted) return;
    try {
      if (truncated) throw Error("the recording ended early; the source is kept");
      verify_output(record.output, frames < 0 ? std::nullopt : std::optional<std::int64_t>(frames), o_.storage);
      if (current_version(e) != record.version) throw Error("it changed while it was being done; kept for the next pass");
      remove_file(record.source, o_.storage);
      record.source_deleted = true;
      ledger_->put(record);
      stats_.deleted++;
      spdlog::info("{}: deleted (its output {} is complete)", record.source, record.output);
    } catch (const std::exception& ex) {
      if (stop_requested()) return;
      const std::string what = ex.what();
      if (reported_.insert(record.source + "\n" + what).second) spdlog::error("{}: not deleted: {}", record.source, what);
    }
  }

  // The source's version now: listed again for an object, read again for a file.
  std::string current_version(const MediaEntry& e) {
    const MediaListing now = list_media(e.location, "", o_.storage);
    return now.files.size() == 1 ? now.files[0].version : "";
  }

  // Anonymizes (or submits) one new file. Returns whether something is
  // still to come for it.
  bool handle(const MediaEntry& e, const std::string& output) {
    LogContext file("file", e.location);
    const Job job = make_job(e.location, e.version, output, o_.args, o_.sidecars);
    WatchRecord record;
    record.source = e.location;
    record.version = e.version;
    record.output = output;
    record.job_id = job.id;
    if (queue_) {
      const bool queued = queue_->submit(job);
      record.state = "submitted";
      record.time = utc_now();
      ledger_->put(record);
      done_here_.insert(e.location);
      stats_.done++;
      spdlog::info("{}: {}", e.location, queued ? "job queued" : "already queued or done");
      return o_.delete_source || manifest_;
    }
    Retry& retry = retries_[e.location];
    if (o_.metrics) o_.metrics->job_started();
    JobReport report;
    try {
      // The bytes that are done, read before: a file that changes meanwhile
      // is not recorded as done at its new version.
      if (e.modified) record.sha256 = sha256_file(e.location);
      spdlog::info("{} -> {}", e.location, output);
      report = run_(job);
    } catch (const std::exception& ex) {
      if (stop_requested()) {
        spdlog::info("{}: stopped; it is done again next time", e.location);
        return true;
      }
      if (o_.metrics) o_.metrics->job_failed("error");
      retry.tries++;
      if (o_.once && retry.tries >= o_.max_tries) {
        spdlog::error("{} (try {} of {}; giving up)", ex.what(), retry.tries, o_.max_tries);
        stats_.failed++;
        stats_.failures.push_back(ex.what());
        return false;
      }
      const milliseconds base = o_.once ? milliseconds(1000) : o_.retry_after;
      const milliseconds wait = std::min<milliseconds>(base * (1LL << std::min(retry.tries - 1, 16)), std::chrono::hours(1));
      retry.next = Clock::now() + wait;
      spdlog::error("{} (try {}; again in {})", ex.what(), retry.tries, seconds_text(wait));
      return true;
    }
    retries_.erase(e.location);
    record.state = "done";
    record.time = utc_now();
    ledger_->put(record);  // the output is complete: recorded before anything else
    done_here_.insert(e.location);
    stats_.done++;
    if (o_.metrics) o_.metrics->job_done(report);
    finish(record, e, report.frames, report.truncated);
    return false;
  }

  const WatchOptions& o_;
  const JobRunner& run_;
  std::string source_;
  std::unique_ptr<WorkQueue> queue_;
  std::unique_ptr<WatchLedger> ledger_;
  std::optional<LabellingManifest> manifest_;
  std::map<std::string, Retry> retries_;
  std::map<std::string, Sighting> sightings_;
  std::set<std::string> skipped_, reported_, done_here_;
  std::string listing_error_;
  WatchStats stats_;
};

}  // namespace

WatchStats run_watch(const WatchOptions& options, const JobRunner& run) {
  Watcher watcher(options, run);
  return watcher.run();
}

}  // namespace veil
