#include "queue/nats_client.hpp"

#include "veil/core/error.hpp"

#include <spdlog/spdlog.h>

namespace veil::queue {

void check(natsStatus s, const std::string& what, jsErrCode js_error) {
  if (s == NATS_OK) return;
  std::string msg = what + ": " + natsStatus_GetText(s);
  if (js_error != 0) msg += " (JetStream error " + std::to_string(int(js_error)) + ")";
  const char* last = nats_GetLastError(nullptr);
  if (last && *last && msg.find(last) == std::string::npos) msg += ": " + std::string(last);
  throw Error(msg);
}

NatsClient::NatsClient(const QueueOptions& options) : options_(options) {
  check(natsOptions_Create(&opts_), "cannot set up a NATS connection");
  check(natsOptions_SetServers(opts_, nullptr, 0), "NATS options");
  check(natsOptions_SetURL(opts_, options_.url.c_str()), "bad NATS URL '" + options_.url + "'");
  natsOptions_SetMaxReconnect(opts_, -1);  // forever: a restarted server is found again
  natsOptions_SetReconnectWait(opts_, 250);
  natsOptions_SetTimeout(opts_, 5000);
  natsOptions_SetName(opts_, "veil");
  natsStatus s = natsConnection_Connect(&nc_, opts_);
  if (s != NATS_OK) {
    natsOptions_Destroy(opts_);
    opts_ = nullptr;
    throw Error("cannot reach the NATS server at " + options_.url + " (" + natsStatus_GetText(s) +
                "); start one with `nats-server -js` or pass --nats URL");
  }
  check(natsConnection_JetStream(&js_, nc_, nullptr), "cannot use JetStream on " + options_.url);
  ensure_streams();
}

NatsClient::~NatsClient() {
  if (js_) jsCtx_Destroy(js_);
  if (nc_) natsConnection_Destroy(nc_);
  if (opts_) natsOptions_Destroy(opts_);
}

void NatsClient::ensure_streams() {
  auto add = [&](const std::string& name, const std::string& subject, jsRetentionPolicy retention,
                 int64_t per_subject, int64_t max_age_ns) {
    jsStreamInfo* si = nullptr;
    jsErrCode err = jsErrCode(0);
    natsStatus s = js_GetStreamInfo(&si, js_, name.c_str(), nullptr, &err);
    if (s == NATS_OK) {
      jsStreamInfo_Destroy(si);
      return;
    }
    if (s != NATS_NOT_FOUND && err != JSStreamNotFoundErr) {
      check(s, "cannot read stream " + name + " on " + options_.url +
                   " (is JetStream enabled? start the server with -js)", err);
    }
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = name.c_str();
    const char* subjects[] = {subject.c_str()};
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Retention = retention;
    cfg.Storage = js_FileStorage;
    cfg.MaxMsgsPerSubject = per_subject;
    cfg.MaxAge = max_age_ns;
    cfg.Replicas = options_.replicas;
    // Submitting the same job again within an hour is dropped by the server.
    cfg.Duplicates = int64_t(3600) * 1000 * 1000 * 1000;
    s = js_AddStream(&si, js_, &cfg, nullptr, &err);
    if (s == NATS_OK) {
      jsStreamInfo_Destroy(si);
      spdlog::info("created stream {} on {}", name, options_.url);
      return;
    }
    // Another process created it meanwhile.
    if (js_GetStreamInfo(&si, js_, name.c_str(), nullptr, nullptr) == NATS_OK) {
      jsStreamInfo_Destroy(si);
      return;
    }
    check(s, "cannot create stream " + name + " on " + options_.url, err);
  };
  const int64_t results_age =
      int64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(options_.results_kept).count());
  add(jobs_stream(), jobs_subject(), js_WorkQueuePolicy, -1, 0);
  add(results_stream(), options_.subject_prefix + ".*.*", js_LimitsPolicy, 1, results_age);
}

bool NatsClient::publish(const std::string& subject, const std::string& data, const std::string& msg_id) {
  jsPubOptions po;
  jsPubOptions_Init(&po);
  if (!msg_id.empty()) po.MsgId = msg_id.c_str();
  jsPubAck* ack = nullptr;
  jsErrCode err = jsErrCode(0);
  natsStatus s = js_Publish(&ack, js_, subject.c_str(), data.data(), int(data.size()), &po, &err);
  check(s, "cannot publish on " + subject, err);
  const bool duplicate = ack->Duplicate;
  jsPubAck_Destroy(ack);
  return !duplicate;
}

std::optional<std::string> NatsClient::last_result(const std::string& subject) {
  natsMsg* msg = nullptr;
  jsErrCode err = jsErrCode(0);
  natsStatus s = js_GetLastMsg(&msg, js_, results_stream().c_str(), subject.c_str(), nullptr, &err);
  if (s == NATS_NOT_FOUND || err == JSNoMessageFoundErr) return std::nullopt;
  check(s, "cannot read " + subject, err);
  std::string data(natsMsg_GetData(msg), std::size_t(natsMsg_GetDataLength(msg)));
  natsMsg_Destroy(msg);
  return data;
}

}  // namespace veil::queue
