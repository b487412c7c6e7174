// Submitting jobs and reading the queue's state.
#include "queue/nats_client.hpp"
#include "veil/core/error.hpp"
#include "veil/queue/work_queue.hpp"

#include <set>

namespace veil {

namespace {

class NatsWorkQueue : public WorkQueue {
 public:
  explicit NatsWorkQueue(const QueueOptions& options) : client_(options) {}

  bool submit(const Job& job) override {
    if (client_.last_result(client_.done_subject(job.id))) return false;
    return client_.publish(client_.jobs_subject(), job.to_json().dump(), job.id);
  }

  std::optional<nlohmann::json> done_record(const std::string& id) override {
    return record_on(client_.done_subject(id));
  }
  std::optional<nlohmann::json> failed_record(const std::string& id) override {
    return record_on(client_.failed_subject(id));
  }

  std::optional<nlohmann::json> record_on(const std::string& subject) {
    const std::optional<std::string> record = client_.last_result(subject);
    if (!record) return std::nullopt;
    nlohmann::json j = nlohmann::json::parse(*record, nullptr, false);
    if (!j.is_object()) return std::nullopt;
    return j;
  }

  QueueStatus status() override {
    QueueStatus st;
    jsStreamInfo* si = nullptr;
    jsErrCode err = jsErrCode(0);
    queue::check(js_GetStreamInfo(&si, client_.js(), client_.jobs_stream().c_str(), nullptr, &err),
                 "cannot read stream " + client_.jobs_stream(), err);
    const std::int64_t in_stream = std::int64_t(si->State.Msgs);
    jsStreamInfo_Destroy(si);

    jsConsumerInfo* ci = nullptr;
    natsStatus s = js_GetConsumerInfo(&ci, client_.js(), client_.jobs_stream().c_str(), client_.consumer().c_str(),
                                      nullptr, &err);
    if (s == NATS_OK) {
      st.running = ci->NumAckPending;
      st.workers = ci->NumWaiting;
      jsConsumerInfo_Destroy(ci);
    } else if (s != NATS_NOT_FOUND && err != JSConsumerNotFoundErr) {
      queue::check(s, "cannot read the workers' consumer", err);
    }
    st.queued = std::max<std::int64_t>(0, in_stream - st.running);

    std::set<std::string> done = result_ids("done"), failed = result_ids("failed");
    st.done = std::int64_t(done.size());
    for (const auto& id : done) {
      const auto record = client_.last_result(client_.done_subject(id));
      if (!record) continue;
      const nlohmann::json r = nlohmann::json::parse(*record, nullptr, false);
      if (!r.is_object()) continue;
      if (r.contains("objects_by_class") && r["objects_by_class"].is_object()) {
        for (const auto& [cls, n] : r["objects_by_class"].items()) {
          if (n.is_number_integer()) st.objects[cls] += n.get<std::int64_t>();
        }
      }
      if (r.contains("boxes") && r["boxes"].is_number_integer()) st.boxes += r["boxes"].get<std::int64_t>();
    }
    for (const auto& id : failed) {
      if (done.count(id)) continue;
      st.failed++;
      if (auto record = client_.last_result(client_.failed_subject(id))) {
        st.failures.push_back(nlohmann::json::parse(*record, nullptr, false));
      }
    }
    return st;
  }

 private:
  // The job ids with a record on <prefix>.<kind>.<id>.
  std::set<std::string> result_ids(const std::string& kind) {
    const std::string filter = client_.options().subject_prefix + "." + kind + ".*";
    jsOptions o;
    jsOptions_Init(&o);
    o.Stream.Info.SubjectsFilter = filter.c_str();
    jsStreamInfo* si = nullptr;
    jsErrCode err = jsErrCode(0);
    queue::check(js_GetStreamInfo(&si, client_.js(), client_.results_stream().c_str(), &o, &err),
                 "cannot read stream " + client_.results_stream(), err);
    std::set<std::string> ids;
    if (si->State.Subjects) {
      const std::size_t skip = filter.size() - 1;  // "<prefix>.<kind>."
      for (int i = 0; i < si->State.Subjects->Count; ++i) ids.insert(std::string(si->State.Subjects->List[i].Subject).substr(skip));
    }
    jsStreamInfo_Destroy(si);
    return ids;
  }

  queue::NatsClient client_;
};

}  // namespace

nlohmann::json QueueStatus::to_json() const {
  return {{"queued", queued}, {"running", running}, {"done", done},         {"failed", failed},
          {"idle_workers", workers}, {"objects", objects}, {"boxes", boxes}, {"failures", failures}};
}

std::unique_ptr<WorkQueue> connect_work_queue(const QueueOptions& options) {
  return std::make_unique<NatsWorkQueue>(options);
}

}  // namespace veil
