// The text and JSON Lines log formats of `veil`, and the per-thread context
// (job, file, stream) that JSON lines carry.
#include "veil/core/logging.hpp"

#include "core/log_formatter.hpp"

#include <fmt/core.h>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cassert>
#include <chrono>
#include <ctime>
#include <utility>
#include <vector>

namespace veil {

namespace {

constexpr const char* kLoggerName = "veil";

std::atomic<LogFormat> g_format{LogFormat::kText};

struct ContextField {
  std::uint64_t id;  // the LogContext that added it
  std::string key;
  std::string value;
};

// The LogContext scopes alive on this thread, outermost first. The JSON
// formatter reads it in format(), which for spdlog's synchronous loggers
// (the only kind Veil makes) runs on the thread that logs, so this is that
// thread's context and needs no lock.
thread_local std::vector<ContextField> t_context;
// Process-wide, so that a LogContext wrongly ended on another thread cannot
// match (and remove) one of that thread's own fields.
std::atomic<std::uint64_t> g_next_context_id{0};

// "2026-12-04T17:20:00.123Z".
std::string utc_timestamp(spdlog::log_clock::time_point time) {
  using namespace std::chrono;
  const auto since_epoch = duration_cast<milliseconds>(time.time_since_epoch());
  // floor, not truncation, so that a time before 1970 still gets 0..999 ms.
  const auto seconds = floor<std::chrono::seconds>(since_epoch);
  const auto millis = (since_epoch - seconds).count();
  const std::time_t t = seconds.count();
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

class JsonLogFormatter : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    // ordered_json keeps the members in the order written: time, level and
    // message first, then the context from the outermost scope in, which is
    // easier to read than sorted keys.
    nlohmann::ordered_json line;
    line["time"] = utc_timestamp(msg.time);
    const auto level = spdlog::level::to_string_view(msg.level);
    line["level"] = std::string(level.data(), level.size());
    line["message"] = std::string(msg.payload.data(), msg.payload.size());
    for (const ContextField& f : t_context) {
      if (f.key == "time" || f.key == "level" || f.key == "message") continue;
      line[f.key] = f.value;  // an inner scope's value replaces the outer one's
    }
    // replace: a path or a peer's message need not be UTF-8, and throwing
    // here would lose the line (spdlog would print its own error instead).
    const std::string text = line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    dest.append(text.data(), text.data() + text.size());
    dest.push_back('\n');
  }

  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonLogFormatter>(); }
};

}  // namespace

std::unique_ptr<spdlog::formatter> make_json_log_formatter() { return std::make_unique<JsonLogFormatter>(); }

std::optional<LogFormat> parse_log_format(std::string_view text) {
  if (text == "text") return LogFormat::kText;
  if (text == "json") return LogFormat::kJson;
  return std::nullopt;
}

void configure_logging(LogFormat format) {
  const std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();
  // The registry refuses a second logger named "veil": drop the one a
  // previous call made (this also clears the default logger until the new
  // one is set, hence no other thread may log meanwhile).
  spdlog::drop(kLoggerName);
  std::shared_ptr<spdlog::logger> logger;
  if (format == LogFormat::kText) {
    logger = spdlog::stderr_color_mt(kLoggerName);
    logger->set_pattern("veil: %^%l%$: %v");
  } else {
    // A plain sink: a shipper reading JSON wants no colour codes, even when
    // stderr is a terminal.
    logger = spdlog::stderr_logger_mt(kLoggerName);
    logger->set_formatter(make_json_log_formatter());
  }
  if (previous) {
    logger->set_level(previous->level());
    logger->flush_on(previous->flush_level());
  }
  spdlog::set_default_logger(logger);
  g_format.store(format, std::memory_order_relaxed);
}

LogFormat log_format() { return g_format.load(std::memory_order_relaxed); }

LogContext::LogContext(std::string key, std::string value)
    : id_(g_next_context_id.fetch_add(1, std::memory_order_relaxed)) {
  t_context.push_back({id_, std::move(key), std::move(value)});
}

LogContext::~LogContext() {
  // Scopes end last-in first-out, so this is the last entry; searching from
  // the back keeps the stack right even if that rule was broken.
  for (auto it = t_context.rbegin(); it != t_context.rend(); ++it) {
    if (it->id == id_) {
      t_context.erase(std::next(it).base());
      return;
    }
  }
  assert(!"LogContext ended on a thread other than the one that created it");
}

void log_summary(std::string_view line) {
  if (log_format() == LogFormat::kText) {
    // As `veil` has always printed these: no level, for a person to read.
    fmt::print(stderr, "veil: {}\n", line);
    return;
  }
  // Straight to the sinks, not through logger->info(), whose level check
  // would drop the line under --quiet while the text form is still written.
  const std::shared_ptr<spdlog::logger> logger = spdlog::default_logger();
  const spdlog::details::log_msg msg(logger->name(), spdlog::level::info,
                                     spdlog::string_view_t(line.data(), line.size()));
  for (const spdlog::sink_ptr& sink : logger->sinks()) sink->log(msg);
}

}  // namespace veil
