// The credential chain against loopback stand-ins that follow AWS's
// documented protocols (the instance metadata service, IMDSv2 only; the
// ECS / EKS Pod Identity container endpoint; STS AssumeRoleWithWebIdentity),
// then against s3rver: real S3 requests signed with a role's temporary
// credentials, refreshed when they expire in the middle of a run.
#include "storage/aws_credentials.hpp"

#include "aws_stand_ins.hpp"
#include "local_servers.hpp"
#include "storage/s3_config.hpp"
#include "test_paths.hpp"
#include "veil/core/error.hpp"
#include "veil/storage/object_store.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <fstream>
#include <map>
#include <thread>

namespace veil::s3 {
namespace fs = std::filesystem;
using test::Imds;
using test::StandIn;
using test::iso8601;
namespace {

class Chain : public ::testing::Test {
 protected:
  std::shared_ptr<CredentialCache> find(ChainOptions o = {}) {
    return find_credentials(o, [this](const std::string& n) -> std::optional<std::string> {
      auto it = env_.find(n);
      return it == env_.end() ? std::nullopt : std::optional<std::string>(it->second);
    });
  }
  std::map<std::string, std::string> env_{{"AWS_EC2_METADATA_DISABLED", "true"}};
};

TEST(Iso8601, ReadsTheFormsAwsWrites) {
  const auto t = parse_iso8601("2026-12-04T15:04:05Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(Clock::to_time_t(*t), 1796396645);
  EXPECT_EQ(*parse_iso8601("2026-12-04T15:04:05.123Z") - *t, std::chrono::milliseconds(123));
  EXPECT_EQ(parse_iso8601("2026-12-04T15:04:05+00:00"), t);
  EXPECT_FALSE(parse_iso8601("2026-12-04 15:04:05"));
  EXPECT_FALSE(parse_iso8601("2026-12-04T15:04:05+02:00"));
}

TEST_F(Chain, TheEnvironmentComesFirst) {
  Imds imds;
  env_ = {{"AWS_ACCESS_KEY_ID", "ENVKEY"}, {"AWS_SECRET_ACCESS_KEY", "ENVSECRET"},
          {"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.server.url()}};
  auto c = find();
  EXPECT_EQ(c->source_name(), "environment");
  EXPECT_EQ(c->get().access_key, "ENVKEY");
  EXPECT_EQ(imds.token_puts, 0) << "the chain stops at the first source that answers";
}

TEST_F(Chain, InstanceRoleOverImdsV2Only) {
  Imds imds;
  env_ = {{"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.server.url() + "/"}};
  auto c = find();
  EXPECT_EQ(c->source_name(), "EC2 instance role veil-worker-role (IMDSv2 at " + imds.server.url() + ")");
  const Credentials k = c->get();
  EXPECT_EQ(k.access_key, "S3RVER");
  EXPECT_EQ(k.session_token, "tok-1");
  ASSERT_TRUE(k.expiration);
  EXPECT_EQ(imds.token_puts, 1);
  EXPECT_EQ(imds.v1_attempts, 0) << "a request went without the IMDSv2 session token";
}

TEST_F(Chain, OffEc2TheMetadataProbeCostsAboutASecondAtMost) {
  StandIn silent([](httplib::Server& s) {
    s.Put("/latest/api/token", [](const httplib::Request&, httplib::Response& res) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // a black hole
      res.status = 200;
    });
  });
  env_ = {{"AWS_EC2_METADATA_SERVICE_ENDPOINT", silent.url()}};
  const auto start = std::chrono::steady_clock::now();
  try {
    find();
    FAIL() << "no source answered";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("no AWS credentials found"), std::string::npos) << what;
    EXPECT_NE(what.find("no EC2 instance metadata service at " + silent.url()), std::string::npos) << what;
    EXPECT_NE(what.find("no answer within 1 s"), std::string::npos) << what;
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1800));

  env_ = {{"AWS_EC2_METADATA_DISABLED", "true"}};
  EXPECT_THROW(find(), Error);
}

TEST_F(Chain, ContainerCredentialsWithTheAuthorizationTokenFile) {
  const fs::path dir = test::make_temp_dir("container-creds");
  std::ofstream(dir / "token") << "pod-identity-token\n";
  std::atomic<int> served{0};
  StandIn agent([&](httplib::Server& s) {
    s.Get("/v1/credentials", [&](const httplib::Request& req, httplib::Response& res) {
      if (req.get_header_value("Authorization") != "pod-identity-token") return void(res.status = 403);
      ++served;
      res.set_content(nlohmann::json{{"AccessKeyId", "CKEY"}, {"SecretAccessKey", "CSECRET"}, {"Token", "ctok"},
                                     {"Expiration", iso8601(Clock::now() + std::chrono::hours(6))}}
                          .dump(),
                      "application/json");
    });
  });
  env_["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = agent.url() + "/v1/credentials";
  env_["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = (dir / "token").string();
  env_["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "a stale token the file wins over";
  auto c = find();
  EXPECT_EQ(c->source_name(), "container credentials at " + agent.url() + "/v1/credentials");
  EXPECT_EQ(c->get().session_token, "ctok");
  EXPECT_EQ(served, 1);

  // Plain http to anything but loopback or the agent's address is refused.
  env_["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://example.com/creds";
  EXPECT_THROW(find(), Error);
  fs::remove_all(dir);
}

TEST_F(Chain, WebIdentityAsEksGivesIt) {
  const fs::path dir = test::make_temp_dir("irsa");
  std::ofstream(dir / "token") << "eyJhbGciOiJSUzI1NiJ9.pod.sig";
  std::map<std::string, std::string> asked;
  StandIn sts([&](httplib::Server& s) {
    s.Post("/", [&](const httplib::Request& req, httplib::Response& res) {
      for (const auto& [k, v] : req.params) asked[k] = v;
      if (req.get_param_value("Action") != "AssumeRoleWithWebIdentity" ||
          req.get_param_value("WebIdentityToken") != "eyJhbGciOiJSUzI1NiJ9.pod.sig") {
        res.status = 400;
        return res.set_content("<ErrorResponse><Error><Code>InvalidIdentityToken</Code></Error></ErrorResponse>",
                               "text/xml");
      }
      res.set_content("<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
                      "<AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>ASIAWEB</AccessKeyId>"
                      "<SecretAccessKey>WEBSECRET</SecretAccessKey><SessionToken>webtok</SessionToken>"
                      "<Expiration>" + iso8601(Clock::now() + std::chrono::hours(1)) +
                          "</Expiration></Credentials></AssumeRoleWithWebIdentityResult>"
                          "</AssumeRoleWithWebIdentityResponse>",
                      "text/xml");
    });
  });
  env_["AWS_WEB_IDENTITY_TOKEN_FILE"] = (dir / "token").string();
  env_["AWS_ROLE_ARN"] = "arn:aws:iam::123456789012:role/veil-worker";
  env_["AWS_ROLE_SESSION_NAME"] = "veil-pod-7";
  env_["AWS_ENDPOINT_URL_STS"] = sts.url();
  auto c = find();
  EXPECT_EQ(c->get().access_key, "ASIAWEB");
  EXPECT_EQ(c->get().session_token, "webtok");
  EXPECT_EQ(asked["RoleArn"], "arn:aws:iam::123456789012:role/veil-worker");
  EXPECT_EQ(asked["RoleSessionName"], "veil-pod-7");
  EXPECT_EQ(asked["Version"], "2011-06-15");

  // A token STS refuses is an error that names the source, not a fall-through.
  std::ofstream(dir / "token") << "forged";
  try {
    find();
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("web identity for arn:aws:iam::123456789012:role/veil-worker"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("InvalidIdentityToken"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

TEST_F(Chain, CredentialProcessFromTheProfile) {
  const std::string json = R"({"Version": 1, "AccessKeyId": "PKEY", "SecretAccessKey": "PSECRET", "SessionToken": "ptok"})";
  ChainOptions o;
  o.config_file = {"/home/u/.aws/config", [&](const std::string&, const std::string& key) -> std::optional<std::string> {
                     if (key == "credential_process") return "printf '%s' '" + json + "'";
                     return std::nullopt;
                   }};
  auto c = find(o);
  EXPECT_EQ(c->source_name(), "credential_process of profile default in /home/u/.aws/config");
  EXPECT_EQ(c->get().secret_key, "PSECRET");
  EXPECT_FALSE(c->get().expiration);

  o.config_file.value = [](const std::string&, const std::string& key) -> std::optional<std::string> {
    if (key == "credential_process") return std::string("echo no > /dev/null; exit 3");
    return std::nullopt;
  };
  try {
    find(o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("exit status 3"), std::string::npos) << e.what();
  }
}

// A profile's role_arn, assumed with its source_profile's keys: STS gets
// an AssumeRole signed with them (Signature Version 4, service sts).
TEST_F(Chain, AProfilesRoleIsAssumedWithItsSourceProfile) {
  std::string authorization, body;
  StandIn sts([&](httplib::Server& s) {
    s.Post("/", [&](const httplib::Request& req, httplib::Response& res) {
      authorization = req.get_header_value("Authorization");
      body = req.body;
      res.set_content("<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIAROLE</AccessKeyId>"
                      "<SecretAccessKey>ROLESECRET</SecretAccessKey><SessionToken>roletok</SessionToken>"
                      "<Expiration>" + iso8601(Clock::now() + std::chrono::hours(1)) +
                          "</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>",
                      "text/xml");
    });
  });
  env_["AWS_ENDPOINT_URL_STS"] = sts.url();
  const std::map<std::string, std::map<std::string, std::string>> config = {
      {"uploader", {{"role_arn", "arn:aws:iam::123456789012:role/veil"}, {"source_profile", "base"},
                    {"role_session_name", "veil-batch"}}},
      {"base", {{"aws_access_key_id", "BASEKEY"}, {"aws_secret_access_key", "BASESECRET"}}}};
  ChainOptions o;
  o.profile = "uploader";
  o.region = "eu-west-1";
  o.config_file = {"/home/u/.aws/config", [&](const std::string& profile, const std::string& key) -> std::optional<std::string> {
                     auto p = config.find(profile);
                     if (p == config.end() || !p->second.count(key)) return std::nullopt;
                     return p->second.at(key);
                   }};
  auto c = find(o);
  EXPECT_EQ(c->source_name(), "role arn:aws:iam::123456789012:role/veil assumed with profile base (STS at " + sts.url() + ")");
  EXPECT_EQ(c->get().access_key, "ASIAROLE");
  EXPECT_EQ(c->get().session_token, "roletok");
  EXPECT_NE(authorization.find("AWS4-HMAC-SHA256 Credential=BASEKEY/"), std::string::npos) << authorization;
  EXPECT_NE(authorization.find("/eu-west-1/sts/aws4_request"), std::string::npos) << authorization;
  EXPECT_NE(body.find("Action=AssumeRole&"), std::string::npos) << body;
  EXPECT_NE(body.find("RoleSessionName=veil-batch"), std::string::npos) << body;
}

// Credentials that live 4 s are fetched again before they expire (here at
// half their life), and a source that stops answering is reported by name
// once the old ones have expired, never silently.
TEST_F(Chain, TemporaryCredentialsAreRefreshedBeforeTheyExpire) {
  Imds imds;
  imds.life = std::chrono::seconds(4);
  env_ = {{"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.server.url()}};
  ChainOptions o;
  o.refresh.retry_delay = std::chrono::milliseconds(10);
  auto c = find(o);
  EXPECT_EQ(c->get().session_token, "tok-1");
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // past half their life
  EXPECT_EQ(c->get().session_token, "tok-2") << "not refreshed before expiry";
  EXPECT_EQ(c->get().session_token, "tok-2") << "refreshed again while still fresh";

  imds.failing = true;
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // due, 1.5 s before expiry
  EXPECT_EQ(c->get().session_token, "tok-2");
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));  // expired
  try {
    c->get();
    FAIL() << "expired credentials were used";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("EC2 instance role veil-worker-role"), std::string::npos) << e.what();
  }
  imds.failing = false;
  EXPECT_EQ(c->get().session_token, "tok-3");
}

// Real S3 requests (s3rver checks every signature) with an instance role's
// credentials: listed, written, read, with a refresh in the middle.
TEST(ChainWithS3, AnInstanceRoleReadsAndWritesObjects) {
  Imds imds;
  imds.life = std::chrono::seconds(2);
  test::LocalS3 server({"bucket"});
  test::S3Environment env(server.endpoint());
  const fs::path home = test::make_temp_dir("no-aws-home");
  std::vector<std::pair<std::string, std::optional<std::string>>> saved;
  auto set = [&](const char* name, const char* value) {
    const char* old = std::getenv(name);
    saved.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
    value ? ::setenv(name, value, 1) : ::unsetenv(name);
  };
  set("AWS_ACCESS_KEY_ID", nullptr);
  set("AWS_SECRET_ACCESS_KEY", nullptr);
  set("HOME", home.c_str());
  set("AWS_SHARED_CREDENTIALS_FILE", nullptr);
  set("AWS_CONFIG_FILE", nullptr);
  set("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.server.url().c_str());
  {
    ObjectLocation where = open_object_location("s3://bucket/clips/", {});
    const fs::path file = home / "a.txt";
    std::ofstream(file) << "hello";
    where.store->upload(file, "clips/a.txt");
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // past half their life
    where.store->upload(file, "clips/b.txt");
    EXPECT_EQ(where.store->list("clips/").size(), 2u);
    EXPECT_GE(imds.fetches, 2) << "the credentials were not refreshed";
  }
  // A wrong secret from the role: the error names where the credentials came from.
  imds.secret = "not-the-secret";
  try {
    ObjectLocation where = open_object_location("s3://bucket/clips/a.txt", {});
    where.store->open("clips/a.txt")->size();
    FAIL();
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("credentials from EC2 instance role veil-worker-role"), std::string::npos) << what;
    EXPECT_EQ(what.find("not-the-secret"), std::string::npos);
  }
  for (auto it = saved.rbegin(); it != saved.rend(); ++it) {
    it->second ? ::setenv(it->first.c_str(), it->second->c_str(), 1) : ::unsetenv(it->first.c_str());
  }
  fs::remove_all(home);
}

}  // namespace
}  // namespace veil::s3
