// `veil watch` on real photos and clips: each file once, across restarts;
// again only when its bytes change; a file still being written left alone;
// sources deleted only after their output reads back whole; failures retried
// and reported; local folders and s3:// prefixes (a real s3rver).
#include "local_servers.hpp"
#include "test_paths.hpp"
#include "veil/storage/object_store.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <fstream>
#include <thread>

namespace veil {
namespace fs = std::filesystem;

namespace {

const fs::path kPhotos = test::shared_dir() / "data/faces-dev/images";

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class VeilWatch : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::make_temp_dir("watch");
    fs::create_directories(dir_ / "in" / "sub");
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string env() const { return "VEIL_MODEL_DIR='" + test::model_dir().string() + "' "; }
  int veil(const std::string& args) {
    return test::run_command(env() + "'" + test::cli_path().string() + "' " + args, &output_);
  }
  // A file as a camera's uploader leaves it: written a while ago.
  void put(const fs::path& from, const fs::path& to) {
    fs::copy_file(from, to, fs::copy_options::overwrite_existing);
    fs::last_write_time(to, fs::file_time_type::clock::now() - std::chrono::hours(1));
  }
  // What `veil anonymize` makes of `input`: watch must write the same.
  std::string anonymized(const fs::path& input) {
    const fs::path out = dir_ / "reference" / input.filename();
    fs::create_directories(out.parent_path());
    EXPECT_EQ(veil("anonymize '" + input.string() + "' -o '" + out.string() + "' -q"), 0) << output_;
    return read_bytes(out);
  }
  std::string watch_once(const std::string& extra = "") {
    const int rc = veil("watch '" + (dir_ / "in").string() + "' --to '" + (dir_ / "out").string() + "' --once " + extra);
    EXPECT_EQ(rc, 0) << output_;
    return output_;
  }

