#include "local_servers.hpp"

#include "storage/s3_client.hpp"
#include "test_paths.hpp"

#include <httplib.h>
#include <pugixml.hpp>

#include <arpa/inet.h>
#include <chrono>
#include <fcntl.h>
#include <netinet/in.h>
#include <sstream>
#include <sys/socket.h>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <spawn.h>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace veil::test {
namespace fs = std::filesystem;

namespace {

fs::path servers_dir() { return fs::path(VEIL_SOURCE_DIR) / "tests" / "servers"; }

void require_node_modules() {
  if (!fs::exists(servers_dir() / "node_modules" / "s3rver")) {
    throw std::runtime_error("tests/servers/node_modules is missing: run scripts/setup.sh (npm ci in tests/servers)");
  }
}

}  // namespace

ServerProcess::ServerProcess(const std::vector<std::string>& argv) {
  int out[2];
  if (::pipe(out) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const int err = ::posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  if (err != 0) {
    ::close(out[0]);
    throw std::runtime_error("cannot start " + argv[0]);
  }
  // The first line is "listening PORT"; anything else means it failed.
  FILE* in = ::fdopen(out[0], "r");
  char line[256] = {};
  const bool got = std::fgets(line, sizeof(line), in) != nullptr;
  std::fclose(in);  // later output goes nowhere (the child gets SIGPIPE only if it writes)
  if (!got || std::sscanf(line, "listening %d", &port_) != 1) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    throw std::runtime_error("server did not start: " + argv[0] + " " + (argv.size() > 1 ? argv[1] : "") + ": " +
                             line);
  }
}

ServerProcess::~ServerProcess() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const fs::path& log) : log_(log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const int err = ::posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) throw std::runtime_error("cannot start " + argv[0]);
}

