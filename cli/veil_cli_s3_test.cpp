// `veil anonymize` and `veil eval` with s3:// inputs and outputs, against a
// real S3-compatible server on 127.0.0.1: the same results as local files,
// prefix runs, and nothing left behind when a run fails or is interrupted.
#include "io/video_source.hpp"
#include "local_servers.hpp"
#include "test_paths.hpp"
#include "veil/storage/object_store.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

extern "C" {
#include <libavformat/avformat.h>
}

#include <fstream>

namespace veil {
namespace fs = std::filesystem;

namespace {

const fs::path kDashcam = test::video_dir() / "CarND-Vehicle-Detection_test_video.mp4";

class VeilCliS3 : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::make_temp_dir("cli-s3");
    server_ = std::make_unique<test::LocalS3>(std::vector<std::string>{"raw", "shareable"});
    env_ = std::make_unique<test::S3Environment>(server_->endpoint());
  }
  void TearDown() override {
    env_.reset();
    server_.reset();
    fs::remove_all(dir_);
  }

  int veil(const std::string& args) {
    return test::run_command("VEIL_MODEL_DIR='" + test::model_dir().string() + "' '" + test::cli_path().string() +
                                 "' " + args,
                             &output_);
  }
  static std::string q(const std::string& p) { return "'" + p + "'"; }

  static ObjectStore& bucket(const std::string& name) {
    static std::map<std::string, std::shared_ptr<ObjectStore>> stores;
    auto& s = stores[name];
    s = open_object_location("s3://" + name + "/").store;
    return *s;
  }
  // Downloads an object to a local file.
  fs::path download(const std::string& bucket_name, const std::string& key) {
    auto reader = bucket(bucket_name).open(key);
    std::string data(std::size_t(reader->size()), '\0');
    std::size_t done = 0;
    while (done < data.size()) done += reader->read_at(std::int64_t(done), data.data() + done, data.size() - done);
    fs::path p = dir_ / ("dl-" + std::to_string(downloads_++) + fs::path(key).extension().string());
    std::ofstream(p, std::ios::binary).write(data.data(), std::streamsize(data.size()));
    return p;
  }
  static std::vector<std::string> keys(const std::string& bucket_name, const std::string& prefix) {
    std::vector<std::string> out;
    for (const auto& o : bucket(bucket_name).list(prefix)) out.push_back(o.key);
    return out;
  }
  static std::vector<nlohmann::json> detections_of(const fs::path& jsonl) {
    std::vector<nlohmann::json> out;
    std::ifstream in(jsonl);
    for (std::string l; std::getline(in, l);) out.push_back(nlohmann::json::parse(l)["detections"]);
    return out;
  }

  fs::path dir_;
  std::string output_;
  int downloads_ = 0;
  std::unique_ptr<test::LocalS3> server_;
  std::unique_ptr<test::S3Environment> env_;
};

// Every frame's pts, and the number of packets of each non-video stream.
struct Timeline {
  std::vector<std::int64_t> pts;
  std::vector<std::pair<int, int>> other_streams;  // (codec type, packets)
  bool operator==(const Timeline&) const = default;
};

Timeline timeline_of(const fs::path& file) {
  Timeline t;
  VideoSource source(file);
  Frame f;
  while (source.read(f)) t.pts.push_back(f.pts);
  AVFormatContext* ic = nullptr;
  EXPECT_EQ(avformat_open_input(&ic, file.c_str(), nullptr, nullptr), 0);
  avformat_find_stream_info(ic, nullptr);
  std::map<int, int> packets;
  AVPacket* pkt = av_packet_alloc();
  while (av_read_frame(ic, pkt) >= 0) {
    packets[pkt->stream_index]++;
    av_packet_unref(pkt);
  }
  av_packet_free(&pkt);
  for (unsigned i = 0; i < ic->nb_streams; ++i) {
    if (ic->streams[i]->codecpar->codec_type != AVMEDIA_TYPE_VIDEO) {
      t.other_streams.emplace_back(ic->streams[i]->codecpar->codec_type, packets[int(i)]);
    }
  }
  avformat_close_input(&ic);
  return t;
}

