// Where S3 settings come from (as the AWS CLI reads them) and how request
// URLs are built from them.
#include "storage/s3_client.hpp"
#include "storage/s3_config.hpp"
#include "test_paths.hpp"
#include "veil/core/error.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>

namespace veil::s3 {
namespace fs = std::filesystem;

namespace {

class S3Config : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = test::make_temp_dir("aws-home");
    fs::create_directories(home_ / ".aws");
    env_["HOME"] = home_.string();
  }
  void TearDown() override { fs::remove_all(home_); }

  void write(const std::string& name, const std::string& text) { std::ofstream(home_ / ".aws" / name) << text; }
  Config resolve(StorageOptions options = {}) {
    return resolve_config(options, [this](const std::string& n) -> std::optional<std::string> {
      auto it = env_.find(n);
      return it == env_.end() ? std::nullopt : std::optional<std::string>(it->second);
    });
  }

  fs::path home_;
  std::map<std::string, std::string> env_;
};

TEST_F(S3Config, EnvironmentComesFirstThenTheProfileFiles) {
  write("credentials", "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = FILESECRET\n"
                       "[dev]\naws_access_key_id = DEVKEY\naws_secret_access_key = DEVSECRET\naws_session_token = T\n");
  write("config", "[default]\nregion = eu-west-1\n"
                  "[profile dev]\nregion = eu-central-1\nendpoint_url = http://127.0.0.1:9000/\n"
                  "s3 =\n  addressing_style = virtual\n");
  Config c = resolve();
  EXPECT_EQ(c.credentials->get().access_key, "FILEKEY");
  EXPECT_EQ(c.credentials->get().secret_key, "FILESECRET");
  EXPECT_EQ(c.region, "eu-west-1");
  EXPECT_EQ(c.endpoint, "https://s3.eu-west-1.amazonaws.com");
  EXPECT_TRUE(c.endpoint_is_default);

  env_["AWS_PROFILE"] = "dev";
  c = resolve();
  EXPECT_EQ(c.credentials->get().access_key, "DEVKEY");
  EXPECT_EQ(c.credentials->get().session_token, "T");
  EXPECT_EQ(c.region, "eu-central-1");
  EXPECT_EQ(c.endpoint, "http://127.0.0.1:9000");
  EXPECT_EQ(c.style, AddressingStyle::kVirtual);
  EXPECT_NE(c.credentials_source.find("profile dev"), std::string::npos);

  env_["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  env_["AWS_SECRET_ACCESS_KEY"] = "ENVSECRET";
  env_["AWS_DEFAULT_REGION"] = "ap-south-1";
  env_["AWS_ENDPOINT_URL"] = "http://localhost:4566";
  c = resolve();
  EXPECT_EQ(c.credentials->get().access_key, "ENVKEY");
  EXPECT_EQ(c.credentials->get().session_token, "");
  EXPECT_EQ(c.region, "ap-south-1");
  EXPECT_EQ(c.endpoint, "http://localhost:4566");
  EXPECT_EQ(c.credentials_source, "environment");

  env_["AWS_REGION"] = "us-west-2";
  env_["AWS_ENDPOINT_URL_S3"] = "https://storage.example.com";
  env_["AWS_S3_ADDRESSING_STYLE"] = "path";
  c = resolve();
  EXPECT_EQ(c.region, "us-west-2");
  EXPECT_EQ(c.endpoint, "https://storage.example.com");
  EXPECT_EQ(c.style, AddressingStyle::kPath);
}

TEST_F(S3Config, PathStyleForLocalEndpointsAndDottedBuckets) {
  env_["AWS_ACCESS_KEY_ID"] = "K";
  env_["AWS_SECRET_ACCESS_KEY"] = "S";
  Config aws = resolve();
  EXPECT_FALSE(uses_path_style(aws, "footage"));
  EXPECT_TRUE(uses_path_style(aws, "my.footage"));
  Request r;
  r.bucket = "footage";
  r.key = "2026/11/cam 7+x.mp4";
  EXPECT_EQ(request_url(aws, r), "https://footage.s3.us-east-1.amazonaws.com/2026/11/cam%207%2Bx.mp4");

  for (const std::string endpoint : {"http://127.0.0.1:9000", "http://localhost:9000", "http://[::1]:9000"}) {
    env_["AWS_ENDPOINT_URL"] = endpoint;
    Config local = resolve();
    EXPECT_TRUE(uses_path_style(local, "footage")) << endpoint;
    EXPECT_EQ(request_url(local, r), endpoint + "/footage/2026/11/cam%207%2Bx.mp4");
  }
  env_["AWS_ENDPOINT_URL"] = "https://minio.example.com";
  EXPECT_FALSE(uses_path_style(resolve(), "footage"));
  StorageOptions forced;
  forced.force_path_style = true;
  EXPECT_TRUE(uses_path_style(resolve(forced), "footage"));

  // The query goes sorted and encoded, as the signature's canonical form has it.
  Request list;
  list.bucket = "footage";
  list.query = {{"prefix", "2026/11 a"}, {"list-type", "2"}, {"continuation-token", "a+b/c="}};
  EXPECT_EQ(request_url(resolve(forced), list),
            "https://minio.example.com/footage?continuation-token=a%2Bb%2Fc%3D&list-type=2&prefix=2026%2F11%20a");
}

TEST_F(S3Config, MissingOrMalformedSettingsAreClearErrors) {
  try {
    resolve();
    FAIL() << "no credentials must be an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("AWS_ACCESS_KEY_ID"), std::string::npos) << e.what();
  }
  env_["AWS_ACCESS_KEY_ID"] = "K";
  env_["AWS_SECRET_ACCESS_KEY"] = "SECRETVALUE";
  env_["AWS_ENDPOINT_URL"] = "127.0.0.1:9000";
  try {
    resolve();
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("http://"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("SECRETVALUE"), std::string::npos);
  }
  env_.erase("AWS_ENDPOINT_URL");
  env_["AWS_S3_ADDRESSING_STYLE"] = "sideways";
  EXPECT_THROW(resolve(), Error);
  env_.erase("AWS_S3_ADDRESSING_STYLE");
  env_["AWS_MAX_ATTEMPTS"] = "0";
  EXPECT_THROW(resolve(), Error);
  env_["AWS_MAX_ATTEMPTS"] = "7";
  EXPECT_EQ(resolve().max_attempts, 7);
}

TEST(S3Encoding, MatchesAwsUriEncoding) {
  EXPECT_EQ(uri_encode("AZaz09-_.~", false), "AZaz09-_.~");
  EXPECT_EQ(uri_encode("a b/c+d=é", false), "a%20b%2Fc%2Bd%3D%C3%A9");
  EXPECT_EQ(uri_encode("photos/2026/a b.jpg", true), "photos/2026/a%20b.jpg");
}

}  // namespace
}  // namespace veil::s3
