#pragma once
// Loopback stand-ins for AWS's credential endpoints, following the
// documented protocols (AWS's own cannot be reached from the test
// machines): an HTTP server in a thread of the test process, and an
// instance metadata service that speaks IMDSv2 only.
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

namespace veil::test {

// "2026-12-04T15:04:05.123Z", as IMDS and STS write expiry times.
std::string iso8601(std::chrono::system_clock::time_point t);

// An HTTP server on 127.0.0.1 in a thread of this process.
class StandIn {
 public:
  explicit StandIn(const std::function<void(httplib::Server&)>& routes);
  ~StandIn();
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

// IMDSv2 as EC2 documents it: a session token by PUT (with its TTL header),
// then every GET must carry it; a GET without one (IMDSv1) is refused and
// counted. The role "veil-worker-role" has credentials that live `life`;
// each fetch gets a new session token "tok-N".
struct Imds {
  std::chrono::seconds life{3600};
  std::atomic<int> token_puts{0}, fetches{0}, v1_attempts{0};
  std::atomic<bool> failing{false};
  std::string access_key = "S3RVER", secret = "S3RVER";
  StandIn server;
  Imds();
};

}  // namespace veil::test
