#pragma once
// AWS credentials found as the AWS SDKs find them, in their documented order,
// the first source that answers winning:
//   1. environment: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN);
//   2. the profile (AWS_PROFILE, else "default") in ~/.aws/credentials, then
//      ~/.aws/config: `role_arn` with `source_profile` (STS AssumeRole,
//      signed with the source profile's keys) or `web_identity_token_file`;
//      static keys; or `credential_process` (a command that prints the
//      credentials as JSON, run again before they expire);
//   3. web identity (EKS IRSA): AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN
//      (+ AWS_ROLE_SESSION_NAME) -> STS AssumeRoleWithWebIdentity, which is
//      not signed; STS at AWS_ENDPOINT_URL_STS, else the region's own;
//   4. container credentials (ECS tasks, EKS Pod Identity):
//      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI on 169.254.170.2, or
//      AWS_CONTAINER_CREDENTIALS_FULL_URI with AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
//      or AWS_CONTAINER_AUTHORIZATION_TOKEN;
//   5. the EC2 instance role over IMDSv2 only (a session token by PUT, then
//      the role's credentials), at AWS_EC2_METADATA_SERVICE_ENDPOINT, else
//      169.254.169.254; skipped when AWS_EC2_METADATA_DISABLED=true. One
//      second at most when no instance answers.
// Temporary credentials carry their session token and expiry; a
// CredentialCache fetches them again before they expire. No message ever
// holds a secret.
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace veil::s3 {

using Getenv = std::function<std::optional<std::string>(const std::string&)>;
using Clock = std::chrono::system_clock;

struct Credentials {
  std::string access_key;
  std::string secret_key;
  std::string session_token;           // empty for long-lived keys
  std::optional<Clock::time_point> expiration;  // none: they do not expire
};

// One place credentials come from. fetch() throws veil::Error (naming the
// source, never a secret) when it does not answer or answers nonsense.
class CredentialSource {
 public:
  virtual ~CredentialSource() = default;
  // "environment", "profile dev in /home/u/.aws/credentials",
  // "EC2 instance role web-server (IMDSv2)", ...
  virtual std::string name() const = 0;
  virtual Credentials fetch() = 0;
};

struct RefreshOptions {
  // Fetch again this long before the credentials expire, or at half their
  // remaining life when that is shorter (credentials that live 15 minutes).
  std::chrono::seconds ahead{300};
  int attempts = 3;  // tries of one refresh before it is reported
  std::chrono::milliseconds retry_delay{200};  // doubled after each try
};

// The credentials of one source, fetched again before they expire. Any
// thread may call get(); one refresh runs at a time, the others wait for it.
class CredentialCache {
 public:
  // `first`: what the source gave when it was found.
  CredentialCache(std::unique_ptr<CredentialSource> source, Credentials first, RefreshOptions options = {});
  // Credentials good for at least a little while. A refresh that fails every
  // try leaves the old credentials in use while they are still valid (with
  // a warning); once they have expired it throws veil::Error naming the
  // source.
  Credentials get();
  const std::string& source_name() const { return name_; }

 private:
  bool due(Clock::time_point now) const;

  std::unique_ptr<CredentialSource> source_;
  std::string name_;
  RefreshOptions options_;
  std::mutex mutex_;
  Credentials current_;
  Clock::time_point fetched_;
};

// One AWS profile file (~/.aws/credentials or ~/.aws/config).
struct ProfileFile {
  std::string path;  // for messages
  // The setting `key` of profile `profile` in this file, when set.
  std::function<std::optional<std::string>(const std::string& profile, const std::string& key)> value;
};

struct ChainOptions {
  std::string profile = "default";  // AWS_PROFILE or "default"
  ProfileFile credentials_file;     // ~/.aws/credentials (AWS_SHARED_CREDENTIALS_FILE)
  ProfileFile config_file;          // ~/.aws/config (AWS_CONFIG_FILE)
  std::string region = "us-east-1"; // for STS's regional endpoint
  RefreshOptions refresh;
};

// Walks the chain above; returns the first source that answers, with its
// credentials. Throws veil::Error listing what was tried when none does, or
// naming the source that was configured but failed (a web identity token
// STS refused, a credential_process that exited 1): a source that is set
// up and broken is an error, not a reason to try the next.
std::shared_ptr<CredentialCache> find_credentials(const ChainOptions& options, const Getenv& getenv);

// "2026-12-04T15:04:05Z" (fractional seconds and a +00:00 offset allowed),
// as STS, IMDS and the container endpoints write expiry times.
std::optional<Clock::time_point> parse_iso8601(const std::string& text);

}  // namespace veil::s3
