#pragma once
// How `veil` writes its logs to stderr: as text for a person at a terminal
// ("veil: warning: ..."), or as JSON Lines (`--log-format json`) for a log
// shipper, one object per line with the time, the level, the message and
// the context of the thread that logged it (the job, the file, the stream).
//
// Code logs through spdlog's default logger as before (spdlog::info(...));
// this module only chooses how those lines are written.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace veil {

enum class LogFormat { kText, kJson };

// "text" or "json" (exactly, lower case); nullopt for anything else.
// Any thread.
std::optional<LogFormat> parse_log_format(std::string_view text);

// Makes spdlog's default logger a logger named "veil" that writes to stderr
// in `format`:
//   kText: "veil: <level>: <message>", the level coloured when stderr is a
//          terminal.
//   kJson: one object per line, no colour codes:
//          {"time":"2026-12-04T17:20:00.123Z","level":"info","message":"...",...}
//          time in UTC with milliseconds; level as spdlog names it (trace,
//          debug, info, warning, error, critical); then, as string members,
//          the fields of every LogContext alive on the logging thread. Text
//          that is not valid UTF-8 is written with U+FFFD in place of the bad
//          bytes rather than lost.
// The level and flush level of the default logger it replaces are kept.
// Threads: call from one thread while no other thread logs (early in main,
// before any thread starts); it replaces the logger other threads read
// without a lock. May be called again to switch format.
void configure_logging(LogFormat format);

// The format configured last; kText before any call. Any thread.
LogFormat log_format();

// While alive, adds `"key":"value"` to every JSON line the thread that
// created it logs (e.g. {"job": id}, {"file": path}, {"stream": url}); text
// lines are unchanged. Scopes nest: an inner scope with the same key hides
// the outer one until it ends.
// Requires: `key` is not "time", "level" or "message" (such a field is not
// written: those three are always the line's own). The object is a local
// (or part of one), ended by the thread that created it, in the reverse
// order scopes began, as locals are; never a static, which would outlive
// the thread's context stack.
class LogContext {
 public:
  // [[nodiscard]]: `LogContext("job", id);` would end at once and add nothing.
  [[nodiscard]] LogContext(std::string key, std::string value);
  ~LogContext();
  LogContext(const LogContext&) = delete;
  LogContext& operator=(const LogContext&) = delete;

 private:
  std::uint64_t id_;  // names this scope's entry in the thread's stack
};

// Writes a line that a person reads at the end of a command, such as
// "worker stopped after 3 jobs": in text "veil: <line>" (no level, as
// `veil` has always printed them), in JSON an info line with the thread's
// context, so that stderr stays one JSON object per line.
// Written whatever the logger's level: a caller that must stay quiet
// (--quiet) does not call it.
// Threads: any thread, once configure_logging has returned.
void log_summary(std::string_view line);

}  // namespace veil