ChildProcess::~ChildProcess() {
  if (status_ || pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

void ChildProcess::signal(int sig) const {
  if (!status_) ::kill(pid_, sig);
}

std::optional<int> ChildProcess::wait(double seconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!status_) {
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      break;
    }
    if (std::chrono::steady_clock::now() >= until) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return status_;
}

std::string ChildProcess::output() const {
  std::ifstream in(log_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

namespace {
// A port nothing listens on now (the kernel's choice for port 0).
int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool accepts_connections(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}
}  // namespace

LocalPrometheus::LocalPrometheus(const std::string& job, const std::vector<std::string>& targets)
    : dir_(make_temp_dir("prometheus")), port_(free_port()) {
  nlohmann::json config = {
      {"global", {{"scrape_interval", "1s"}, {"scrape_timeout", "1s"}}},
      {"scrape_configs", {{{"job_name", job}, {"static_configs", {{{"targets", targets}}}}}}}};
  // YAML is a superset of JSON: the config is written as JSON.
  std::ofstream(dir_ / "prometheus.yml") << config.dump(2);
  server_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{"prometheus", "--config.file=" + (dir_ / "prometheus.yml").string(),
                               "--storage.tsdb.path=" + (dir_ / "data").string(),
                               "--web.listen-address=127.0.0.1:" + std::to_string(port_)},
      dir_ / "server.log");
  httplib::Client client("127.0.0.1", port_);
  for (int i = 0; i < 1200; ++i) {  // a minute at most
    if (server_->wait(0.05)) throw std::runtime_error("prometheus exited: " + server_->output());
    auto res = client.Get("/-/ready");
    if (res && res->status == 200) return;
  }
  throw std::runtime_error("prometheus did not become ready: " + server_->output());
}

LocalPrometheus::~LocalPrometheus() {
  server_.reset();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

nlohmann::json LocalPrometheus::query(const std::string& promql) const {
  httplib::Client client("127.0.0.1", port_);
  auto res = client.Get("/api/v1/query", httplib::Params{{"query", promql}}, httplib::Headers{});
  if (!res || res->status != 200) throw std::runtime_error("prometheus query failed: " + promql);
  const nlohmann::json j = nlohmann::json::parse(res->body);
  if (j.value("status", "") != "success") throw std::runtime_error("prometheus query failed: " + res->body);
  return j["data"]["result"];
}

LocalNats::LocalNats() : dir_(make_temp_dir("nats")), port_(free_port()) { start(); }

LocalNats::~LocalNats() {
  stop();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

void LocalNats::start() {
  server_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{"nats-server", "-js", "-sd", (dir_ / "store").string(), "-a", "127.0.0.1", "-p",
                               std::to_string(port_)},
      dir_ / "server.log");
  for (int i = 0; i < 200 && !accepts_connections(port_); ++i) {
    if (server_->wait(0.05)) throw std::runtime_error("nats-server exited: " + server_->output());
  }
  if (!accepts_connections(port_)) throw std::runtime_error("nats-server did not start: " + server_->output());
}

void LocalNats::stop() {
  if (!server_) return;
  server_->signal(SIGTERM);
  server_->wait(10);
  server_.reset();
}

LocalS3::LocalS3(const std::vector<std::string>& buckets) {
  require_node_modules();
  dir_ = make_temp_dir("s3");
  std::vector<std::string> argv = {"node", (servers_dir() / "s3_server.js").string(), "--dir", dir_.string()};
  for (const auto& b : buckets) {
    argv.push_back("--bucket");
    argv.push_back(b);
  }
  server_ = std::make_unique<ServerProcess>(argv);
}

LocalS3::~LocalS3() {
  server_.reset();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

FaultProxy::FaultProxy(int target_port, const nlohmann::json& faults) {
  require_node_modules();
  log_ = make_temp_dir("proxy") / "requests.jsonl";
  server_ = std::make_unique<ServerProcess>(std::vector<std::string>{
      "node", (servers_dir() / "fault_proxy.js").string(), "--target", std::to_string(target_port), "--log",
      log_.string(), "--faults", faults.dump()});
}

FaultProxy::~FaultProxy() {
  server_.reset();
  std::error_code ec;
  fs::remove_all(log_.parent_path(), ec);
}

std::vector<nlohmann::json> FaultProxy::log() const {
  std::vector<nlohmann::json> lines;
  std::ifstream in(log_);
  for (std::string l; std::getline(in, l);) {
    if (!l.empty()) lines.push_back(nlohmann::json::parse(l));
  }
  return lines;
}

S3Environment::S3Environment(const std::string& endpoint) {
  const std::vector<std::pair<std::string, std::string>> vars = {
      {"AWS_ACCESS_KEY_ID", "S3RVER"}, {"AWS_SECRET_ACCESS_KEY", "S3RVER"}, {"AWS_ENDPOINT_URL", endpoint},
      {"AWS_REGION", "us-east-1"},     {"AWS_MAX_ATTEMPTS", "5"}};
  // Variables that would override these, or point at the user's own setup.
  for (const char* name : {"AWS_ENDPOINT_URL_S3", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_S3_ADDRESSING_STYLE"}) {
    const char* old = std::getenv(name);
    saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
    ::unsetenv(name);
  }
  for (const auto& [name, value] : vars) {
    const char* old = std::getenv(name.c_str());
    saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
    ::setenv(name.c_str(), value.c_str(), 1);
  }
}

S3Environment::~S3Environment() {
  for (const auto& [name, value] : saved_) {
    if (value) {
      ::setenv(name.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(name.c_str());
    }
  }
}

std::vector<std::string> open_multipart_uploads(const std::string& bucket) {
  s3::Client client(s3::resolve_config({}));
  s3::Request r;
  r.bucket = bucket;
  r.query = {{"uploads", ""}};
  s3::Response response = client.send(r);
  pugi::xml_document doc;
  doc.load_buffer(response.body.data(), response.body.size());
  std::vector<std::string> keys;
  for (auto u : doc.child("ListMultipartUploadsResult").children("Upload")) keys.push_back(u.child_value("Key"));
  return keys;
}

}  // namespace veil::test
