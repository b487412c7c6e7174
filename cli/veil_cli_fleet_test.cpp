// `veil submit` / `veil worker` / `veil status` against a real nats-server
// (JetStream, file storage) on 127.0.0.1: several workers, crashes, poison
// jobs, a server restart and graceful stops, on real clips and photos.
#include "io/video_source.hpp"
#include "local_servers.hpp"
#include "test_paths.hpp"
#include "veil/storage/object_store.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <fstream>
#include <set>
#include <tuple>
#include <thread>

namespace veil {
namespace fs = std::filesystem;

namespace {

const fs::path kDashcam = test::video_dir() / "CarND-Vehicle-Detection_test_video.mp4";

class VeilFleet : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::make_temp_dir("fleet");
    fs::create_directories(dir_ / "in");
  }
  void TearDown() override {
    workers_.clear();
    fs::remove_all(dir_);
  }

  int veil(const std::string& args) {
    return test::run_command(env() + "'" + test::cli_path().string() + "' " + args, &output_);
  }
  std::string env() const { return "VEIL_MODEL_DIR='" + test::model_dir().string() + "' "; }

  test::ChildProcess& start_worker(const std::string& extra = "") {
    const std::string log = (dir_ / ("worker-" + std::to_string(workers_.size()) + ".log")).string();
    workers_.push_back(std::make_unique<test::ChildProcess>(
        std::vector<std::string>{"sh", "-c",
                                 "exec env " + env() + "'" + test::cli_path().string() + "' worker --nats " +
                                     nats_.url() + " --ack-wait 3 " + extra},
        log));
    return *workers_.back();
  }

