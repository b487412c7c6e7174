#include "aws_stand_ins.hpp"

#include <cstdio>
#include <ctime>

namespace veil::test {

std::string iso8601(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char text[40];
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  const size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(text + n, sizeof text - n, ".%03dZ", int(ms));
  return text;
}

StandIn::StandIn(const std::function<void(httplib::Server&)>& routes) {
  routes(server_);
  port_ = server_.bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_.listen_after_bind(); });
  while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

StandIn::~StandIn() {
  server_.stop();
  thread_.join();
}

Imds::Imds()
    : server([this](httplib::Server& s) {
        s.Put("/latest/api/token", [this](const httplib::Request& req, httplib::Response& res) {
          if (!req.has_header("X-aws-ec2-metadata-token-ttl-seconds")) return void(res.status = 400);
          ++token_puts;
          res.set_content("SESSION-TOKEN", "text/plain");
        });
        s.Get(R"(/latest/meta-data/iam/security-credentials/(.*))",
              [this](const httplib::Request& req, httplib::Response& res) {
                if (req.get_header_value("X-aws-ec2-metadata-token") != "SESSION-TOKEN") {
                  ++v1_attempts;
                  return void(res.status = 401);
                }
                if (failing) return void(res.status = 500);
                if (req.matches[1].str().empty()) return res.set_content("veil-worker-role\n", "text/plain");
                if (req.matches[1].str() != "veil-worker-role") return void(res.status = 404);
                const int n = ++fetches;
                res.set_content(nlohmann::json{{"Code", "Success"},
                                               {"Type", "AWS-HMAC"},
                                               {"AccessKeyId", access_key},
                                               {"SecretAccessKey", secret},
                                               {"Token", "tok-" + std::to_string(n)},
                                               {"Expiration", iso8601(std::chrono::system_clock::now() + life)}}
                                    .dump(),
                                "application/json");
              });
      }) {}

}  // namespace veil::test