TEST_F(VeilCliS3, EveryMixOfLocalAndS3GivesTheLocalResult) {
  const std::string opts = " --preset ultrafast -q";
  const fs::path local = dir_ / "local.mp4", local_side = dir_ / "local.jsonl";
  ASSERT_EQ(veil("anonymize " + q(kDashcam) + " -o " + q(local) + " --detections " + q(local_side) + opts), 0)
      << output_;
  const Timeline expected = timeline_of(local);
  ASSERT_EQ(expected.pts.size(), 38u);
  ASSERT_EQ(expected.other_streams.size(), 1u) << "the clip's audio";
  const auto expected_detections = detections_of(local_side);

  // local -> s3
  ASSERT_EQ(veil("anonymize " + q(kDashcam) + " -o s3://raw/2026/11/30/cam7.mp4" + opts), 0) << output_;
  EXPECT_EQ(timeline_of(download("raw", "2026/11/30/cam7.mp4")), expected);
  // s3 -> s3, with the sidecar in the bucket too
  ASSERT_EQ(veil("anonymize s3://raw/2026/11/30/cam7.mp4 -o s3://shareable/2026/11/30/cam7.mp4 --detections "
                 "s3://shareable/2026/11/30/cam7.jsonl" +
                 opts),
            0)
      << output_;
  // The input was anonymized once already; compare the second pass with a
  // local second pass.
  const fs::path local2 = dir_ / "local2.mp4", local2_side = dir_ / "local2.jsonl";
  const fs::path first_pass = download("raw", "2026/11/30/cam7.mp4");
  ASSERT_EQ(veil("anonymize " + q(first_pass) + " -o " + q(local2) + " --detections " + q(local2_side) + opts), 0);
  EXPECT_EQ(timeline_of(download("shareable", "2026/11/30/cam7.mp4")), timeline_of(local2));
  EXPECT_EQ(detections_of(download("shareable", "2026/11/30/cam7.jsonl")), detections_of(local2_side));
  // s3 -> local, from the untouched clip
  bucket("raw").upload(kDashcam, "clips/dashcam.mp4");
  const fs::path back = dir_ / "back.mp4", back_side = dir_ / "back.jsonl";
  ASSERT_EQ(veil("anonymize s3://raw/clips/dashcam.mp4 -o " + q(back) + " --detections " + q(back_side) + opts), 0)
      << output_;
  EXPECT_EQ(timeline_of(back), expected);
  EXPECT_EQ(detections_of(back_side), expected_detections);
  // A prefix as the output of one file keeps the file's name.
  ASSERT_EQ(veil("anonymize s3://raw/clips/dashcam.mp4 -o s3://shareable/single/" + opts), 0) << output_;
  EXPECT_TRUE(bucket("shareable").stat("single/dashcam.mp4"));
  EXPECT_TRUE(test::open_multipart_uploads("shareable").empty());
}

TEST_F(VeilCliS3, PrefixRunKeepsRelativeKeysAndListsFailures) {
  const fs::path photo = test::shared_dir() / "data/faces-dev/images/maksssksksss0.jpg";
  bucket("raw").upload(kDashcam, "in/dashcam.mp4");
  bucket("raw").upload(photo, "in/photos/a.jpg");
  bucket("raw").upload(photo, "in/photos/sub/b.jpg");
  const fs::path junk = dir_ / "junk.mp4";
  std::ofstream(junk) << "this is not a video";
  bucket("raw").upload(junk, "in/broken.mp4");
  bucket("raw").upload(junk, "in/notes.txt");
  bucket("raw").upload(photo, "elsewhere/c.jpg");

  EXPECT_EQ(veil("anonymize s3://raw/in/ -o s3://shareable/out/ --image-format jpg --preset ultrafast"), 3)
      << "partial: one file failed, the others are done";
  EXPECT_NE(output_.find("failed: s3://raw/in/broken.mp4"), std::string::npos) << output_;
  EXPECT_NE(output_.find("3 files"), std::string::npos) << output_;
  EXPECT_EQ(keys("shareable", "out/"),
            (std::vector<std::string>{"out/dashcam.mp4", "out/photos/a.jpg", "out/photos/sub/b.jpg"}));
  EXPECT_TRUE(test::open_multipart_uploads("shareable").empty());

  // The same prefix without the trailing slash, into a local folder.
  const fs::path local = dir_ / "out";
  EXPECT_EQ(veil("anonymize s3://raw/in/photos -o " + q(local) + " -q"), 0) << output_;
  EXPECT_TRUE(fs::exists(local / "a.jpg"));
  EXPECT_TRUE(fs::exists(local / "sub" / "b.jpg"));
  EXPECT_NE(veil("anonymize s3://raw/nothing/ -o " + q(local)), 0);
  EXPECT_NE(output_.find("s3://raw/nothing/"), std::string::npos) << output_;
}

TEST_F(VeilCliS3, AnUploadThatKeepsFailingLeavesNothingAtTheKey) {
  test::FaultProxy proxy(server_->port(), nlohmann::json::parse(
                                              R"([{"method": "PUT", "url": "partNumber=2", "action": "503",
                                                   "times": -1}])"));
  test::S3Environment via_proxy(proxy.endpoint());
  ::setenv("AWS_MAX_ATTEMPTS", "3", 1);
  // Lossless, so that the output needs several 8 MiB parts.
  EXPECT_EQ(veil("anonymize " + q(kDashcam) + " -o s3://shareable/big.mp4 --crf 0 --preset ultrafast -q"), 1);
  EXPECT_NE(output_.find("s3://shareable/big.mp4"), std::string::npos) << output_;
  bool aborted = false;
  for (const auto& line : proxy.log()) {
    aborted |= line["method"] == "DELETE" && line["url"].get<std::string>().find("uploadId=") != std::string::npos;
  }
  EXPECT_TRUE(aborted);
  EXPECT_FALSE(bucket("shareable").stat("big.mp4"));
  EXPECT_TRUE(test::open_multipart_uploads("shareable").empty());
}

