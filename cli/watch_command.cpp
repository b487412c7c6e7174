// `veil watch SOURCE --to DEST`: anonymizes each new video or image of a
// folder or s3:// prefix once, by itself or through the fleet (--nats).
#include "commands.hpp"
#include "exit_status.hpp"
#include "job_executor.hpp"
#include "options.hpp"
#include "veil/core/logging.hpp"
#include "veil/ops/monitoring.hpp"
#include "veil/watch/watch.hpp"

#include <fmt/core.h>

#include <memory>
#include <optional>

namespace veil::cli {
namespace {

struct WatchArgs {
  std::string source, to, interval = "10s", settle = "5s", manifest, state;
  bool once = false, delete_source = false, sidecars = false, offline = false;
  bool use_queue = false;
  QueueArgs queue;
  ServiceArgs service;
};

int run_watch_command(const WatchArgs& w, const std::vector<std::string>& args) {
  apply_log_format(w.service);
  // Refuse bad anonymize flags now, not on every file.
  AnonymizeOptions checked;
  try {
    checked = job_options(w.source, w.to, "", args);
  } catch (const Error& e) {
    throw UsageError(e.what());
  }
  WatchOptions o;
  o.source = w.source;
  o.destination = w.to;
  o.args = args;
  o.sidecars = w.sidecars;
  o.interval = std::chrono::milliseconds(std::int64_t(parse_duration("--interval", w.interval) * 1000));
  o.settle = std::chrono::milliseconds(std::int64_t(parse_duration("--settle", w.settle) * 1000));
  if (o.interval.count() <= 0) throw UsageError("--interval: must be more than 0");
  o.once = w.once;
  o.delete_source = w.delete_source;
  if (!w.manifest.empty()) o.manifest = w.manifest;
  if (!w.state.empty()) o.state = w.state;
  o.storage = checked.storage;
  if (w.use_queue) o.queue = queue_options(w.queue);

  Metrics metrics;
  Health health;
  o.metrics = &metrics;
  o.health = &health;
  std::optional<MonitoringServer> monitoring;
  if (!w.service.metrics.empty()) monitoring.emplace(w.service.metrics, metrics, health);
  ModelStore store = model_store(w.offline);
  // With a queue the workers anonymize: no models here.
  std::optional<JobExecutor> executor;
  if (!o.queue) executor.emplace(store, &health);
  const WatchStats s = run_watch(o, [&](const Job& job) { return executor->run(job); });
  log_summary(fmt::format("watch: {} {}, {} already done, {} failed{}", s.done, o.queue ? "submitted" : "anonymized",
                          s.skipped, s.failed, s.deleted ? fmt::format(", {} sources deleted", s.deleted) : ""));
  for (const auto& f : s.failures) log_summary("failed: " + f);
  return s.failed ? kPartial : kSuccess;
}

}  // namespace

void add_watch_command(CLI::App& app, Run& run) {
  auto w = std::make_shared<WatchArgs>();
  CLI::App* cmd = app.add_subcommand(
      "watch", "anonymize each new video or image of a folder or s3:// prefix, once (anonymize options follow)");
  cmd->add_option("source", w->source, "folder or s3:// prefix to watch")->required();
  cmd->add_option("--to", w->to, "folder or s3:// prefix for the outputs (same relative paths)")->required();
  cmd->add_flag("--once", w->once, "work through what is there, then exit (cron, batch jobs)");
  cmd->add_option("--interval", w->interval, "time between listings (e.g. 10s, 1m)")->capture_default_str();
  cmd->add_option("--settle", w->settle, "a local file is taken once unchanged this long (it may still be written)")
      ->capture_default_str();
  cmd->add_flag("--delete-source", w->delete_source,
                "delete each source once its output is complete and read back whole");
  cmd->add_option("--manifest", w->manifest,
                  "keep a JSON Lines manifest of the outputs ({\"source-ref\": ...}, SageMaker Ground Truth's input) "
                  "at this path or s3:// URL");
  cmd->add_flag("--sidecars", w->sidecars, "each output gets its detections in <output>.jsonl");
  cmd->add_option("--state", w->state, "where the records of what was done live (default: <to>/.veil-watch/)");
  add_queue_options(*cmd, w->queue);
  CLI::Option* nats = cmd->get_option("--nats");
  nats->description("submit the jobs to the fleet on this NATS server (e.g. nats://127.0.0.1:4222) instead of working here");
  nats->default_str("");
  cmd->add_flag("--offline", w->offline, "never download models");
  add_service_options(*cmd, w->service);
  cmd->allow_extras();
  cmd->footer("Any other option is an anonymize option (veil anonymize --help), given to every file.");
  cmd->callback([w, nats, cmd, &run] {
    w->use_queue = nats->count() > 0;
    run = [w, cmd] { return run_watch_command(*w, cmd->remaining()); };
  });
}

}  // namespace veil::cli
