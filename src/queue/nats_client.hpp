#pragma once
// A NATS connection with JetStream, the two streams Veil uses, and errors
// turned into veil::Error. Reconnects forever by itself (nats.c does it in
// the background; calls made while disconnected fail and are retried by the
// caller).
#include "veil/queue/work_queue.hpp"

#include <nats/nats.h>

#include <string>

namespace veil::queue {

// Throws veil::Error("<what>: <nats error text>") unless `s` is NATS_OK.
void check(natsStatus s, const std::string& what, jsErrCode js_error = jsErrCode(0));

class NatsClient {
 public:
  // Connects to `options.url` and creates the streams when missing.
  explicit NatsClient(const QueueOptions& options);
  ~NatsClient();
  NatsClient(const NatsClient&) = delete;
  NatsClient& operator=(const NatsClient&) = delete;

  natsConnection* connection() const { return nc_; }
  jsCtx* js() const { return js_; }
  const QueueOptions& options() const { return options_; }

  std::string jobs_stream() const { return options_.name + "_JOBS"; }
  std::string results_stream() const { return options_.name + "_RESULTS"; }
  std::string jobs_subject() const { return options_.subject_prefix + ".jobs"; }
  std::string done_subject(const std::string& id) const { return options_.subject_prefix + ".done." + id; }
  std::string failed_subject(const std::string& id) const { return options_.subject_prefix + ".failed." + id; }
  std::string consumer() const { return "veil-workers"; }

  // Publishes `data` on `subject` and waits for the stream's ack; `msg_id`
  // (if any) lets JetStream drop a duplicate. Returns false for a duplicate.
  bool publish(const std::string& subject, const std::string& data, const std::string& msg_id = "");
  // The last record on `subject` in the results stream, if any.
  std::optional<std::string> last_result(const std::string& subject);

 private:
  void ensure_streams();

  QueueOptions options_;
  natsOptions* opts_ = nullptr;
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
};

}  // namespace veil::queue
