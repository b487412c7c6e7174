#pragma once
// Where an S3 request goes and how it is signed, resolved the way the AWS CLI
// and SDKs resolve it. Sources, first match wins:
//   credentials: as the AWS SDKs find them (storage/aws_credentials.hpp):
//                the environment, the profile (keys or credential_process),
//                web identity, container credentials, the EC2 instance role
//   profile:     AWS_PROFILE, else "default"
//   region:      AWS_REGION, AWS_DEFAULT_REGION, the profile's region, us-east-1
//   endpoint:    AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's
//                endpoint_url, else https://s3.<region>.amazonaws.com
//   path style:  --s3-path-style; AWS_S3_ADDRESSING_STYLE=path|virtual; the
//                profile's s3 addressing_style; else path style for an IP
//                address or localhost endpoint
//   attempts:    AWS_MAX_ATTEMPTS, else 5 (the first try included)
#include "storage/aws_credentials.hpp"
#include "veil/storage/object_store.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace veil::s3 {

enum class AddressingStyle { kAuto, kPath, kVirtual };

struct Config {
  // Shared by every copy: temporary credentials are fetched again before
  // they expire, whichever request asks first.
  std::shared_ptr<CredentialCache> credentials;
  std::string region = "us-east-1";
  std::string endpoint;  // scheme://host[:port], no trailing slash
  bool endpoint_is_default = true;  // AWS's own, derived from the region
  AddressingStyle style = AddressingStyle::kAuto;
  int max_attempts = 5;
  std::string credentials_source;  // "environment", "profile dev in ~/.aws/credentials", ...
};

// Reads the environment (through `getenv`, replaceable for tests) and the
// files it names, and finds the credentials. Throws veil::Error when no
// credentials are found or a setting is malformed; the message never
// contains a secret.
Config resolve_config(const StorageOptions& options, const Getenv& getenv);
Config resolve_config(const StorageOptions& options);

// The endpoint for another region (after S3 redirects a request there), when
// the endpoint is AWS's own; the same endpoint otherwise.
std::string endpoint_for_region(const Config& config, const std::string& region);

// Whether requests for `bucket` put the bucket in the path.
bool uses_path_style(const Config& config, const std::string& bucket);

}  // namespace veil::s3
