// The JSON log lines, read back from a sink: their fields, escaping and
// per-thread context; and switching the default logger between formats.
#include "veil/core/logging.hpp"

#include "core/log_formatter.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace veil {
namespace {

// A logger that writes JSON lines into a string, as the stderr one would.
class JsonCapture {
 public:
  JsonCapture() : logger_("test", std::make_shared<spdlog::sinks::ostream_sink_mt>(out_)) {
    logger_.set_formatter(make_json_log_formatter());
    logger_.set_level(spdlog::level::trace);
  }
  spdlog::logger& logger() { return logger_; }
  std::vector<std::string> lines() const {
    std::vector<std::string> result;
    std::istringstream in(out_.str());
    for (std::string line; std::getline(in, line);) result.push_back(line);
    return result;
  }
  // The one line written, parsed; fails the test unless there is exactly one.
  nlohmann::json only_line() const {
    const std::vector<std::string> all = lines();
    EXPECT_EQ(all.size(), 1u) << out_.str();
    if (all.empty()) return nullptr;
    return nlohmann::json::parse(all.front());
  }

 private:
  std::ostringstream out_;
  spdlog::logger logger_;
};

// Puts back spdlog's default logger and log_format() after a test that
// configures logging, so that other tests find the process as it was.
class DefaultLoggerRestorer {
 public:
  DefaultLoggerRestorer() : saved_logger_(spdlog::default_logger()), saved_format_(log_format()) {}
  ~DefaultLoggerRestorer() {
    configure_logging(saved_format_);  // log_format() has no other setter
    spdlog::drop("veil");
    spdlog::set_default_logger(saved_logger_);
  }