  nlohmann::json status() {
    EXPECT_EQ(veil("status --json --nats " + nats_.url()), 0) << output_;
    return nlohmann::json::parse(output_);
  }
  // Waits until `done` jobs are done (or `seconds` pass); returns the status.
  nlohmann::json wait_for_done(int done, double seconds, int failed = 0) {
    nlohmann::json st;
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    do {
      st = status();
      if (st["done"].get<int>() >= done && st["failed"].get<int>() >= failed && st["running"] == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    } while (std::chrono::steady_clock::now() < until);
    return st;
  }
  // Waits until a worker's log shows it started a job.
  static bool wait_for_start(test::ChildProcess& worker, double seconds) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < until) {
      if (worker.output().find("(try ") != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  // Waits until a worker is encoding into `folder` (its hidden temporary
  // output file exists): the job is in the middle of the video.
  static bool wait_for_encoding(const fs::path& folder, double seconds) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < until) {
      std::error_code ec;
      for (const auto& e : fs::directory_iterator(folder, ec)) {
        if (e.path().filename().string().find(".veil-") != std::string::npos) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  // Names in `folder`, hidden temporaries of killed workers left out.
  static std::vector<std::string> visible_files(const fs::path& folder) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(folder)) {
      const std::string n = e.path().filename().string();
      if (n[0] != '.') names.push_back(n);
    }
    std::sort(names.begin(), names.end());
    return names;
  }
  static std::int64_t frames_in(const fs::path& video) {
    VideoSource source(video);
    Frame f;
    std::int64_t n = 0;
    while (source.read(f)) ++n;
    return n;
  }
  // Objects the sidecars list, by class: one per track of a file, and one
  // per untracked box (a photo's).
  static nlohmann::json objects_in(const std::vector<fs::path>& sidecars) {
    std::set<std::tuple<std::string, std::string, int>> tracks;
    std::map<std::string, int> untracked;
    for (const auto& p : sidecars) {
      std::ifstream in(p);
      for (std::string l; std::getline(in, l);) {
        auto j = nlohmann::json::parse(l);
        if (!j.contains("detections")) continue;
        for (const auto& d : j["detections"]) {
          if (d.contains("track")) {
            tracks.emplace(j["file"], d["class"], d["track"].get<int>());
          } else {
            ++untracked[d["class"]];
          }
        }
      }
    }
    nlohmann::json out = untracked;
    for (const auto& [file, cls, id] : tracks) out[cls] = out.value(cls, 0) + 1;
    return out;
  }

  static std::map<std::string, nlohmann::json> detections_by_file(const std::vector<fs::path>& sidecars) {
    std::map<std::string, nlohmann::json> out;
    for (const auto& p : sidecars) {
      std::ifstream in(p);
      for (std::string l; std::getline(in, l);) {
        auto j = nlohmann::json::parse(l);
        if (j.contains("detections")) out[j["file"].get<std::string>()].push_back(j["detections"]);
      }
    }
    return out;
  }

  fs::path dir_;
  std::string output_;
  test::LocalNats nats_;
  std::vector<std::unique_ptr<test::ChildProcess>> workers_;
};

TEST_F(VeilFleet, ThreeWorkersDoEveryJobOnceAsAnonymizeWouldAndDeadLetterThePoisonOne) {
  // 24 jobs from real data: 20 photos and 4 copies of a dashcam clip with
  // audio; and one corrupt file.
  int photos = 0;
  for (const auto& e : fs::directory_iterator(test::shared_dir() / "data/faces-dev/images")) {
    if (photos == 20) break;
    fs::copy_file(e.path(), dir_ / "in" / e.path().filename());
    ++photos;
  }
  for (int i = 0; i < 4; ++i) fs::copy_file(kDashcam, dir_ / "in" / ("dash" + std::to_string(i) + ".mp4"));
  std::ofstream(dir_ / "in" / "poison.mp4") << "not a video at all";
  const std::string opts = " --preset ultrafast";

  ASSERT_EQ(veil("submit " + (dir_ / "in").string() + " --to " + (dir_ / "out").string() + " --sidecars --nats " +
                 nats_.url() + opts),
            0)
      << output_;
  EXPECT_NE(output_.find("25 jobs queued"), std::string::npos) << output_;
  // The same submission again queues nothing.
  ASSERT_EQ(veil("submit " + (dir_ / "in").string() + " --to " + (dir_ / "out").string() + " --sidecars --nats " +
                 nats_.url() + opts),
            0);
  EXPECT_NE(output_.find("0 jobs queued"), std::string::npos) << output_;
  EXPECT_EQ(status()["queued"], 25);

  for (int i = 0; i < 3; ++i) start_worker("--exit-when-idle 4");
  for (auto& w : workers_) {
    auto code = w->wait(600);
    ASSERT_TRUE(code) << "worker still running";
    EXPECT_EQ(*code, 0) << w->output();
  }
  nlohmann::json st = status();
  EXPECT_EQ(st["done"], 24) << st.dump().substr(0, 2000);
  EXPECT_EQ(st["failed"], 1) << st.dump().substr(0, 2000);
  EXPECT_EQ(st["queued"], 0);
  EXPECT_EQ(st["running"], 0);
  ASSERT_EQ(st["failures"].size(), 1u);
  EXPECT_NE(st["failures"][0]["error"].get<std::string>().find("poison.mp4"), std::string::npos);
  EXPECT_EQ(st["failures"][0]["deliveries"], 3);

  // The same inputs through one local `veil anonymize`.
  ASSERT_EQ(veil("anonymize " + (dir_ / "in").string() + " -o " + (dir_ / "local").string() + " --detections " +
                 (dir_ / "local.jsonl").string() + opts + " -q"),
            3);  // partial: the poison file fails there too
  std::vector<fs::path> sidecars;
  for (const auto& name : visible_files(dir_ / "out")) {
    if (fs::path(name).extension() == ".jsonl") sidecars.push_back(dir_ / "out" / name);
  }
  ASSERT_EQ(sidecars.size(), 24u);
  EXPECT_EQ(detections_by_file(sidecars), detections_by_file({dir_ / "local.jsonl"}));
  // `veil status` counts the objects the done jobs hid, as their sidecars list them.
  EXPECT_EQ(st["objects"], objects_in(sidecars)) << st.dump().substr(0, 2000);
  EXPECT_GT(st["objects"].value("face", 0), 20);
  std::vector<std::string> outputs;
  for (const auto& name : visible_files(dir_ / "out")) {
    if (fs::path(name).extension() != ".jsonl") outputs.push_back(name);
  }
  EXPECT_EQ(outputs, visible_files(dir_ / "local"));
  for (int i = 0; i < 4; ++i) {
    const std::string name = "dash" + std::to_string(i) + ".mp4";
    EXPECT_EQ(frames_in(dir_ / "out" / name), frames_in(dir_ / "local" / name));
  }
}

TEST_F(VeilFleet, AJobOfAKilledWorkerIsRedeliveredAndDoneOnce) {
  fs::copy_file(kDashcam, dir_ / "in" / "clip.mp4");
  ASSERT_EQ(veil("submit " + (dir_ / "in").string() + " --to " + (dir_ / "out").string() + " --nats " + nats_.url() +
                 " --preset ultrafast"),
            0)
      << output_;
  fs::create_directories(dir_ / "out");
  test::ChildProcess& doomed = start_worker();
  ASSERT_TRUE(wait_for_encoding(dir_ / "out", 120)) << doomed.output();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  doomed.signal(SIGKILL);
  ASSERT_TRUE(doomed.wait(10));
  EXPECT_EQ(status()["done"], 0);

  test::ChildProcess& rescuer = start_worker("--exit-when-idle 5");
  auto code = rescuer.wait(600);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 0) << rescuer.output();
  EXPECT_NE(rescuer.output().find("(try 2)"), std::string::npos) << rescuer.output();
  nlohmann::json st = status();
  EXPECT_EQ(st["done"], 1) << st.dump();
  EXPECT_EQ(visible_files(dir_ / "out"), std::vector<std::string>{"clip.mp4"});
  EXPECT_EQ(frames_in(dir_ / "out" / "clip.mp4"), frames_in(kDashcam));
}