  fs::path dir_;
  std::string output_;
};

TEST_F(VeilWatch, OnceDoesEachFileOnceAcrossRestartsAndAgainOnlyWhenItsBytesChange) {
  put(kPhotos / "maksssksksss0.jpg", dir_ / "in" / "a.jpg");
  put(kPhotos / "maksssksksss102.jpg", dir_ / "in" / "sub" / "b.jpg");
  std::ofstream(dir_ / "in" / "notes.txt") << "not media";
  EXPECT_NE(watch_once().find("watch: 2 anonymized, 0 already done, 0 failed"), std::string::npos) << output_;
  EXPECT_EQ(read_bytes(dir_ / "out" / "a.jpg"), anonymized(dir_ / "in" / "a.jpg"));
  EXPECT_EQ(read_bytes(dir_ / "out" / "sub" / "b.jpg"), anonymized(dir_ / "in" / "sub" / "b.jpg"));
  EXPECT_FALSE(fs::exists(dir_ / "out" / "notes.txt"));
  const auto written = fs::last_write_time(dir_ / "out" / "a.jpg");

  // Restarted: nothing again.
  EXPECT_NE(watch_once().find("watch: 0 anonymized, 2 already done"), std::string::npos) << output_;
  // The same bytes copied in again (a new modification time): nothing again.
  put(kPhotos / "maksssksksss0.jpg", dir_ / "in" / "a.jpg");
  fs::last_write_time(dir_ / "in" / "a.jpg", fs::file_time_type::clock::now() - std::chrono::minutes(30));
  EXPECT_NE(watch_once().find("watch: 0 anonymized, 2 already done"), std::string::npos) << output_;
  EXPECT_EQ(fs::last_write_time(dir_ / "out" / "a.jpg"), written);
  // Different bytes under the same name: done again.
  put(kPhotos / "maksssksksss105.jpg", dir_ / "in" / "sub" / "b.jpg");
  EXPECT_NE(watch_once().find("watch: 1 anonymized, 1 already done"), std::string::npos) << output_;
  EXPECT_EQ(read_bytes(dir_ / "out" / "sub" / "b.jpg"), anonymized(dir_ / "in" / "sub" / "b.jpg"));
}

TEST_F(VeilWatch, AFileStillBeingWrittenIsTakenOnlyOnceItStopsGrowing) {
  const std::string video = read_bytes(test::video_dir() / "face-demographics-walking.gif");
  test::ChildProcess watch({"sh", "-c",
                            "exec env " + env() + "'" + test::cli_path().string() + "' watch '" +
                                (dir_ / "in").string() + "' --to '" + (dir_ / "out").string() +
                                "' --interval 0.2s --settle 4s"},
                           dir_ / "watch.log");
  // Written in ten pieces over about two seconds, as a slow upload would,
  // each well within the settle time even on a busy machine.
  {
    std::ofstream out(dir_ / "in" / "walk.gif", std::ios::binary);
    const std::size_t piece = video.size() / 10 + 1;
    for (std::size_t at = 0; at < video.size(); at += piece) {
      out.write(video.data() + at, std::streamsize(std::min(piece, video.size() - at)));
      out.flush();
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      ASSERT_FALSE(fs::exists(dir_ / "out" / "walk.gif")) << "taken while still being written\n" << watch.output();
    }
  }
  for (int i = 0; i < 600 && !fs::exists(dir_ / "out" / "walk.gif"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(fs::exists(dir_ / "out" / "walk.gif")) << watch.output();
  watch.signal(SIGTERM);
  ASSERT_EQ(watch.wait(30), 0) << watch.output();
  EXPECT_EQ(count_of(watch.output(), "walk.gif -> "), 1u) << watch.output();
  EXPECT_EQ(read_bytes(dir_ / "out" / "walk.gif"), anonymized(dir_ / "in" / "walk.gif"));
}

TEST_F(VeilWatch, DeleteSourceKeepsWhatFailedAndReportsIt) {
  put(kPhotos / "maksssksksss0.jpg", dir_ / "in" / "a.jpg");
  put(test::video_dir() / "head-pose-face-detection-female-and-male.gif", dir_ / "in" / "sub" / "pose.gif");
  std::ofstream(dir_ / "in" / "broken.jpg") << "this is not a JPEG";
  fs::last_write_time(dir_ / "in" / "broken.jpg", fs::file_time_type::clock::now() - std::chrono::hours(1));
  const fs::path manifest = dir_ / "manifest.jsonl";
  const int rc = veil("watch '" + (dir_ / "in").string() + "' --to '" + (dir_ / "out").string() +
                      "' --once --delete-source --manifest '" + manifest.string() + "'");
  EXPECT_EQ(rc, 3) << "some files failed: partial\n" << output_;
  EXPECT_NE(output_.find("watch: 2 anonymized, 0 already done, 1 failed, 2 sources deleted"), std::string::npos) << output_;
  EXPECT_NE(output_.find("(try 3 of 3; giving up)"), std::string::npos) << output_;
  EXPECT_NE(output_.find("failed: " + (dir_ / "in" / "broken.jpg").string()), std::string::npos) << output_;
  EXPECT_FALSE(fs::exists(dir_ / "in" / "a.jpg"));
  EXPECT_FALSE(fs::exists(dir_ / "in" / "sub" / "pose.gif"));
  EXPECT_TRUE(fs::exists(dir_ / "in" / "broken.jpg")) << "a source whose output failed is kept";
  EXPECT_TRUE(fs::exists(dir_ / "out" / "a.jpg"));
  EXPECT_TRUE(fs::exists(dir_ / "out" / "sub" / "pose.gif"));
  EXPECT_FALSE(fs::exists(dir_ / "out" / "broken.jpg"));
  std::vector<std::string> refs;
  std::ifstream in(manifest);
  for (std::string line; std::getline(in, line);) refs.push_back(nlohmann::json::parse(line).at("source-ref"));
  EXPECT_EQ(refs, (std::vector<std::string>{(dir_ / "out" / "a.jpg").string(), (dir_ / "out" / "sub" / "pose.gif").string()}));
}

TEST_F(VeilWatch, AnS3PrefixIntoAnotherOnceAndAgainOnlyForNewBytes) {
  test::LocalS3 s3({"raw", "shareable"});
  test::S3Environment s3_env(s3.endpoint());
  auto raw = open_object_location("s3://raw/").store;
  raw->upload(kPhotos / "maksssksksss0.jpg", "cam1/a.jpg");
  raw->upload(kPhotos / "maksssksksss102.jpg", "cam1/2026/b.jpg");
  const std::string cmd = "watch s3://raw/cam1/ --to s3://shareable/cam1/ --once --manifest s3://shareable/manifest.jsonl";
  ASSERT_EQ(veil(cmd), 0) << output_;
  EXPECT_NE(output_.find("watch: 2 anonymized"), std::string::npos) << output_;
  auto shareable = open_object_location("s3://shareable/").store;
  std::vector<std::string> keys;
  for (const auto& o : shareable->list("")) {
    if (o.key.find(".veil-watch/") == std::string::npos) keys.push_back(o.key);
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"cam1/2026/b.jpg", "cam1/a.jpg", "manifest.jsonl"}));
  EXPECT_EQ(shareable->list("cam1/.veil-watch/").size(), 2u) << "one record per source, beside the outputs";

  // The same bytes uploaded again: the same ETag, nothing to do.
  raw->upload(kPhotos / "maksssksksss0.jpg", "cam1/a.jpg");
  ASSERT_EQ(veil(cmd), 0) << output_;
  EXPECT_NE(output_.find("watch: 0 anonymized, 2 already done"), std::string::npos) << output_;
  // New bytes under an old key, and a new key: both.
  raw->upload(kPhotos / "maksssksksss105.jpg", "cam1/a.jpg");
  raw->upload(kPhotos / "maksssksksss105.jpg", "cam1/c.jpg");
  ASSERT_EQ(veil(cmd), 0) << output_;
  EXPECT_NE(output_.find("watch: 2 anonymized, 1 already done"), std::string::npos) << output_;

  auto reader = shareable->open("manifest.jsonl");
  std::string text(std::size_t(reader->size()), '\0');
  reader->read_at(0, text.data(), text.size());
  EXPECT_EQ(text,
            "{\"source-ref\":\"s3://shareable/cam1/2026/b.jpg\"}\n{\"source-ref\":\"s3://shareable/cam1/a.jpg\"}\n"
            "{\"source-ref\":\"s3://shareable/cam1/c.jpg\"}\n");
}

TEST_F(VeilWatch, RefusesAFileAsSourceAndBadOptions) {
  put(kPhotos / "maksssksksss0.jpg", dir_ / "in" / "a.jpg");
  EXPECT_EQ(veil("watch '" + (dir_ / "in" / "a.jpg").string() + "' --to '" + (dir_ / "out").string() + "' --once"), 1);
  EXPECT_NE(output_.find("not a folder (watch needs a folder or an s3:// prefix)"), std::string::npos) << output_;
  EXPECT_EQ(veil("watch '" + (dir_ / "in").string() + "' --to '" + (dir_ / "out").string() + "' --interval soon"), 2);
  EXPECT_NE(output_.find("--interval"), std::string::npos) << output_;
  EXPECT_EQ(veil("watch '" + (dir_ / "in").string() + "' --to '" + (dir_ / "out").string() + "' --mode smudge"), 2)
      << output_;
  EXPECT_FALSE(fs::exists(dir_ / "out" / "a.jpg"));
}

}  // namespace
}  // namespace veil
