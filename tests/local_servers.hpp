#pragma once
// Real servers for tests, started on 127.0.0.1 and stopped when the object
// goes: the S3-compatible store (s3rver, with SigV4 checking) and a
// fault-injecting proxy, both from tests/servers (npm ci there; scripts/setup.sh
// does it).
#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace veil::test {

// A child process that prints "listening PORT" when ready. Killed (SIGTERM,
// then SIGKILL) and reaped on destruction.
class ServerProcess {
 public:
  explicit ServerProcess(const std::vector<std::string>& argv);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

// A child process with its output (stdout and stderr) in a file. Killed
// (SIGKILL) and reaped on destruction if still running.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& log);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  pid_t pid() const { return pid_; }
  void signal(int sig) const;
  // The exit status once it has exited within `seconds` (128 + signal when
  // killed), else nothing.
  std::optional<int> wait(double seconds);
  std::string output() const;  // the log so far

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::filesystem::path log_;
};

// nats-server with JetStream on 127.0.0.1, storing in a fresh folder that
// outlives restarts of the server.
class LocalNats {
 public:
  LocalNats();
  ~LocalNats();
  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
  void stop();     // SIGTERM, waits for the exit
  void start();    // again, same port and store

 private:
  std::filesystem::path dir_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> server_;
};

// A real Prometheus server (Debian's `prometheus`) on 127.0.0.1 scraping
// `targets` ("127.0.0.1:PORT") every second as job `job`, storing in a
// fresh folder.
class LocalPrometheus {
 public:
  LocalPrometheus(const std::string& job, const std::vector<std::string>& targets);
  ~LocalPrometheus();
  // The result of an instant query (/api/v1/query): data.result, a list of
  // {"metric": {...}, "value": [time, "value"]}. Throws std::runtime_error.
  nlohmann::json query(const std::string& promql) const;
  std::string output() const { return server_->output(); }

 private:
  std::filesystem::path dir_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> server_;
};

// s3rver serving a fresh folder, with `buckets` created. Access key and
// secret key are both "S3RVER".
class LocalS3 {
 public:
  explicit LocalS3(const std::vector<std::string>& buckets);
  ~LocalS3();
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  int port() const { return server_->port(); }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<ServerProcess> server_;
};

// The proxy in tests/servers/fault_proxy.js in front of `target_port`, with
// the fault rules `faults` (a JSON list, documented there).
class FaultProxy {
 public:
  FaultProxy(int target_port, const nlohmann::json& faults);
  ~FaultProxy();
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  // One object per request served so far: method, url, status, bytes, range, fault.
  std::vector<nlohmann::json> log() const;
  const std::filesystem::path& log_path() const { return log_; }

 private:
  std::filesystem::path log_;
  std::unique_ptr<ServerProcess> server_;
};

// Points this process (and the commands it runs) at `endpoint` with the
// local server's credentials, as a user would with AWS_* variables; puts
// the previous environment back on destruction.
class S3Environment {
 public:
  explicit S3Environment(const std::string& endpoint);
  ~S3Environment();

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

// Keys of the multipart uploads still open in `bucket` (ListMultipartUploads),
// with the credentials and endpoint of the environment.
std::vector<std::string> open_multipart_uploads(const std::string& bucket);

}  // namespace veil::test
