#pragma once
// Signed S3 REST requests over libcurl, with retries. libcurl computes the
// AWS Signature Version 4 (CURLOPT_AWS_SIGV4); Veil supplies the payload hash
// (x-amz-content-sha256), the canonical path and the sorted, encoded query.
#include "storage/s3_config.hpp"

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace veil::s3 {

struct Request {
  std::string method = "GET";  // GET PUT POST DELETE HEAD
  std::string bucket;
  std::string key;  // empty for bucket-level requests
  std::vector<std::pair<std::string, std::string>> query;  // not encoded; sent sorted
  std::vector<std::string> headers;  // "Range: bytes=0-9"
  std::string_view body;
  // Still sent after veil::request_stop() (aborting an upload must be).
  bool ignore_stop = false;
};

struct Response {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names lowercase
};

// AWS's URI encoding: every byte but A-Z a-z 0-9 - _ . ~ as %XX, and '/'
// too unless `keep_slash`.
std::string uri_encode(std::string_view text, bool keep_slash);

// "s3://bucket/key".
std::string object_url(const std::string& bucket, const std::string& key);

// The request's URL under `config`: endpoint, addressing style, encoded path
// and sorted, encoded query.
std::string request_url(const Config& config, const Request& request);

class Client {
 public:
  explicit Client(Config config);

  // Sends `request`, retrying throttling (429, SlowDown), server errors (5xx)
  // and dropped connections with capped exponential back-off and full
  // jitter, up to Config::max_attempts tries. Returns a 2xx response, or a
  // 404 when `allow_not_found`. Throws veil::Error naming the bucket and key
  // otherwise, with S3's error code and what to do about it.
  Response send(const Request& request, bool allow_not_found = false);

 private:
  Response send_once(const Request& request, const Config& config, int* curl_code, std::string* curl_error) const;
  Config config() const;

  mutable std::mutex mutex_;
  Config config_;  // the region changes when S3 redirects to the bucket's
};

}  // namespace veil::s3
