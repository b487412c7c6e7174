// `veil review` (a local web page to check and correct a sidecar) and
// `veil render` (hide exactly what a sidecar lists).
#include "commands.hpp"
#include "exit_status.hpp"
#include "options.hpp"
#include "progress_bar.hpp"
#include "run_summary.hpp"
#include "veil/core/stop.hpp"
#include "veil/render/renderer.hpp"
#include "veil/review/review_server.hpp"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <thread>
#include <unistd.h>

namespace veil::cli {
namespace {

void add_render(CLI::App& app, AnonymizeArgs& a) {
  app.add_option("input", a.input, "the video, image or folder the sidecar was made from (or s3:// URL)")->required();
  app.add_option("--detections", a.detections, "the sidecar (JSON Lines) that says what to hide; or s3:// URL")
      ->required();
  app.add_option("-o,--output", a.output, "output file (format from its extension) or folder; or an s3:// URL")
      ->required();
  add_redaction_options(app, a);
  add_output_options(app, a);
  app.add_flag("--s3-path-style", a.s3_path_style, "address s3:// buckets as ENDPOINT/bucket/key");
  app.add_flag("-q,--quiet", a.quiet, "no progress bar and no summary");
  app.add_flag("--json", a.json, "print the summary as one JSON object on stdout (objects and boxes per class)");
}

void add_review(CLI::App& app, AnonymizeArgs& a, int& port) {
  app.add_option("input", a.input, "the video or image the sidecar was made from")->required();
  app.add_option("--detections", a.detections, "the sidecar (JSON Lines) to review; Save rewrites it, keeping a .bak")
      ->required();
  app.add_option("--port", port, "port on 127.0.0.1 (0: any free port)")->check(CLI::Range(0, 65535))->capture_default_str();
  add_redaction_options(app, a);  // how the preview (and later render) hides
}

// Serves the review page until Ctrl-C or SIGTERM.
int run_review(const AnonymizeArgs& a, int port) {
  ReviewOptions o;
  o.input = a.input;
  o.sidecar = a.detections;
  o.port = port;
  o.redact = redact_options(a);
  ReviewServer server(o);
  std::cout << server.url() << std::endl;  // alone on stdout, for scripts
  fmt::print(stderr, "veil: reviewing {} (sidecar {}): open the URL above; Ctrl-C stops\n", a.input, a.detections);
  std::atomic<bool> ended{false};
  std::thread serving([&] {
    server.run();
    ended = true;
  });
  while (!stop_requested() && !ended) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  // stop() before the server has begun listening does nothing: repeat it.
  while (!ended) {
    server.stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  serving.join();
  return kSuccess;
}

int run_render(const AnonymizeArgs& a) {
  RenderOptions o;
  o.redact = redact_options(a);
  o.encode = encode_options(a);
  o.image_format = image_format(a);
  o.storage.force_path_style = a.s3_path_style;
  ProgressBar bar;
  bool show_progress = !a.quiet && ::isatty(STDERR_FILENO);
  RunStats s = render(a.input, a.detections, a.output, o, show_progress ? &bar : nullptr);
  return finish_run(s, {ObjectClass::kFace, ObjectClass::kPlate}, a.quiet, a.json);
}

}  // namespace

void add_review_command(CLI::App& app, Run& run) {
  auto a = std::make_shared<AnonymizeArgs>();
  auto port = std::make_shared<int>(0);
  CLI::App* cmd =
      app.add_subcommand("review", "check and correct a detections sidecar in a local web page, then render it");
  add_review(*cmd, *a, *port);
  cmd->callback([a, port, &run] { run = [a, port] { return run_review(*a, *port); }; });
}

void add_render_command(CLI::App& app, Run& run) {
  auto a = std::make_shared<AnonymizeArgs>();
  CLI::App* cmd =
      app.add_subcommand("render", "hide exactly what a (reviewed) detections sidecar lists; runs no detector");
  add_render(*cmd, *a);
  cmd->callback([a, &run] {
    run = [a] {
      if (a->quiet) spdlog::set_level(spdlog::level::warn);
      return run_render(*a);
    };
  });
}

}  // namespace veil::cli
