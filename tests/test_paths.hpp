#pragma once
// Where tests find the shared data, models and the built CLI.
#include <filesystem>
#include <string>

namespace veil::test {

// ../shared from the source tree (override with VEIL_SHARED_DIR).
std::filesystem::path shared_dir();
std::filesystem::path video_dir();    // shared/data/video
std::filesystem::path model_dir();    // VEIL_MODEL_DIR, else shared/models
std::filesystem::path cli_path();     // the built `veil` binary
// A fresh empty folder under the system temp dir, removed by the caller.
std::filesystem::path make_temp_dir(const std::string& tag);

// `path` in single quotes, for a shell command line.
std::string quoted(const std::filesystem::path& path);
// The shell command that runs the built `veil` with `args` against the model mirror.
std::string veil_command(const std::string& args);

// Runs a shell command, returns its exit status; stdout+stderr go to `output`.
int run_command(const std::string& command, std::string* output = nullptr);

}  // namespace veil::test
