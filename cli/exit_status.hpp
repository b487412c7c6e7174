#pragma once

namespace veil::cli {

// Exit statuses (README, "Exit statuses"): one meaning each, in every command.
enum ExitStatus {
  kSuccess = 0,
  kFailed = 1,       // the input could not be processed: unreadable, unwritable, unreachable, refused
  kUsage = 2,        // the command line was not understood
  kPartial = 3,      // a folder or prefix run: some files failed, the others are done
  kTruncated = 4,    // done, but a video was cut short: its output has every frame that could be read
  kInternal = 70,    // a bug (EX_SOFTWARE): please report it
  kInterrupted = 130 // Ctrl-C or SIGTERM; unfinished outputs discarded
};

}  // namespace veil::cli
