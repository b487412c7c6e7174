// The S3 store against a real S3-compatible server (s3rver, with signatures
// checked) on 127.0.0.1, directly and through a proxy that injects faults.
#include "io/video_sink.hpp"
#include "io/video_source.hpp"
#include "local_servers.hpp"
#include "test_paths.hpp"
#include "veil/core/error.hpp"
#include "veil/storage/object_store.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <random>

namespace veil {
namespace fs = std::filesystem;

namespace {

class S3Store : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::make_temp_dir("s3store"); }
  void TearDown() override { fs::remove_all(dir_); }

  // `size` bytes of noise in a local file.
  fs::path noise_file(const std::string& name, std::size_t size, unsigned seed = 1) {
    std::mt19937 rng(seed);
    std::string data(size, '\0');
    for (auto& c : data) c = char(rng());
    fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary).write(data.data(), std::streamsize(data.size()));
    return p;
  }

  static std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  static std::string read_all(ObjectReader& r) {
    std::string out(std::size_t(r.size()), '\0');
    std::size_t done = 0;
    while (done < out.size()) {
      std::size_t n = r.read_at(std::int64_t(done), out.data() + done, out.size() - done);
      if (n == 0) break;
      done += n;
    }
    out.resize(done);
    return out;
  }


  fs::path dir_;
};

TEST_F(S3Store, UploadsListsAndReadsBack) {
  test::LocalS3 server({"bucket"});
  test::S3Environment env(server.endpoint());
  ObjectLocation loc = open_object_location("s3://bucket/");
  ObjectStore& store = *loc.store;

  const fs::path small = noise_file("small.bin", 1000);
  const fs::path large = noise_file("large.bin", (20 << 20) + 12345, 2);  // three 8 MiB parts
  store.upload(small, "in/a b+c.bin");
  store.upload(large, "in/sub/large.bin");
  store.upload(small, "other/x.bin");

  std::vector<ObjectInfo> listed = store.list("in/");
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].key, "in/a b+c.bin");
  EXPECT_EQ(listed[0].size, 1000);
  EXPECT_EQ(listed[1].key, "in/sub/large.bin");
  EXPECT_EQ(listed[1].size, std::int64_t(fs::file_size(large)));

  EXPECT_FALSE(store.stat("in/missing.bin"));
  ASSERT_TRUE(store.stat("in/a b+c.bin"));
  EXPECT_EQ(store.stat("in/a b+c.bin")->size, 1000);

  auto reader = store.open("in/sub/large.bin");
  EXPECT_EQ(read_all(*reader), slurp(large));
  // Reads anywhere, across a range boundary, and past the end.
  const std::string whole = slurp(large);
  char buf[100];
  const std::int64_t boundary = (4 << 20) - 50;
  std::size_t n = reader->read_at(boundary, buf, sizeof(buf));
  ASSERT_GT(n, 0u);
  EXPECT_EQ(std::string(buf, n), whole.substr(std::size_t(boundary), n));
  EXPECT_EQ(reader->read_at(std::int64_t(whole.size()), buf, sizeof(buf)), 0u);
  EXPECT_EQ(read_all(*store.open("in/a b+c.bin")), slurp(small));
  EXPECT_TRUE(test::open_multipart_uploads("bucket").empty());

  EXPECT_THROW(store.open("in/missing.bin"), Error);
  try {
    open_object_location("s3://no-such-bucket/key.mp4").store->stat("key.mp4");
    FAIL() << "a missing bucket must be an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("s3://no-such-bucket/key.mp4: no such bucket"), std::string::npos) << e.what();
  }
}

TEST_F(S3Store, RetriesServerErrorsThrottlingAndDroppedConnections) {
  test::LocalS3 server({"bucket"});
  test::FaultProxy proxy(server.port(), nlohmann::json::parse(R"([
      {"method": "PUT", "url": "partNumber=1", "action": "503"},
      {"method": "PUT", "url": "partNumber=2", "action": "reset"},
      {"method": "POST", "url": "uploadId=", "action": "slowdown"},
      {"method": "HEAD", "action": "reset"},
      {"method": "GET", "action": "truncate"},
      {"method": "GET", "action": "503", "skip": 1}])"));
  test::S3Environment env(proxy.endpoint());
  ObjectLocation loc = open_object_location("s3://bucket/");
  const fs::path file = noise_file("file.bin", (9 << 20) + 7);  // two parts
  loc.store->upload(file, "a/file.bin");
  auto reader = loc.store->open("a/file.bin");
  EXPECT_EQ(read_all(*reader), slurp(file));

  std::map<std::string, int> faults;
  for (const auto& line : proxy.log()) {
    if (!line["fault"].is_null()) faults[line["fault"].get<std::string>()]++;
  }
  EXPECT_EQ(faults["503"], 2);
  EXPECT_EQ(faults["reset"], 2);
  EXPECT_EQ(faults["slowdown"], 1);
  EXPECT_EQ(faults["truncate"], 1);
  EXPECT_TRUE(test::open_multipart_uploads("bucket").empty());
}

