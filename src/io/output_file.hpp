#pragma once
// Where a sink writes its bytes: a local temporary file that becomes the
// destination only on commit(). Destroyed before commit(), it leaves nothing
// at the destination, so a failed or interrupted run never leaves a partial
// output where a reader could take it for a finished one.
#include "veil/storage/object_store.hpp"

#include <filesystem>
#include <memory>
#include <string>

namespace veil {

// One thread at a time may use an OutputFile.
class OutputFile {
 public:
  virtual ~OutputFile() = default;
  // The file to write; its extension is the destination's, so that format
  // guessing by extension works.
  virtual const std::filesystem::path& temp_path() const = 0;
  // The path or URL the user asked for, for messages.
  virtual const std::string& destination() const = 0;
  // Moves the finished file into place (rename, or upload). Throws veil::Error.
  virtual void commit() = 0;
};

// A local path gets a hidden temporary file beside it, renamed on commit; an
// object URL (s3://bucket/key) gets one in the system's temporary folder,
// uploaded atomically on commit. Throws veil::Error when the destination
// cannot be written (no such folder, a folder in the way, a bad URL).
std::unique_ptr<OutputFile> open_output_file(const std::string& destination, const StorageOptions& storage = {});

// A live output: written in place as it goes (a stream URL, or an HLS
// playlist whose segments appear one by one), so temp_path() is the
// destination and commit() does nothing. Throws veil::Error when a local
// destination's folder does not exist.
std::unique_ptr<OutputFile> open_live_output(const std::string& destination);

}  // namespace veil
