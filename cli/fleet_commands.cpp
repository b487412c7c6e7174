// The fleet on NATS JetStream: `veil submit` queues jobs, `veil worker`
// runs them, `veil status` reports (docs/scale.md).
#include "commands.hpp"
#include "options.hpp"
#include "veil/core/stop.hpp"
#include "veil/queue/work_queue.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>

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

int run_worker_command(const QueueArgs& q, std::optional<double> exit_when_idle, bool no_download) {
  WorkerOptions options;
  options.queue = queue_options(q);
  if (exit_when_idle) options.exit_when_idle = std::chrono::milliseconds(std::int64_t(*exit_when_idle * 1000));
  ModelStore store = model_store(no_download);
  // The models stay loaded while consecutive jobs share their options.
  std::unique_ptr<Anonymizer> anonymizer;
  std::vector<std::string> loaded_for;
  auto run = [&](const Job& job) {
    AnonymizeOptions o = job_options(job.input, job.output, job.detections, job.args);
    // A folder submission's outputs go to sub-folders that may not exist yet.
    for (const std::string& path : {job.output, job.detections}) {
      if (path.empty() || is_object_url(path)) continue;
      std::error_code ec;
      std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    }
    if (!anonymizer || loaded_for != job.args) {
      anonymizer.reset();
      anonymizer = std::make_unique<Anonymizer>(o, store);
      loaded_for = job.args;
    }
    anonymizer->set_detections_path(o.detections_path);
    RunStats s = anonymizer->run(job.input, job.output);
    if (!s.failures.empty()) throw Error(s.failures.front());
    JobReport report;
    report.frames = s.frames;
    report.seconds = s.seconds;
    for (const auto& [cls, n] : s.objects) report.objects[std::string(to_string(cls))] = n;
    report.boxes = s.boxes();
    return report;
  };
  const std::int64_t done = run_worker(options, run);
  fmt::print(stderr, "veil: worker stopped after {} job{}\n", done, done == 1 ? "" : "s");
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
  worker->callback([=, &run] { run = [=] { return run_worker_command(*worker_queue, *idle, *offline); }; });

  auto status_queue = std::make_shared<QueueArgs>();
  auto json = std::make_shared<bool>(false);
  CLI::App* status = app.add_subcommand("status", "jobs queued, running, done and failed (with the reasons)");
  add_queue_options(*status, *status_queue);
  status->add_flag("--json", *json, "one JSON object");
  status->callback([=, &run] { run = [=] { return run_status(*status_queue, *json); }; });
}

}  // namespace veil::cli