TEST_F(S3Store, AFaultThatNeverClearsAbortsTheUploadAndLeavesNothing) {
  test::LocalS3 server({"bucket"});
  test::FaultProxy proxy(server.port(),
                         nlohmann::json::parse(R"([{"method": "PUT", "url": "partNumber=2", "action": "reset",
                                                    "times": -1}])"));
  test::S3Environment env(proxy.endpoint());
  ::setenv("AWS_MAX_ATTEMPTS", "3", 1);
  ObjectLocation loc = open_object_location("s3://bucket/");
  const fs::path file = noise_file("file.bin", 17 << 20);  // three parts
  try {
    loc.store->upload(file, "out/clip.mp4");
    FAIL() << "the upload must fail";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("s3://bucket/out/clip.mp4"), std::string::npos) << what;
    EXPECT_NE(what.find("3 tries"), std::string::npos) << what;
  }
  int part2_tries = 0, aborts = 0;
  for (const auto& line : proxy.log()) {
    const std::string url = line["url"];
    part2_tries += line["method"] == "PUT" && url.find("partNumber=2") != std::string::npos;
    aborts += line["method"] == "DELETE" && url.find("uploadId=") != std::string::npos;
  }
  EXPECT_EQ(part2_tries, 3);
  EXPECT_EQ(aborts, 1);
  test::S3Environment direct(server.endpoint());
  EXPECT_FALSE(open_object_location("s3://bucket/").store->stat("out/clip.mp4"));
  EXPECT_TRUE(test::open_multipart_uploads("bucket").empty());
}

TEST_F(S3Store, AWrongSecretKeyIsAClearErrorThatNamesTheObject) {
  test::LocalS3 server({"bucket"});
  test::S3Environment env(server.endpoint());
  open_object_location("s3://bucket/").store->upload(noise_file("x.bin", 10), "x.bin");
  ::setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret", 1);
  try {
    open_object_location("s3://bucket/x.bin").store->open("x.bin");
    FAIL() << "a wrong secret must fail";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("s3://bucket/x.bin"), std::string::npos) << what;
    EXPECT_NE(what.find("secret access key does not match"), std::string::npos) << what;
    EXPECT_EQ(what.find("not-the-secret"), std::string::npos) << "the secret leaked into: " << what;
  }
  ::setenv("AWS_ACCESS_KEY_ID", "UNKNOWN", 1);
  EXPECT_THROW(open_object_location("s3://bucket/x.bin").store->stat("x.bin"), Error);
}

TEST_F(S3Store, ABucketInAnotherRegionIsExplained) {
  test::LocalS3 server({"bucket"});
  test::FaultProxy proxy(server.port(),
                         nlohmann::json::parse(R"([{"action": "region:eu-west-1", "times": -1}])"));
  test::S3Environment env(proxy.endpoint());
  try {
    open_object_location("s3://bucket/clip.mp4").store->stat("clip.mp4");
    FAIL() << "a redirect to another region must be an error on a custom endpoint";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("s3://bucket/clip.mp4"), std::string::npos) << what;
    EXPECT_NE(what.find("AWS_REGION=eu-west-1"), std::string::npos) << what;
  }
}

// The test server's signature check agrees with AWS's published example, so
// that a request it accepts is one S3 would accept.
TEST(S3TestServer, SignatureCheckPassesAwsExample) {
  std::string output;
  EXPECT_EQ(test::run_command("node '" + std::string(VEIL_SOURCE_DIR) + "/tests/servers/s3_server.js' --self-test",
                              &output),
            0)
      << output;
}

// A video larger than the read-ahead: decoding starts after the first ranged
// GETs, and the whole run fetches each byte about once.
TEST_F(S3Store, VideoIsDecodedFromRangedReads) {
  // 24 frames of 1280x720 noise, losslessly encoded: about 2.5 MB a frame.
  const fs::path video = dir_ / "noise.mkv";
  {
    VideoSource clip(test::video_dir() / "CarND-Vehicle-Detection_test_video.mp4");
    VideoEncodeOptions options;
    options.crf = 0;
    options.preset = "ultrafast";
    options.copy_other_streams = false;
    VideoSink sink(video.string(), clip, options);
    std::mt19937 rng(3);
    Frame f;
    for (int i = 0; i < 24 && clip.read(f); ++i) {
      cv::randu(f.image, 0, 255);
      sink.write(f);
    }
    sink.finish();
  }
  const std::int64_t size = std::int64_t(fs::file_size(video));
  ASSERT_GT(size, 40 << 20);

  test::LocalS3 server({"bucket"});
  test::FaultProxy proxy(server.port(), nlohmann::json::array());
  test::S3Environment env(proxy.endpoint());
  ObjectLocation loc = open_object_location("s3://bucket/");
  loc.store->upload(video, "noise.mkv");
  auto served = [&] {
    std::int64_t bytes = 0, largest = 0;
    for (const auto& line : proxy.log()) {
      if (line["method"] != "GET") continue;
      EXPECT_FALSE(line["range"].is_null()) << "an unranged GET: " << line.dump();
      bytes += line["bytes"].get<std::int64_t>();
      largest = std::max(largest, line["bytes"].get<std::int64_t>());
    }
    return std::make_pair(bytes, largest);
  };

  VideoSource source(loc.store->open("noise.mkv"));
  Frame f;
  ASSERT_TRUE(source.read(f));
  EXPECT_EQ(f.image.cols, 1280);
  auto [first_bytes, first_largest] = served();
  // The first frame came from a few 4 MiB ranges, not the whole object.
  EXPECT_LT(first_bytes, size / 3) << first_bytes << " of " << size;
  int frames = 1;
  while (source.read(f)) ++frames;
  EXPECT_EQ(frames, 24);
  auto [bytes, largest] = served();
  EXPECT_LE(largest, 4 << 20);
  EXPECT_LT(bytes, size + (8 << 20)) << "bytes fetched again and again";
}

}  // namespace
}  // namespace veil
