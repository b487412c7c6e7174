// The fleet on NATS JetStream: `veil submit` queues jobs, `veil worker`
// runs them, `veil status` reports (docs/scale.md).
#include "commands.hpp"
#include "job_executor.hpp"
#include "options.hpp"
#include "veil/core/logging.hpp"
#include "veil/core/stop.hpp"
#include "veil/ops/monitoring.hpp"
#include "veil/queue/work_queue.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>

namespace veil::cli {
namespace {

int run_submit(const std::string& input, const std::string& to, bool sidecars, const QueueArgs& q,
               const std::vector<std::string>& args) {
  // Refuse bad flags now, not on every worker; --s3-path-style among them
  // applies here too.
  AnonymizeOptions checked = job_options(input, to, "", args);
  std::vector<Job> jobs = plan_jobs(input, to, args, sidecars, checked.storage);
  auto queue = connect_work_queue(queue_options(q));
  std::int64_t queued = 0;
  for (const auto& job : jobs) queued += queue->submit(job);
  fmt::print(stderr, "veil: {} job{} queued on {}", queued, queued == 1 ? "" : "s", q.nats);
  if (queued < std::int64_t(jobs.size())) {
    fmt::print(stderr, " ({} already queued or done)", std::int64_t(jobs.size()) - queued);
  }
  fmt::print(stderr, "\n");
  return 0;
}

int run_worker_command(const QueueArgs& q, const ServiceArgs& service, std::optional<double> exit_when_idle,
                       bool no_download) {
  apply_log_format(service);
  Metrics metrics;
  Health health;
  std::optional<MonitoringServer> monitoring;
  if (!service.metrics.empty()) monitoring.emplace(service.metrics, metrics, health);
  WorkerOptions options;
  options.queue = queue_options(q);
  if (monitoring) {
    options.metrics = &metrics;
    options.health = &health;
  }
  if (exit_when_idle) options.exit_when_idle = std::chrono::milliseconds(std::int64_t(*exit_when_idle * 1000));
  ModelStore store = model_store(no_download);
  JobExecutor executor(store, &health);
  const std::int64_t done = run_worker(options, [&](const Job& job) { return executor.run(job); });
  log_summary(fmt::format("worker stopped after {} job{}", done, done == 1 ? "" : "s"));
  return 0;
}

int run_status(const QueueArgs& q, bool json) {
  auto queue = connect_work_queue(queue_options(q));
  QueueStatus st = queue->status();
  if (json) {
    std::cout << st.to_json().dump() << "\n";
    return 0;
  }
  std::string objects;
  for (const auto& [cls, n] : st.objects) objects += fmt::format("{}{} {}{}", objects.empty() ? "" : ", ", n, cls, n == 1 ? "" : "s");
  fmt::print("queued {}  running {}  done {}  failed {}  idle workers {}\n", st.queued, st.running, st.done,
             st.failed, st.workers);
  if (st.done) fmt::print("hidden in the done jobs: {} (objects); {} boxes\n", objects.empty() ? "nothing" : objects, st.boxes);
  for (const auto& f : st.failures) {
    fmt::print("failed: {}\n", f.value("error", "?"));
  }
  return 0;
}

}  // namespace

void add_fleet_commands(CLI::App& app, Run& run) {
  auto submit_queue = std::make_shared<QueueArgs>();
  auto input = std::make_shared<std::string>(), to = std::make_shared<std::string>();
  auto sidecars = std::make_shared<bool>(false);
  CLI::App* submit = app.add_subcommand(
      "submit", "queue one job per video or image on NATS JetStream for `veil worker`s (anonymize options follow)");
  submit->add_option("input", *input, "video, image, folder, s3:// object or prefix")->required();
  submit->add_option("--to", *to, "output file, folder or s3:// prefix, as anonymize's -o")->required();
  submit->add_flag("--sidecars", *sidecars, "each job writes its detections to <output>.jsonl");
  add_queue_options(*submit, *submit_queue);
  submit->allow_extras();
  submit->footer("Any other option is an anonymize option (veil anonymize --help), given to every job.");
  submit->callback([=, &run] {
    run = [=] { return run_submit(*input, *to, *sidecars, *submit_queue, submit->remaining()); };
  });

  auto worker_queue = std::make_shared<QueueArgs>();
  auto idle = std::make_shared<std::optional<double>>();
  auto offline = std::make_shared<bool>(false);
  CLI::App* worker = app.add_subcommand("worker", "run queued jobs until stopped (SIGTERM gives the current one back)");
  add_queue_options(*worker, *worker_queue);
  worker->add_option("--exit-when-idle", *idle, "exit once no job has come for this many seconds")
      ->check(CLI::PositiveNumber);
  worker->add_option("--ack-wait", worker_queue->ack_wait,
                     "seconds without a sign of life before a job goes to another worker (set when the "
                     "workers' consumer is first created)")
      ->check(CLI::Range(1.0, 86400.0))
      ->capture_default_str();
  worker->add_option("--max-deliver", worker_queue->max_deliver, "tries before a failing job is dead-lettered")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  worker->add_flag("--offline", *offline, "never download models");
  auto service = std::make_shared<ServiceArgs>();
  add_service_options(*worker, *service);
  worker->callback([=, &run] {
    run = [=] { return run_worker_command(*worker_queue, *service, *idle, *offline); };
  });

  auto status_queue = std::make_shared<QueueArgs>();
  auto json = std::make_shared<bool>(false);
  CLI::App* status = app.add_subcommand("status", "jobs queued, running, done and failed (with the reasons)");
  add_queue_options(*status, *status_queue);
  status->add_flag("--json", *json, "one JSON object");
  status->callback([=, &run] { run = [=] { return run_status(*status_queue, *json); }; });
}

}  // namespace veil::cli
