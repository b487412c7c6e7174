// `veil`: the command-line front of libveil. main() sets up logging and the
// signals, lets each command (commands.hpp) register itself, runs the one
// selected and turns its failure into an exit status. All real work lives in
// the library.
#include "commands.hpp"
#include "exit_status.hpp"
#include "options.hpp"
#include "veil/core/error.hpp"
#include "veil/core/logging.hpp"
#include "veil/core/stop.hpp"
#include "veil/core/version.hpp"

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <spdlog/spdlog.h>

extern "C" {
#include <libavutil/log.h>
}

#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <atomic>
#include <csignal>
#include <string>

namespace {

using namespace veil;
using namespace veil::cli;

// Ctrl-C and SIGTERM ask the pipeline to stop between frames, so that every
// unfinished output is discarded (temporary files removed, uploads
// aborted). A second signal ends the process at once.
void on_stop_signal(int signal) {
  static std::atomic<bool> signalled{false};  // not stop_requested(): it reads a thread_local
  if (signalled.exchange(true)) {
    std::signal(signal, SIG_DFL);
    std::raise(signal);
    return;
  }
  request_stop();
}

}  // namespace

int main(int argc, char** argv) {
  configure_logging(LogFormat::kText);  // worker, watch and live take --log-format json
  // libx264 prints its settings and statistics at info level on every
  // encode; Veil reports what matters itself.
  av_log_set_level(AV_LOG_ERROR);
#ifdef __GLIBC__
  // glibc gives each thread that allocates its own arena, and an arena
  // keeps what was freed in it. The detection workers free large buffers
  // (network inputs of up to 25 MB) every frame, and one arena each held
  // 1080p video ~45 MB above 1 GiB. Two arenas: same speed, memory back
  // under (docs/speed.md).
  mallopt(M_ARENA_MAX, 2);
#endif

  CLI::App app{"veil: hide faces and licence plates in vehicle-camera video and photos"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("veil ") + version());
  Run run;
  add_anonymize_command(app, run);
  add_eval_command(app, run);
  add_review_command(app, run);
  add_render_command(app, run);
  add_fleet_commands(app, run);
  add_watch_command(app, run);
  add_models_command(app, run);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kSuccess : kUsage;  // --help and --version are not errors
  }
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  // A file-size limit (ulimit -f) or quota would kill the process mid-write
  // and leave its temporary file; ignored, the write fails with EFBIG and the
  // run fails cleanly, removing it.
  std::signal(SIGXFSZ, SIG_IGN);
  try {
    return run();
  } catch (const std::exception& ex) {
    if (stop_requested()) {
      log_summary("interrupted; unfinished outputs were discarded");
      return kInterrupted;  // as a shell reports a command ended by SIGINT
    }
    if (log_format() == LogFormat::kJson) {
      spdlog::error("{}", ex.what());  // a log shipper reads every line as JSON
    } else {
      fmt::print(stderr, "veil: error: {}\n", ex.what());
    }
    if (dynamic_cast<const UsageError*>(&ex)) return kUsage;
    if (dynamic_cast<const Error*>(&ex)) return kFailed;
    fmt::print(stderr, "veil: this is a bug in Veil; please report it with the command that caused it\n");
    return kInternal;
  }
}
