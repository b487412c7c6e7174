#pragma once
// Names of Veil's temporary output files, and removal of those a killed
// process left behind. A name carries the host and process id of its
// writer: "<prefix><host>-<pid>-<n><suffix>", so that a later run on the
// same host can tell a stale file (its process is gone) from one being
// written now, on this host or (on a shared file system) another.
#include <filesystem>
#include <string>

namespace veil {

// A fresh name, unique within this process.
std::string temp_file_name(const std::string& prefix, const std::string& suffix);

// Removes files in `dir` named by temp_file_name(prefix, suffix) on this
// host whose process no longer runs. Errors are ignored: this is tidying.
void remove_stale_temp_files(const std::filesystem::path& dir, const std::string& prefix, const std::string& suffix);

}  // namespace veil
