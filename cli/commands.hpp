#pragma once
// Veil's commands. Each add_* function registers one subcommand (or a few
// related ones) on the top-level parser and keeps its own arguments; when the
// command line selects it, the parser's callback sets `run` to the function
// that carries it out. main() parses, installs the signal handlers, calls
// `run` and turns exceptions into exit statuses (exit_status.hpp).
#include <CLI/CLI.hpp>

#include <functional>

namespace veil::cli {

using Run = std::function<int()>;

void add_anonymize_command(CLI::App& app, Run& run);  // files, folders, s3:// and --live streams
void add_eval_command(CLI::App& app, Run& run);
void add_review_command(CLI::App& app, Run& run);
void add_render_command(CLI::App& app, Run& run);
void add_fleet_commands(CLI::App& app, Run& run);  // submit, worker, status
void add_watch_command(CLI::App& app, Run& run);
void add_models_command(CLI::App& app, Run& run);

}  // namespace veil::cli
