// Veil's metrics in Prometheus's text format, checked by Prometheus's own
// promtool, and the probes served over HTTP.
#include "test_paths.hpp"
#include "veil/core/error.hpp"
#include "veil/ops/monitoring.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <regex>

namespace veil {
namespace {

namespace fs = std::filesystem;

// The sample's value in the text format, or NaN when absent.
double sample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return std::nan("");
}

int port_of(const std::string& url) { return std::stoi(url.substr(url.rfind(':') + 1)); }

TEST(Metrics, CountJobsFramesFootageAndObjectsAndPassPromtool) {
  Metrics m;
  m.job_started();
  m.job_started();
  JobReport r;
  r.frames = 221;
  r.footage_seconds = 8.84;
  r.seconds = 19.5;
  r.objects = {{"face", 2}, {"plate", 3}};
  r.boxes = 412;
  m.job_done(r);
  m.job_failed("error");
  m.set_jobs_pending(7);
  m.live_status(100, 90, 4, 1, 0.8, 1.2, true);
  m.live_status(130, 125, 6, 1, 0.7, 0.9, false);
  const std::string text = m.text();
  EXPECT_EQ(sample(text, "veil_jobs_started_total"), 2);
  EXPECT_EQ(sample(text, "veil_jobs_done_total"), 1);
  EXPECT_EQ(sample(text, "veil_jobs_failed_total{reason=\"error\"}"), 1);
  EXPECT_EQ(sample(text, "veil_jobs_pending"), 7);
  EXPECT_EQ(sample(text, "veil_frames_processed_total"), 221 + 125);  // jobs, then live frames written
  EXPECT_DOUBLE_EQ(sample(text, "veil_footage_seconds_total"), 8.84);
  EXPECT_DOUBLE_EQ(sample(text, "veil_processing_seconds_total"), 19.5);
  EXPECT_EQ(sample(text, "veil_objects_hidden_total{class=\"face\"}"), 2);
  EXPECT_EQ(sample(text, "veil_objects_hidden_total{class=\"plate\"}"), 3);
  EXPECT_EQ(sample(text, "veil_boxes_hidden_total"), 412);
  EXPECT_EQ(sample(text, "veil_live_frames_in_total"), 130);
  EXPECT_EQ(sample(text, "veil_live_frames_hidden_whole_total"), 6);
  EXPECT_EQ(sample(text, "veil_live_reconnects_total"), 1);
  EXPECT_DOUBLE_EQ(sample(text, "veil_live_latency_seconds"), 0.7);
  EXPECT_EQ(sample(text, "veil_live_input_up"), 0);

  // Prometheus's own linter: format, naming (base units, _total), help.
  const fs::path dir = test::make_temp_dir("metrics");
  std::ofstream(dir / "metrics.txt") << text;
  std::string out;
  EXPECT_EQ(test::run_command("promtool check metrics < '" + (dir / "metrics.txt").string() + "'", &out), 0) << out;
  EXPECT_EQ(out, "") << "promtool's warnings:\n" << out;
  fs::remove_all(dir);
}

TEST(Health, ReadyOnlyWhenEveryConditionHolds) {
  Health h;
  std::string report;
  EXPECT_FALSE(h.ready(&report)) << "nothing said yet: still starting";
  h.set("models", true, "the default line-up");
  h.set("nats", false, "waiting for nats://127.0.0.1:4222");
  EXPECT_FALSE(h.ready(&report));
  EXPECT_NE(report.find("nats: not ready (waiting for nats://127.0.0.1:4222)"), std::string::npos) << report;
  h.set("nats", true);
  EXPECT_TRUE(h.ready(&report)) << report;
}

TEST(MonitoringServer, ServesMetricsAndProbes) {
  Metrics metrics;
  Health health;
  MonitoringServer server("127.0.0.1:0", metrics, health);
  httplib::Client client("127.0.0.1", port_of(server.url()));
  auto healthz = client.Get("/healthz");
  ASSERT_TRUE(healthz);
  EXPECT_EQ(healthz->status, 200);
  auto readyz = client.Get("/readyz");
  ASSERT_TRUE(readyz);
  EXPECT_EQ(readyz->status, 503) << "not ready before the models are loaded";
  health.set("models", true);
  readyz = client.Get("/readyz");
  EXPECT_EQ(readyz->status, 200) << readyz->body;
  metrics.job_started();
  auto scraped = client.Get("/metrics");
  ASSERT_TRUE(scraped);
  EXPECT_EQ(scraped->status, 200);
  EXPECT_EQ(scraped->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(sample(scraped->body, "veil_jobs_started_total"), 1);
  EXPECT_EQ(client.Get("/other")->status, 404);
}

TEST(MonitoringServer, RefusesAMalformedAddressAndAPortInUse) {
  Metrics metrics;
  Health health;
  for (const std::string bad : {"9464", "127.0.0.1:", "127.0.0.1:http", "127.0.0.1:70000"}) {
    try {
      MonitoringServer server(bad, metrics, health);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("--metrics"), std::string::npos) << e.what();
    }
  }
  MonitoringServer first("127.0.0.1:0", metrics, health);
  const std::string taken = "127.0.0.1:" + std::to_string(port_of(first.url()));
  EXPECT_THROW(MonitoringServer(taken, metrics, health), Error);
}

}  // namespace
}  // namespace veil
