#pragma once
// Scale-out on NATS JetStream: `veil submit` puts one job per input file on a
// work-queue stream, any number of `veil worker` processes (on any machines)
// take jobs from one durable consumer, and `veil status` reads the counts and
// the results stream. Storage is whatever the locations name: S3 or a
// shared file system. See docs/scale.md.
//
// Streams (created when missing, file storage):
//   <name>_JOBS     subject <prefix>.jobs, work-queue retention: a job stays
//                   until a worker acknowledges it
//   <name>_RESULTS  subjects <prefix>.done.<id> and <prefix>.failed.<id>,
//                   the last record of each job kept
#include "veil/storage/object_store.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace veil {

struct QueueOptions {
  std::string url = "nats://127.0.0.1:4222";  // one server or a comma-separated list
  std::string name = "VEIL";                  // stream names start with it
  std::string subject_prefix = "veil";
  // A job not acknowledged or reported in progress for this long goes to
  // another worker. Workers report progress every third of it.
  std::chrono::milliseconds ack_wait{60000};
  // Deliveries before a failing job goes to the dead-letter subject.
  int max_deliver = 3;
  // When the streams are created: copies kept by a NATS cluster (3 for a
  // production cluster; 1 for a single server), and how long a result
  // record (which also stops a job from being submitted again) is kept.
  int replicas = 1;
  std::chrono::hours results_kept{24 * 30};
};

// One file to anonymize: where from, where to, and the anonymize options
// (the same flags as `veil anonymize`, parsed by the worker).
struct Job {
  std::string id;  // from input, its size and version, output and options
  std::string input;
  std::string output;
  std::string detections;  // sidecar location, or empty
  std::vector<std::string> args;

  nlohmann::json to_json() const;
  // Throws veil::Error for a malformed job.
  static Job from_json(const nlohmann::json& j);
};

// The job that anonymizes `input` (whose content `version` identifies:
// size and ETag or modification time) into `output`; with `sidecars`, its
// detections go to "<output>.jsonl". Its id is a hash of all of these, so
// the same file, unchanged, with the same options, is the same job.
Job make_job(const std::string& input, const std::string& version, const std::string& output,
             const std::vector<std::string>& args, bool sidecars);

// The jobs for `input` (a file, a folder, an s3:// object or prefix) into
// `output` (a file or a folder/prefix, as for `veil anonymize`); with
// `sidecars`, each job writes its detections beside its output
// ("<output>.jsonl"). Throws veil::Error when `input` does not exist.
std::vector<Job> plan_jobs(const std::string& input, const std::string& output, const std::vector<std::string>& args,
                           bool sidecars, const StorageOptions& storage);

struct QueueStatus {
  std::int64_t queued = 0;   // waiting for a worker
  std::int64_t running = 0;  // delivered, not yet acknowledged
  std::int64_t done = 0;     // distinct jobs finished
  std::int64_t failed = 0;   // distinct jobs in the dead-letter subject and never finished
  std::int64_t workers = 0;  // pull requests waiting: idle workers
  // Over the finished jobs: objects hidden by class, and boxes.
  std::map<std::string, std::int64_t> objects;
  std::int64_t boxes = 0;
  std::vector<nlohmann::json> failures;  // their records: input, error, ...
  nlohmann::json to_json() const;
};

// A connection to the queue. One thread at a time may use it.
class WorkQueue {
 public:
  virtual ~WorkQueue() = default;
  // Publishes `job` unless it already finished (a done record with its id)
  // or was published in the last hour (JetStream's duplicate window).
  // Returns whether it was queued. Throws veil::Error.
  virtual bool submit(const Job& job) = 0;
  virtual QueueStatus status() = 0;
  // The record of job `id` once a worker finished it (the worker's JSON:
  // input, output, frames, ...), else nothing. Throws veil::Error.
  virtual std::optional<nlohmann::json> done_record(const std::string& id) = 0;
  // The record of job `id` once the workers gave up on it (input, error,
  // ...), else nothing. Throws veil::Error.
  virtual std::optional<nlohmann::json> failed_record(const std::string& id) = 0;
};

// Connects and creates the streams when missing. Throws veil::Error naming
// the server when it cannot be reached.
std::unique_ptr<WorkQueue> connect_work_queue(const QueueOptions& options);

// What a job did, for its result record.
struct JobReport {
  std::int64_t frames = 0;
  std::map<std::string, std::int64_t> objects;  // by class: tracks, one per face or plate
  std::int64_t boxes = 0;                        // boxes hidden, over all frames
  bool truncated = false;  // the input ended early: the output holds what could be read
  double seconds = 0;                            // processing (wall) time
  double footage_seconds = 0;                    // video played through
};

class Metrics;
class Health;

struct WorkerOptions {
  QueueOptions queue;
  // Where the worker counts its jobs and says whether NATS is reachable
  // (condition "nats"); either may be null. Must outlive run_worker().
  Metrics* metrics = nullptr;
  Health* health = nullptr;
  // Exit once no job has arrived for this long (batch runs); none: run until
  // SIGTERM or SIGINT (veil::request_stop()).
  std::optional<std::chrono::milliseconds> exit_when_idle;
};

// Runs one job; throws veil::Error when it fails. After veil::request_stop()
// it must return or throw within a bounded time (between frames).
using JobRunner = std::function<JobReport(const Job& job)>;

// Takes jobs until stopped: runs each with `run`, reporting progress to the
// server meanwhile, and acknowledges it only after `run` returned (its
// outputs are committed). A job that fails is given back for another try,
// and after QueueOptions::max_deliver tries recorded on the dead-letter
// subject with its error. On veil::request_stop() the current job is given
// back (or finishes) and the worker returns. Reconnects to the server by
// itself. Returns the number of jobs done. Throws veil::Error when the
// server cannot be reached at start.
std::int64_t run_worker(const WorkerOptions& options, const JobRunner& run);

}  // namespace veil
