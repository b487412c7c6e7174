// Veil run as a fleet is run: `veil watch` submitting what is uploaded to an
// S3 prefix (a real s3rver), a `veil worker` on NATS JetStream (a real
// nats-server) with --metrics and JSON logs, and a real Prometheus scraping
// the worker; promtool checks the metrics' format.
#include "local_servers.hpp"
#include "test_paths.hpp"
#include "veil/storage/object_store.hpp"

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <fstream>
#include <regex>
#include <thread>

namespace veil {
namespace fs = std::filesystem;

namespace {

const fs::path kPhotos = test::shared_dir() / "data/faces-dev/images";

class VeilOps : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::make_temp_dir("ops"); }
  void TearDown() override { fs::remove_all(dir_); }

  std::string env() const { return "VEIL_MODEL_DIR='" + test::model_dir().string() + "' "; }
  int veil(const std::string& args) {
    return test::run_command(env() + "'" + test::cli_path().string() + "' " + args, &output_);
  }
  // Polls `ok` for up to `seconds`.
  template <typename F>
  static bool eventually(double seconds, F ok) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < until) {
      if (ok()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return ok();
  }

  fs::path dir_;
  std::string output_;
};

// The "host:port" a JSON-logging process says it serves its metrics on.
std::string metrics_address(const std::string& log) {
  std::smatch m;
  static const std::regex url(R"(metrics and probes on http://(127\.0\.0\.1:\d+)/metrics)");
  return std::regex_search(log, m, url) ? m[1].str() : "";
}

TEST_F(VeilOps, WatchSubmitsEachUploadOnceAndPrometheusScrapesTheWorker) {
  test::LocalS3 s3({"raw", "shareable"});
  test::S3Environment s3_env(s3.endpoint());  // inherited by watch and the worker
  test::LocalNats nats;
  auto raw = open_object_location("s3://raw/").store;
  const std::vector<std::pair<fs::path, std::string>> uploads = {
      {kPhotos / "maksssksksss0.jpg", "cam1/a.jpg"},
      {kPhotos / "maksssksksss102.jpg", "cam1/b.jpg"},
      {kPhotos / "maksssksksss105.jpg", "cam2/c.jpg"},
      {test::video_dir() / "face-demographics-walking.gif", "cam2/walk.gif"}};
  for (const auto& [file, key] : uploads) raw->upload(file, key);

  const std::string watch = "watch s3://raw/ --to s3://shareable/ --once --nats " + nats.url();
  ASSERT_EQ(veil(watch), 0) << output_;
  EXPECT_NE(output_.find("watch: 4 submitted, 0 already done"), std::string::npos) << output_;

  test::ChildProcess worker({"sh", "-c",
                             "exec env " + env() + "'" + test::cli_path().string() + "' worker --nats " + nats.url() +
                                 " --metrics 127.0.0.1:0 --log-format json"},
                            dir_ / "worker.log");
  std::string address;
  ASSERT_TRUE(eventually(60, [&] { return !(address = metrics_address(worker.output())).empty(); }))
      << worker.output();
  test::LocalPrometheus prometheus("veil-worker", {address});
  httplib::Client probe("127.0.0.1", std::stoi(address.substr(address.find(':') + 1)));
  EXPECT_TRUE(eventually(60, [&] {
    auto res = probe.Get("/readyz");
    return res && res->status == 200;
  })) << worker.output();

  // Four uploads, four outputs.
  auto shareable = open_object_location("s3://shareable/").store;
  auto outputs = [&] {
    std::vector<std::string> keys;
    for (const auto& o : shareable->list("")) keys.push_back(o.key);
    return keys;
  };
  ASSERT_TRUE(eventually(300, [&] { return outputs().size() == 4; })) << worker.output();
  EXPECT_EQ(outputs(), (std::vector<std::string>{"cam1/a.jpg", "cam1/b.jpg", "cam2/c.jpg", "cam2/walk.gif"}));

  // The same bytes uploaded again: no new job.
  for (const auto& [file, key] : uploads) raw->upload(file, key);
  ASSERT_EQ(veil(watch), 0) << output_;
  EXPECT_NE(output_.find("watch: 0 submitted, 4 already done"), std::string::npos) << output_;

  // What the worker says about itself, in Prometheus's format.
  auto metrics = probe.Get("/metrics");
  ASSERT_TRUE(metrics && metrics->status == 200);
  std::ofstream(dir_ / "metrics.txt") << metrics->body;
  std::string lint;
  EXPECT_EQ(test::run_command("promtool check metrics < '" + (dir_ / "metrics.txt").string() + "'", &lint), 0) << lint;
  EXPECT_EQ(lint, "") << lint;

  // Prometheus sees the worker up, and its veil_ series.
  auto value = [&](const std::string& q) {
    const nlohmann::json r = prometheus.query(q);
    return r.empty() ? std::nan("") : std::stod(r[0]["value"][1].get<std::string>());
  };
  EXPECT_TRUE(eventually(30, [&] { return value("up{job=\"veil-worker\"}") == 1; })) << prometheus.output();
  EXPECT_TRUE(eventually(30, [&] { return value("veil_jobs_done_total{job=\"veil-worker\"}") == 4; }));
  EXPECT_GE(value("count({__name__=~\"veil_.+\", job=\"veil-worker\"})"), 5);
  EXPECT_EQ(value("veil_jobs_started_total"), 4) << "the same bytes again started no job";
  EXPECT_GT(value("veil_frames_processed_total"), 3);
  EXPECT_GT(value("veil_footage_seconds_total"), 2.5) << "the GIF plays for 2.9 s";
  EXPECT_GE(value("veil_objects_hidden_total{class=\"face\"}"), 3);

  worker.signal(SIGTERM);
  ASSERT_EQ(worker.wait(60), 0) << worker.output();
  // JSON logs: one object per line; a job's lines say which job and file.
  std::istringstream log(worker.output());
  int job_lines = 0;
  for (std::string line; std::getline(log, line);) {
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << "not JSON: " << line;
    EXPECT_TRUE(j.contains("time") && j.contains("level") && j.contains("message")) << line;
    if (j.contains("job")) {
      ++job_lines;
      EXPECT_EQ(j.value("file", "").rfind("s3://raw/cam", 0), 0u) << line;
    }
  }
  EXPECT_GE(job_lines, 4);
}

}  // namespace
}  // namespace veil