 private:
  std::shared_ptr<spdlog::logger> saved_logger_;
  LogFormat saved_format_;
};

TEST(JsonLog, LineHasTimeLevelAndMessage) {
  JsonCapture capture;
  capture.logger().info("hello {}", 42);
  const nlohmann::json line = capture.only_line();
  ASSERT_TRUE(line.is_object());
  const std::regex iso_utc_ms(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$)");
  ASSERT_TRUE(line["time"].is_string());
  EXPECT_TRUE(std::regex_match(line["time"].get<std::string>(), iso_utc_ms)) << line["time"];
  EXPECT_EQ(line["level"], "info");
  EXPECT_EQ(line["message"], "hello 42");
  EXPECT_EQ(line.size(), 3u) << line.dump();
}

TEST(JsonLog, LevelsAreSpdlogNames) {
  JsonCapture capture;
  capture.logger().trace("t");
  capture.logger().debug("d");
  capture.logger().info("i");
  capture.logger().warn("w");
  capture.logger().error("e");
  capture.logger().critical("c");
  std::vector<std::string> levels;
  for (const std::string& l : capture.lines()) levels.push_back(nlohmann::json::parse(l)["level"]);
  EXPECT_EQ(levels, (std::vector<std::string>{"trace", "debug", "info", "warning", "error", "critical"}));
}

TEST(JsonLog, TimeIsUtc) {
  // 2026-12-04T17:20:00.123Z, whatever the machine's time zone.
  spdlog::details::log_msg msg("test", spdlog::level::info, "at a fixed time");
  msg.time = spdlog::log_clock::time_point(std::chrono::milliseconds(1796404800123));
  spdlog::memory_buf_t buf;
  make_json_log_formatter()->format(msg, buf);
  const nlohmann::json line = nlohmann::json::parse(std::string(buf.data(), buf.size()));
  EXPECT_EQ(line["time"], "2026-12-04T17:20:00.123Z");
}

TEST(JsonLog, MessageRoundTripsExactly) {
  const std::string message = "Zo\xC3\xAB \"x\" \\ \n\ttab \x01 end";
  JsonCapture capture;
  capture.logger().info("{}", message);
  // The newline in the message is escaped: still one line.
  EXPECT_EQ(capture.only_line()["message"], message);
}

TEST(JsonLog, InvalidUtf8IsReplacedNotLost) {
  JsonCapture capture;
  capture.logger().info("file caf\xE9.mp4");  // Latin-1, not UTF-8
  EXPECT_EQ(capture.only_line()["message"], "file caf\xEF\xBF\xBD.mp4");  // U+FFFD
}

TEST(JsonLog, ContextFieldsAppearNestAndHide) {
  JsonCapture capture;
  capture.logger().info("before");
  {
    LogContext job("job", "j-1");
    capture.logger().info("in job");
    {
      LogContext file("file", "a.mp4");
      LogContext inner_job("job", "j-2");
      capture.logger().info("in file");
    }
    capture.logger().info("job again");
  }
  capture.logger().info("after");

  const std::vector<std::string> lines = capture.lines();
  ASSERT_EQ(lines.size(), 5u);
  std::vector<nlohmann::json> j;
  for (const std::string& l : lines) j.push_back(nlohmann::json::parse(l));
  EXPECT_FALSE(j[0].contains("job"));
  EXPECT_EQ(j[1]["job"], "j-1");
  EXPECT_FALSE(j[1].contains("file"));
  EXPECT_EQ(j[2]["job"], "j-2");  // the inner scope hides the outer one
  EXPECT_EQ(j[2]["file"], "a.mp4");
  EXPECT_EQ(j[3]["job"], "j-1");  // and the outer value is back once it ends
  EXPECT_FALSE(j[3].contains("file"));
  EXPECT_FALSE(j[4].contains("job"));
  EXPECT_EQ(j[4].size(), 3u) << j[4].dump();
}

TEST(JsonLog, ContextCannotReplaceTheLinesOwnFields) {
  JsonCapture capture;
  LogContext bad("message", "not the message");
  LogContext good("stream", "rtsp://camera/1");
  capture.logger().warn("real");
  const nlohmann::json line = capture.only_line();
  EXPECT_EQ(line["message"], "real");
  EXPECT_EQ(line["level"], "warning");
  EXPECT_EQ(line["stream"], "rtsp://camera/1");
}

TEST(JsonLog, ContextIsPerThread) {
  JsonCapture capture;
  std::promise<void> context_set;
  std::promise<void> main_logged;
  std::thread other([&] {
    LogContext job("job", "other-thread");
    context_set.set_value();
    main_logged.get_future().wait();
    capture.logger().info("from the other thread");
  });
  context_set.get_future().wait();
  capture.logger().info("from this thread");  // while the other's context is alive
  main_logged.set_value();
  other.join();

  const std::vector<std::string> lines = capture.lines();
  ASSERT_EQ(lines.size(), 2u);
  const nlohmann::json mine = nlohmann::json::parse(lines[0]);
  const nlohmann::json theirs = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(mine["message"], "from this thread");
  EXPECT_FALSE(mine.contains("job")) << lines[0];
  EXPECT_EQ(theirs["message"], "from the other thread");
  EXPECT_EQ(theirs["job"], "other-thread");
}

TEST(LogFormat, Parse) {
  EXPECT_EQ(parse_log_format("text"), LogFormat::kText);
  EXPECT_EQ(parse_log_format("json"), LogFormat::kJson);
  EXPECT_EQ(parse_log_format(""), std::nullopt);
  EXPECT_EQ(parse_log_format("JSON"), std::nullopt);
  EXPECT_EQ(parse_log_format("jsonl"), std::nullopt);
  EXPECT_EQ(parse_log_format(" text"), std::nullopt);
}

TEST(ConfigureLogging, SwitchesFormatMoreThanOnce) {
  DefaultLoggerRestorer restore;
  ASSERT_NO_THROW(configure_logging(LogFormat::kJson));
  EXPECT_EQ(log_format(), LogFormat::kJson);
  EXPECT_EQ(spdlog::default_logger()->name(), "veil");
  ASSERT_NO_THROW(configure_logging(LogFormat::kText));
  EXPECT_EQ(log_format(), LogFormat::kText);
  EXPECT_EQ(spdlog::default_logger()->name(), "veil");
  ASSERT_NO_THROW(configure_logging(LogFormat::kText));
  ASSERT_NO_THROW(configure_logging(LogFormat::kJson));
  EXPECT_EQ(log_format(), LogFormat::kJson);
}

TEST(ConfigureLogging, JsonGoesToStderr) {
  DefaultLoggerRestorer restore;
  configure_logging(LogFormat::kJson);
  testing::internal::CaptureStderr();
  {
    LogContext job("job", "7");
    spdlog::warn("disk {} full", "/tmp");
  }
  const std::string err = testing::internal::GetCapturedStderr();
  ASSERT_FALSE(err.empty());
  EXPECT_EQ(err.back(), '\n');
  EXPECT_EQ(err.find('\x1b'), std::string::npos) << "colour codes in JSON";
  const nlohmann::json line = nlohmann::json::parse(err);
  EXPECT_EQ(line["level"], "warning");
  EXPECT_EQ(line["message"], "disk /tmp full");
  EXPECT_EQ(line["job"], "7");
}

TEST(ConfigureLogging, TextIsAsBefore) {
  DefaultLoggerRestorer restore;
  // Captured first: the colour sink decides at creation whether stderr is a
  // terminal, and a captured stderr is not, so the level is not coloured.
  testing::internal::CaptureStderr();
  configure_logging(LogFormat::kText);
  {
    LogContext job("job", "7");  // text lines do not show the context
    spdlog::warn("disk full");
  }
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(err, "veil: warning: disk full\n");
}

TEST(ConfigureLogging, KeepsTheLevel) {
  DefaultLoggerRestorer restore;
  const auto level = spdlog::default_logger()->level();
  spdlog::default_logger()->set_level(spdlog::level::warn);
  configure_logging(LogFormat::kJson);
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::warn);
  configure_logging(LogFormat::kText);
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::warn);
  spdlog::default_logger()->set_level(level);
}

TEST(LogSummary, TextIsThePlainLine) {
  DefaultLoggerRestorer restore;
  configure_logging(LogFormat::kText);
  testing::internal::CaptureStderr();
  log_summary("worker stopped after 3 jobs");
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "veil: worker stopped after 3 jobs\n");
}

TEST(LogSummary, JsonIsOneInfoLineEvenWhenQuiet) {
  DefaultLoggerRestorer restore;
  configure_logging(LogFormat::kJson);
  const auto level = spdlog::default_logger()->level();
  spdlog::default_logger()->set_level(spdlog::level::warn);  // as --quiet does
  testing::internal::CaptureStderr();
  {
    LogContext job("job", "42");
    spdlog::info("hidden by the level");
    log_summary("worker stopped after 3 jobs");
  }
  const std::string err = testing::internal::GetCapturedStderr();
  spdlog::default_logger()->set_level(level);
  ASSERT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  const nlohmann::json line = nlohmann::json::parse(err);
  EXPECT_EQ(line["level"], "info");
  EXPECT_EQ(line["message"], "worker stopped after 3 jobs");
  EXPECT_EQ(line["job"], "42");
}

}  // namespace
}  // namespace veil
