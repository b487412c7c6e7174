// `veil worker`: takes jobs from the work-queue stream until stopped.
#include "queue/nats_client.hpp"
#include "veil/core/error.hpp"
#include "veil/core/logging.hpp"
#include "veil/core/stop.hpp"
#include "veil/io/media_io.hpp"
#include "veil/ops/monitoring.hpp"
#include "veil/queue/work_queue.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unistd.h>

namespace veil {

namespace {

using Clock = std::chrono::steady_clock;

std::string host_name() {
  char buf[256] = {};
  ::gethostname(buf, sizeof(buf) - 1);
  return buf;
}

// Tells the server, every third of the ack wait, that the job is still being
// worked on, so that it is not handed to another worker.
class ProgressReporter {
 public:
  ProgressReporter(natsMsg* msg, std::chrono::milliseconds ack_wait)
      : msg_(msg), every_(std::max<std::chrono::milliseconds>(ack_wait / 3, std::chrono::milliseconds(100))),
        thread_([this] { loop(); }) {}
  ~ProgressReporter() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

 private:
  void loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!wake_.wait_for(lock, every_, [this] { return done_; })) {
      natsStatus s = natsMsg_InProgress(msg_, nullptr);
      if (s != NATS_OK) spdlog::warn("cannot report progress to the server ({})", natsStatus_GetText(s));
    }
  }

  natsMsg* msg_;
  std::chrono::milliseconds every_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  std::thread thread_;
};

class Worker {
 public:
  Worker(const WorkerOptions& options, const JobRunner& run)
      : options_(options), run_(run), client_(options.queue), host_(host_name()) {
    jsSubOptions so;
    jsSubOptions_Init(&so);
    const std::string stream = client_.jobs_stream();
    so.Stream = stream.c_str();
    so.ManualAck = true;
    so.Config.AckPolicy = js_AckExplicit;
    so.Config.AckWait = std::int64_t(options.queue.ack_wait.count()) * 1000 * 1000;
    // One delivery more than max_deliver: a job whose workers all died
    // (killed, out of memory) is then dead-lettered without a new try.
    so.Config.MaxDeliver = options.queue.max_deliver + 1;
    // JetStream's defaults (1,000 jobs in flight, 512 waiting pull requests)
    // would cap a fleet at about a thousand workers.
    so.Config.MaxAckPending = 100000;
    so.Config.MaxWaiting = 10000;
    jsErrCode err = jsErrCode(0);
    natsStatus s = js_PullSubscribe(&sub_, client_.js(), client_.jobs_subject().c_str(), client_.consumer().c_str(),
                                    nullptr, &so, &err);
    try {
      queue::check(s, "cannot subscribe to " + client_.jobs_subject() + " on " + options.queue.url, err);
    } catch (const Error& e) {
      const std::string what = e.what();
      if (what.find("configuration requests") == std::string::npos) throw;
      // The consumer is shared: its settings are the first worker's.
      throw Error(what + " (every worker must use the same --ack-wait and --max-deliver as the consumer " +
                  client_.consumer() + " was created with)");
    }
  }
  ~Worker() {
    if (sub_) natsSubscription_Destroy(sub_);
  }

  std::int64_t run() {
    auto last_job = Clock::now();
    bool warned = false;
    set_health(true, without_credentials(options_.queue.url));
    while (!stop_requested()) {
      report_pending();
      natsMsgList list{};
      jsErrCode err = jsErrCode(0);
      natsStatus s = natsSubscription_Fetch(&list, sub_, 1, 1000, &err);
      if (s != NATS_OK || list.Count == 0) {
        natsMsgList_Destroy(&list);
        if (s != NATS_OK && s != NATS_TIMEOUT) {
          // Disconnected: nats.c reconnects in the background.
          if (!warned) spdlog::warn("waiting for the NATS server ({})", natsStatus_GetText(s));
          warned = true;
          set_health(false, "waiting for " + without_credentials(options_.queue.url) + ": " + natsStatus_GetText(s));
          std::this_thread::sleep_for(std::chrono::milliseconds(250));
        }
        if (options_.exit_when_idle && Clock::now() - last_job >= *options_.exit_when_idle) {
          spdlog::info("no job for {} s; exiting", options_.exit_when_idle->count() / 1000.0);
          break;
        }
        continue;
      }
      if (warned) spdlog::info("connected to the NATS server again");
      if (warned) set_health(true, without_credentials(options_.queue.url));
      warned = false;
      handle(list.Msgs[0]);
      natsMsgList_Destroy(&list);
      last_job = Clock::now();
    }
    return done_;
  }

 private:
  void set_health(bool ok, std::string detail) {
    if (options_.health) options_.health->set("nats", ok, std::move(detail));
  }

