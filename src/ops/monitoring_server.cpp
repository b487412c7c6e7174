// /metrics, /healthz and /readyz over cpp-httplib, in a thread of its own.
#include "veil/core/error.hpp"
#include "veil/ops/monitoring.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace veil {

namespace {

struct Address {
  std::string host;
  int port = 0;
};

// "HOST:PORT", ":PORT" or "[V6]:PORT".
Address parse_address(const std::string& text) {
  const auto colon = text.rfind(':');
  Address a;
  if (colon == std::string::npos) throw Error("--metrics: expected HOST:PORT or :PORT, got '" + text + "'");
  a.host = text.substr(0, colon);
  if (a.host.size() >= 2 && a.host.front() == '[' && a.host.back() == ']') a.host = a.host.substr(1, a.host.size() - 2);
  if (a.host.empty()) a.host = "0.0.0.0";
  const std::string port = text.substr(colon + 1);
  std::size_t used = 0;
  try {
    a.port = std::stoi(port, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (port.empty() || used != port.size() || a.port < 0 || a.port > 65535) {
    throw Error("--metrics: '" + port + "' is not a port number (0-65535) in '" + text + "'");
  }
  return a;
}

}  // namespace

struct MonitoringServer::Impl {
  httplib::Server http;
  std::string host;
  int port = 0;
  std::atomic<bool> ended{false};
  std::thread thread;
};

MonitoringServer::MonitoringServer(const std::string& address, const Metrics& metrics, const Health& health)
    : impl_(std::make_unique<Impl>()) {
  const Address a = parse_address(address);
  httplib::Server& http = impl_->http;
  http.Get("/metrics", [&metrics](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics.text(), "text/plain; version=0.0.4; charset=utf-8");
  });
  http.Get("/healthz", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok\n", "text/plain"); });
  http.Get("/readyz", [&health](const httplib::Request&, httplib::Response& res) {
    std::string report;
    res.status = health.ready(&report) ? 200 : 503;
    res.set_content(report, "text/plain");
  });
  // As the review server: no SO_REUSEPORT, so a port in use is refused
  // rather than shared.
  http.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  impl_->host = a.host;
  impl_->port = a.port == 0 ? http.bind_to_any_port(a.host) : (http.bind_to_port(a.host, a.port) ? a.port : -1);
  if (impl_->port <= 0) throw Error("--metrics: cannot listen on " + address + " (in use, or not this machine's address?)");
  impl_->thread = std::thread([impl = impl_.get()] {
    impl->http.listen_after_bind();
    impl->ended = true;
  });
  spdlog::info("metrics and probes on {}/metrics, /healthz, /readyz", url());
}

MonitoringServer::~MonitoringServer() {
  // stop() before the thread has begun listening does nothing: wait until it
  // listens (or has ended), then stop it once.
  while (!impl_->http.is_running() && !impl_->ended) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  impl_->http.stop();
  impl_->thread.join();
}

std::string MonitoringServer::url() const {
  const std::string host = impl_->host.find(':') != std::string::npos ? "[" + impl_->host + "]" : impl_->host;
  return "http://" + host + ":" + std::to_string(impl_->port);
}

}  // namespace veil