TEST_F(VeilFleet, SigtermGivesTheJobBackWithinTheGracePeriod) {
  fs::copy_file(kDashcam, dir_ / "in" / "clip.mp4");
  ASSERT_EQ(veil("submit " + (dir_ / "in").string() + " --to " + (dir_ / "out").string() + " --nats " + nats_.url() +
                 " --preset ultrafast"),
            0)
      << output_;
  fs::create_directories(dir_ / "out");
  test::ChildProcess& first = start_worker();
  ASSERT_TRUE(wait_for_encoding(dir_ / "out", 120)) << first.output();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto sent = std::chrono::steady_clock::now();
  first.signal(SIGTERM);
  auto code = first.wait(10);
  ASSERT_TRUE(code) << "the worker did not stop within 10 s of SIGTERM";
  EXPECT_EQ(*code, 0) << first.output();
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count(), 10.0);
  EXPECT_NE(first.output().find("given back"), std::string::npos) << first.output();
  EXPECT_FALSE(fs::exists(dir_ / "out" / "clip.mp4"));

  test::ChildProcess& second = start_worker("--exit-when-idle 5");
  ASSERT_TRUE(second.wait(600));
  nlohmann::json st = status();
  EXPECT_EQ(st["done"], 1) << st.dump();
  EXPECT_EQ(visible_files(dir_ / "out"), std::vector<std::string>{"clip.mp4"});
  EXPECT_EQ(frames_in(dir_ / "out" / "clip.mp4"), frames_in(kDashcam));
}

TEST_F(VeilFleet, ServerRestartedMidRunLosesNoJob) {
  int photos = 0;
  for (const auto& e : fs::directory_iterator(test::shared_dir() / "data/faces-dev/images")) {
    if (photos == 8) break;
    fs::copy_file(e.path(), dir_ / "in" / e.path().filename());
    ++photos;
  }
  fs::copy_file(kDashcam, dir_ / "in" / "dash.mp4");
  ASSERT_EQ(veil("submit " + (dir_ / "in").string() + " --to " + (dir_ / "out").string() + " --nats " + nats_.url() +
                 " --preset ultrafast"),
            0)
      << output_;
  start_worker();
  start_worker();
  ASSERT_TRUE(wait_for_start(*workers_[0], 60));
  std::this_thread::sleep_for(std::chrono::seconds(2));
  nats_.stop();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  nats_.start();
  nlohmann::json st = wait_for_done(9, 300);
  EXPECT_EQ(st["done"], 9) << st.dump() << workers_[0]->output() << workers_[1]->output();
  EXPECT_EQ(st["queued"], 0);
  EXPECT_EQ(visible_files(dir_ / "out").size(), 9u);
  for (auto& w : workers_) {
    w->signal(SIGTERM);
    EXPECT_EQ(w->wait(20), 0) << w->output();
  }
}

TEST_F(VeilFleet, JobsReadAndWriteS3) {
  test::LocalS3 s3({"raw", "shareable"});
  test::S3Environment env(s3.endpoint());  // inherited by the workers
  auto raw = open_object_location("s3://raw/").store;
  const fs::path photo = test::shared_dir() / "data/faces-dev/images/maksssksksss0.jpg";
  raw->upload(photo, "2026/11/30/cam1/a.jpg");
  raw->upload(photo, "2026/11/30/cam2/b.jpg");
  raw->upload(kDashcam, "2026/11/30/cam2/dash.mp4");
  ASSERT_EQ(veil("submit s3://raw/2026/11/30/ --to s3://shareable/2026/11/30/ --sidecars --nats " + nats_.url() +
                 " --preset ultrafast"),
            0)
      << output_;
  EXPECT_NE(output_.find("3 jobs queued"), std::string::npos) << output_;
  test::ChildProcess& worker = start_worker("--exit-when-idle 3");
  ASSERT_EQ(worker.wait(300), 0) << worker.output();
  std::vector<std::string> keys;
  for (const auto& o : open_object_location("s3://shareable/").store->list("")) keys.push_back(o.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"2026/11/30/cam1/a.jpg", "2026/11/30/cam1/a.jpg.jsonl",
                                            "2026/11/30/cam2/b.jpg", "2026/11/30/cam2/b.jpg.jsonl",
                                            "2026/11/30/cam2/dash.mp4", "2026/11/30/cam2/dash.mp4.jsonl"}));
  EXPECT_EQ(status()["done"], 3);
}

}  // namespace
}  // namespace veil
