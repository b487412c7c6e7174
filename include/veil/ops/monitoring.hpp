#pragma once
// What a long-running Veil process (`veil worker`, `veil watch`, `veil
// anonymize --live`) tells the outside: counters and gauges in Prometheus's
// text format at /metrics, and its health at /healthz (alive) and /readyz
// (ready for work: models loaded, queue and storage reachable). See
// docs/scale.md, "Metrics and probes".
//
// Names follow Prometheus's conventions: a veil_ prefix, base units
// (seconds), counters ending in _total.
#include "veil/queue/work_queue.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace veil {

// The process's metrics. Every method may be called from any thread.
class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Jobs: one file anonymized by a worker or by watch.
  void job_started();
  // Adds the job's frames, footage, processing time, objects and boxes.
  void job_done(const JobReport& report);
  // One failed try. `reason` is a short label (error, malformed,
  // abandoned): a bounded set, since each value is a time series.
  void job_failed(std::string_view reason);
  // Jobs waiting, where the process knows it (a worker: the queue's
  // pending jobs; watch: files found and not yet done).
  void set_jobs_pending(std::int64_t n);

  // Live streams: the status the live anonymizer reports once a second
  // (totals since the start; frames written count as frames processed).
  void live_status(std::int64_t frames_in, std::int64_t frames_out, std::int64_t hidden_whole,
                   std::int64_t reconnects, double latency_mean, double latency_max, bool input_connected);

  // The Prometheus text exposition format (version 0.0.4).
  std::string text() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Named conditions that must all hold for the process to be ready. Every
// method may be called from any thread.
class Health {
 public:
  // Sets condition `name` (e.g. "models", "nats", "storage"); `detail`
  // says why it does not hold (or what it reached).
  void set(const std::string& name, bool ok, std::string detail = "");
  // True when every condition set so far holds and at least one was set.
  // `report` gets one line per condition: "nats: ok (nats://...)".
  bool ready(std::string* report = nullptr) const;

 private:
  struct Condition {
    bool ok = false;
    std::string detail;
  };
  mutable std::mutex mutex_;
  std::map<std::string, Condition> conditions_;
};

// An HTTP server for the probes and Prometheus, in a thread of its own:
// GET /metrics (the metrics' text), /healthz (200 while the process runs)
// and /readyz (200 when `health` is ready, else 503; the body lists the
// conditions).
class MonitoringServer {
 public:
  // Listens on `address`: "HOST:PORT", ":PORT" (every interface) or
  // "[IPv6]:PORT"; port 0 takes any free port. `metrics` and `health` must
  // outlive the server. Throws veil::Error when the address is malformed or
  // cannot be bound.
  MonitoringServer(const std::string& address, const Metrics& metrics, const Health& health);
  // Stops serving and joins the thread.
  ~MonitoringServer();
  MonitoringServer(const MonitoringServer&) = delete;
  MonitoringServer& operator=(const MonitoringServer&) = delete;

  // "http://HOST:PORT", with the port actually bound.
  std::string url() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace veil