  // The jobs the consumer has not yet delivered, for the metrics; read at
  // most every few seconds (one request to the server).
  void report_pending() {
    if (!options_.metrics || Clock::now() - last_pending_ < std::chrono::seconds(5)) return;
    last_pending_ = Clock::now();
    jsConsumerInfo* ci = nullptr;
    jsErrCode err = jsErrCode(0);
    if (js_GetConsumerInfo(&ci, client_.js(), client_.jobs_stream().c_str(), client_.consumer().c_str(), nullptr,
                           &err) == NATS_OK) {
      options_.metrics->set_jobs_pending(std::int64_t(ci->NumPending));
      jsConsumerInfo_Destroy(ci);
    }
  }

  void count_failure(const char* reason) {
    if (options_.metrics) options_.metrics->job_failed(reason);
  }

  void handle(natsMsg* msg) {
    jsMsgMetaData* meta = nullptr;
    std::uint64_t delivered = 1;
    if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
      delivered = meta->NumDelivered;
      jsMsgMetaData_Destroy(meta);
    }
    const std::string data(natsMsg_GetData(msg), std::size_t(natsMsg_GetDataLength(msg)));
    Job job;
    try {
      job = Job::from_json(nlohmann::json::parse(data));
    } catch (const std::exception& ex) {
      spdlog::error("dropping a malformed job: {}", ex.what());
      count_failure("malformed");
      dead_letter(msg, Job{fallback_id(data), "", "", "", {}}, ex.what(), delivered);
      return;
    }
    bool already_done = false;
    try {
      already_done = client_.last_result(client_.done_subject(job.id)).has_value();
    } catch (const Error& e) {
      // The server is back but its JetStream API is not answering yet (a
      // restart): the job goes back to the queue, and the worker goes on.
      spdlog::warn("{}: cannot check whether it is done ({}); given back", job.input, e.what());
      natsMsg_NakWithDelay(msg, 1000, nullptr);
      return;
    }
    if (already_done) {
      spdlog::info("{}: already done", job.input);
      natsMsg_AckSync(msg, nullptr, nullptr);
      return;
    }
    if (int(delivered) > options_.queue.max_deliver) {
      count_failure("abandoned");
      dead_letter(msg, job, "the workers running it stopped " + std::to_string(delivered - 1) + " times", delivered);
      return;
    }
    LogContext log_job("job", job.id);
    LogContext log_file("file", job.input);
    spdlog::info("{} -> {} (try {})", job.input, job.output, delivered);
    if (options_.metrics) options_.metrics->job_started();
    std::string error;
    JobReport report;
    {
      ProgressReporter progress(msg, options_.queue.ack_wait);
      try {
        report = run_(job);
      } catch (const std::exception& ex) {
        error = ex.what();
      }
    }
    if (error.empty()) {
      if (options_.metrics) options_.metrics->job_done(report);
      nlohmann::json record = job.to_json();
      record["frames"] = report.frames;
      record["objects_by_class"] = report.objects;
      record["boxes"] = report.boxes;
      record["seconds"] = report.seconds;
      record["footage_seconds"] = report.footage_seconds;
      record["truncated"] = report.truncated;
      record["worker"] = host_;
      record["deliveries"] = delivered;
      try {
        client_.publish(client_.done_subject(job.id), record.dump());
      } catch (const Error& e) {
        spdlog::warn("{}: cannot record the result ({}); the job will run again", job.input, e.what());
      }
      natsStatus s = natsMsg_AckSync(msg, nullptr, nullptr);
      if (s != NATS_OK) spdlog::warn("{}: acknowledgement lost ({})", job.input, natsStatus_GetText(s));
      ++done_;
      return;
    }
    if (stop_requested()) {
      spdlog::info("{}: stopped; given back to the queue", job.input);
      count_failure("stopped");
      natsMsg_Nak(msg, nullptr);
      return;
    }
    count_failure("error");
    spdlog::error("{} (try {} of {})", error, delivered, options_.queue.max_deliver);
    if (int(delivered) >= options_.queue.max_deliver) {
      dead_letter(msg, job, error, delivered);
    } else {
      natsMsg_NakWithDelay(msg, std::int64_t(delivered) * 1000, nullptr);
    }
  }

  void dead_letter(natsMsg* msg, const Job& job, const std::string& error, std::uint64_t delivered) {
    nlohmann::json record = job.to_json();
    record["error"] = error;
    record["deliveries"] = delivered;
    record["worker"] = host_;
    try {
      client_.publish(client_.failed_subject(job.id), record.dump());
    } catch (const Error& e) {
      spdlog::error("{}: cannot record the failure ({})", job.input, e.what());
      natsMsg_Nak(msg, nullptr);
      return;
    }
    natsMsg_Term(msg, nullptr);
  }

  // A malformed job has no id of its own; its failure record needs a subject.
  static std::string fallback_id(const std::string& data) { return std::to_string(std::hash<std::string>{}(data)); }

  WorkerOptions options_;
  const JobRunner& run_;
  queue::NatsClient client_;
  std::string host_;
  natsSubscription* sub_ = nullptr;
  std::int64_t done_ = 0;
  Clock::time_point last_pending_{};
};

}  // namespace

std::int64_t run_worker(const WorkerOptions& options, const JobRunner& run) {
  Worker worker(options, run);
  return worker.run();
}

}  // namespace veil
