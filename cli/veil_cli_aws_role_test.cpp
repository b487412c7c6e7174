// `veil anonymize` from S3 to S3 with no keys in the environment or in
// ~/.aws, as on a notebook instance, an EC2 host, an ECS task or an EKS pod:
// one run through each of the instance role (IMDSv2), container
// credentials, web identity and credential_process. The credential
// endpoints are loopback stand-ins (tests/aws_stand_ins); the store is
// s3rver, which checks every signature.
#include "aws_stand_ins.hpp"
#include "local_servers.hpp"
#include "test_paths.hpp"
#include "veil/storage/object_store.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace veil {
namespace fs = std::filesystem;
namespace {

class VeilAwsRole : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::make_temp_dir("aws-role");
    fs::create_directories(dir_ / "home" / ".aws");
    server_ = std::make_unique<test::LocalS3>(std::vector<std::string>{"footage"});
    env_ = std::make_unique<test::S3Environment>(server_->endpoint());
    ObjectLocation raw = open_object_location("s3://footage/raw/", {});
    raw.store->upload(test::shared_dir() / "data/faces-dev/images/maksssksksss0.jpg", "raw/street.jpg");
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs veil with no AWS keys anywhere, a HOME of its own, and `vars`.
  int veil_without_keys(const std::string& vars, const std::string& args) {
    const std::string env = "env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN -u AWS_PROFILE "
                            "-u AWS_SHARED_CREDENTIALS_FILE -u AWS_CONFIG_FILE HOME=" +
                            test::quoted(dir_ / "home") + " " + vars + " ";
    return test::run_command(env + test::veil_command(args), &output_);
  }
  // Anonymizes raw/street.jpg into shareable/NAME.jpg; true when it is there.
  bool anonymize_as(const std::string& vars, const std::string& name) {
    const int rc = veil_without_keys(vars, "anonymize s3://footage/raw/street.jpg -o s3://footage/shareable/" + name +
                                               ".jpg --targets face -q");
    EXPECT_EQ(rc, 0) << output_;
    ObjectLocation out = open_object_location("s3://footage/shareable/", {});
    return out.store->stat("shareable/" + name + ".jpg").has_value();
  }

  fs::path dir_;
  std::string output_;
  std::unique_ptr<test::LocalS3> server_;
  std::unique_ptr<test::S3Environment> env_;
};

TEST_F(VeilAwsRole, AnonymizesS3ToS3WithEveryKeylessSource) {
  // The EC2 instance role.
  test::Imds imds;
  EXPECT_TRUE(anonymize_as("AWS_EC2_METADATA_SERVICE_ENDPOINT=" + imds.server.url(), "imds"));
  EXPECT_GE(imds.fetches, 1);
  EXPECT_EQ(imds.v1_attempts, 0);

  const std::string no_imds = "AWS_EC2_METADATA_DISABLED=true ";
  // Container credentials (ECS task, EKS Pod Identity).
  std::ofstream(dir_ / "pod-token") << "pod-identity-token";
  test::StandIn agent([](httplib::Server& s) {
    s.Get("/creds", [](const httplib::Request& req, httplib::Response& res) {
      if (req.get_header_value("Authorization") != "pod-identity-token") return void(res.status = 403);
      res.set_content(nlohmann::json{{"AccessKeyId", "S3RVER"}, {"SecretAccessKey", "S3RVER"}, {"Token", "ctok"},
                                     {"Expiration", test::iso8601(std::chrono::system_clock::now() + std::chrono::hours(1))}}
                          .dump(),
                      "application/json");
    });
  });
  EXPECT_TRUE(anonymize_as(no_imds + "AWS_CONTAINER_CREDENTIALS_FULL_URI=" + agent.url() +
                               "/creds AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=" + test::quoted(dir_ / "pod-token"),
                           "container"));

  // Web identity (EKS IRSA).
  std::ofstream(dir_ / "web-token") << "eyJ.pod.sig";
  test::StandIn sts([](httplib::Server& s) {
    s.Post("/", [](const httplib::Request& req, httplib::Response& res) {
      if (req.get_param_value("Action") != "AssumeRoleWithWebIdentity" || req.get_param_value("WebIdentityToken") != "eyJ.pod.sig") {
        return void(res.status = 400);
      }
      res.set_content("<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>"
                      "<AccessKeyId>S3RVER</AccessKeyId><SecretAccessKey>S3RVER</SecretAccessKey>"
                      "<SessionToken>wtok</SessionToken><Expiration>" +
                          test::iso8601(std::chrono::system_clock::now() + std::chrono::hours(1)) +
                          "</Expiration></Credentials></AssumeRoleWithWebIdentityResult>"
                          "</AssumeRoleWithWebIdentityResponse>",
                      "text/xml");
    });
  });
  EXPECT_TRUE(anonymize_as(no_imds + "AWS_WEB_IDENTITY_TOKEN_FILE=" + test::quoted(dir_ / "web-token") +
                               " AWS_ROLE_ARN=arn:aws:iam::123456789012:role/veil AWS_ENDPOINT_URL_STS=" + sts.url(),
                           "web-identity"));

  // credential_process in ~/.aws/config.
  std::ofstream(dir_ / "home" / ".aws" / "config")
      << "[default]\ncredential_process = printf '{\"Version\": 1, \"AccessKeyId\": \"S3RVER\", "
         "\"SecretAccessKey\": \"S3RVER\"}'\n";
  EXPECT_TRUE(anonymize_as(no_imds, "process"));
  fs::remove(dir_ / "home" / ".aws" / "config");

  // Nothing at all: a clear error listing what was tried, no output.
  EXPECT_EQ(veil_without_keys(no_imds, "anonymize s3://footage/raw/street.jpg -o s3://footage/shareable/none.jpg -q"), 1);
  EXPECT_NE(output_.find("no AWS credentials found"), std::string::npos) << output_;
  EXPECT_NE(output_.find("web identity"), std::string::npos) << output_;
}

}  // namespace
}  // namespace veil