TEST_F(VeilCliS3, CtrlCDuringAnUploadAbortsIt) {
  // The second part never gets an answer; Ctrl-C arrives while it waits.
  test::FaultProxy proxy(server_->port(), nlohmann::json::parse(
                                              R"([{"method": "PUT", "url": "partNumber=2", "action": "hang"}])"));
  test::S3Environment via_proxy(proxy.endpoint());
  const std::string command =
      "VEIL_MODEL_DIR='" + test::model_dir().string() + "' '" + test::cli_path().string() + "' anonymize " +
      q(kDashcam) + " -o s3://shareable/big.mp4 --crf 0 --preset ultrafast -q & pid=$!; " +
      "for i in $(seq 1200); do grep -q hang " + q(proxy.log_path()) + " 2>/dev/null && break; sleep 0.1; done; " +
      "kill -INT $pid; wait $pid; echo exit=$?";
  test::run_command("sh -c " + q(command), &output_);
  EXPECT_NE(output_.find("exit=130"), std::string::npos) << output_;
  EXPECT_NE(output_.find("interrupted"), std::string::npos) << output_;
  EXPECT_FALSE(bucket("shareable").stat("big.mp4"));
  EXPECT_TRUE(test::open_multipart_uploads("shareable").empty());
}

// kill -9 while the output is being uploaded: no object appears (a
// multipart upload is only an object once completed). A killed process
// cannot abort its upload or remove its temporary file: the upload stays
// open on the server (a bucket lifecycle rule, AbortIncompleteMultipartUpload,
// clears those; docs/storage.md) and the next run removes the stale file.
TEST_F(VeilCliS3, KillDuringAnUploadLeavesNoObjectAndTheNextRunTidiesUp) {
  test::FaultProxy proxy(server_->port(), nlohmann::json::parse(
                                              R"([{"method": "PUT", "url": "partNumber=2", "action": "hang"}])"));
  const fs::path tmp = dir_ / "tmp";
  fs::create_directories(tmp);
  auto uploads_in_tmp = [&] {
    int n = 0;
    for (const auto& e : fs::directory_iterator(tmp)) n += e.path().filename().string().rfind("veil-upload-", 0) == 0;
    return n;
  };
  {
    test::S3Environment via_proxy(proxy.endpoint());
    const std::string command =
        "TMPDIR=" + q(tmp) + " VEIL_MODEL_DIR='" + test::model_dir().string() + "' '" + test::cli_path().string() +
        "' anonymize " + q(kDashcam) + " -o s3://shareable/big.mp4 --crf 0 --preset ultrafast -q & pid=$!; " +
        "for i in $(seq 1200); do grep -q hang " + q(proxy.log_path()) + " 2>/dev/null && break; sleep 0.1; done; " +
        "kill -KILL $pid; wait $pid; echo exit=$?";
    test::run_command("sh -c " + q(command), &output_);
  }
  EXPECT_NE(output_.find("exit=137"), std::string::npos) << output_;
  EXPECT_FALSE(bucket("shareable").stat("big.mp4")) << "a killed upload became an object";
  EXPECT_EQ(test::open_multipart_uploads("shareable").size(), 1u);
  EXPECT_EQ(uploads_in_tmp(), 1) << "the killed run's temporary file";
  // The next run (the store reachable again) finishes and removes it.
  const std::string again = "TMPDIR=" + q(tmp) + " VEIL_MODEL_DIR='" + test::model_dir().string() + "' '" +
                            test::cli_path().string() + "' anonymize " + q(kDashcam) +
                            " -o s3://shareable/big.mp4 --crf 0 --preset ultrafast -q";
  ASSERT_EQ(test::run_command(again, &output_), 0) << output_;
  EXPECT_TRUE(bucket("shareable").stat("big.mp4"));
  EXPECT_EQ(uploads_in_tmp(), 0) << "the stale temporary file was not removed";
}

TEST_F(VeilCliS3, EvalReadsImagesFromAPrefix) {
  const fs::path faces = test::shared_dir() / "data/faces-dev";
  fs::create_directories(dir_ / "images");
  fs::create_directories(dir_ / "annotations");
  for (const std::string stem : {"maksssksksss0", "maksssksksss102", "maksssksksss105"}) {
    fs::copy_file(faces / "images" / (stem + ".jpg"), dir_ / "images" / (stem + ".jpg"));
    fs::copy_file(faces / "annotations" / (stem + ".xml"), dir_ / "annotations" / (stem + ".xml"));
    bucket("raw").upload(faces / "images" / (stem + ".jpg"), "faces/" + stem + ".jpg");
  }
  const std::string common = " --annotations " + q(dir_ / "annotations") + " --format voc --targets face --json -q";
  ASSERT_EQ(veil("eval " + q(dir_ / "images") + common), 0) << output_;
  const auto local = nlohmann::json::parse(output_);
  ASSERT_EQ(veil("eval s3://raw/faces/" + common), 0) << output_;
  EXPECT_EQ(nlohmann::json::parse(output_), local);
  EXPECT_EQ(local["images"].get<int>(), 3) << local.dump();
  EXPECT_GT(local["classes"]["face"]["hidden"]["total"].get<int>(), 0) << local.dump();
}

}  // namespace
}  // namespace veil
