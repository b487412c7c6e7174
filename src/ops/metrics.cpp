// The process's Prometheus metrics, kept by prometheus-cpp (Debian's
// prometheus-cpp-dev, core library only) and written in its text format;
// the HTTP side is monitoring_server.cpp, on cpp-httplib like the review
// page, so that one small server answers the probes and the scrape.
#include "veil/core/version.hpp"
#include "veil/ops/monitoring.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <mutex>

namespace veil {

namespace pm = prometheus;

struct Metrics::Impl {
  pm::Registry registry;

  pm::Family<pm::Counter>& started =
      pm::BuildCounter().Name("veil_jobs_started_total").Help("Jobs (files) begun, every try counted").Register(registry);
  pm::Family<pm::Counter>& done =
      pm::BuildCounter().Name("veil_jobs_done_total").Help("Jobs whose output is complete").Register(registry);
  pm::Family<pm::Counter>& failed = pm::BuildCounter()
                                        .Name("veil_jobs_failed_total")
                                        .Help("Tries of a job that failed, by reason")
                                        .Register(registry);
  pm::Family<pm::Gauge>& pending =
      pm::BuildGauge().Name("veil_jobs_pending").Help("Jobs waiting to be worked on, where known").Register(registry);
  pm::Family<pm::Counter>& frames =
      pm::BuildCounter().Name("veil_frames_processed_total").Help("Frames analysed and written").Register(registry);
  pm::Family<pm::Counter>& footage = pm::BuildCounter()
                                         .Name("veil_footage_seconds_total")
                                         .Help("Seconds of video processed, by its own clock")
                                         .Register(registry);
  pm::Family<pm::Counter>& processing = pm::BuildCounter()
                                            .Name("veil_processing_seconds_total")
                                            .Help("Wall-clock seconds spent on finished jobs")
                                            .Register(registry);
  pm::Family<pm::Counter>& objects = pm::BuildCounter()
                                         .Name("veil_objects_hidden_total")
                                         .Help("Objects hidden (one per tracked face or plate), by class")
                                         .Register(registry);
  pm::Family<pm::Counter>& boxes = pm::BuildCounter()
                                       .Name("veil_boxes_hidden_total")
                                       .Help("Boxes hidden, one per object per frame")
                                       .Register(registry);
  pm::Family<pm::Counter>& live_in =
      pm::BuildCounter().Name("veil_live_frames_in_total").Help("Live: frames received").Register(registry);
  pm::Family<pm::Counter>& live_out =
      pm::BuildCounter().Name("veil_live_frames_out_total").Help("Live: frames written").Register(registry);
  pm::Family<pm::Counter>& live_hidden = pm::BuildCounter()
                                             .Name("veil_live_frames_hidden_whole_total")
                                             .Help("Live: frames written hidden whole, not analysed in time")
                                             .Register(registry);
  pm::Family<pm::Counter>& live_reconnects = pm::BuildCounter()
                                                 .Name("veil_live_reconnects_total")
                                                 .Help("Live: times the input was lost and reopened")
                                                 .Register(registry);
  pm::Family<pm::Gauge>& latency = pm::BuildGauge()
                                       .Name("veil_live_latency_seconds")
                                       .Help("Live: delay from a frame's arrival to its output, last second's mean")
                                       .Register(registry);
  pm::Family<pm::Gauge>& latency_max = pm::BuildGauge()
                                           .Name("veil_live_latency_max_seconds")
                                           .Help("Live: the largest such delay in the last second")
                                           .Register(registry);
  pm::Family<pm::Gauge>& input_up =
      pm::BuildGauge().Name("veil_live_input_up").Help("Live: 1 while the input is connected").Register(registry);
  pm::Family<pm::Gauge>& info =
      pm::BuildGauge().Name("veil_build_info").Help("Veil's version, as a label; always 1").Register(registry);

  // The live status reports totals since the start; counters take the
  // increase since the last report.
  std::mutex live_mutex;
  std::int64_t last_in = 0, last_out = 0, last_hidden = 0, last_reconnects = 0;
};

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {
  impl_->info.Add({{"version", version()}}).Set(1);
  // Counters that exist from the start, so that a rate() has a first point.
  impl_->started.Add({});
  impl_->done.Add({});
  impl_->frames.Add({});
  impl_->footage.Add({});
  impl_->processing.Add({});
  impl_->boxes.Add({});
}

Metrics::~Metrics() = default;

void Metrics::job_started() { impl_->started.Add({}).Increment(); }

void Metrics::job_done(const JobReport& r) {
  impl_->done.Add({}).Increment();
  impl_->frames.Add({}).Increment(double(r.frames));
  impl_->footage.Add({}).Increment(r.footage_seconds);
  impl_->processing.Add({}).Increment(r.seconds);
  for (const auto& [cls, n] : r.objects) impl_->objects.Add({{"class", cls}}).Increment(double(n));
  impl_->boxes.Add({}).Increment(double(r.boxes));
}

void Metrics::job_failed(std::string_view reason) {
  impl_->failed.Add({{"reason", std::string(reason)}}).Increment();
}

void Metrics::set_jobs_pending(std::int64_t n) { impl_->pending.Add({}).Set(double(n)); }

void Metrics::live_status(std::int64_t frames_in, std::int64_t frames_out, std::int64_t hidden_whole,
                          std::int64_t reconnects, double latency_mean, double latency_max, bool input_connected) {
  Impl& m = *impl_;
  std::lock_guard<std::mutex> lock(m.live_mutex);
  auto add = [](pm::Counter& c, std::int64_t now, std::int64_t& last) {
    if (now > last) c.Increment(double(now - last));
    last = std::max(last, now);
  };
  if (frames_out > m.last_out) m.frames.Add({}).Increment(double(frames_out - m.last_out));
  add(m.live_in.Add({}), frames_in, m.last_in);
  add(m.live_out.Add({}), frames_out, m.last_out);
  add(m.live_hidden.Add({}), hidden_whole, m.last_hidden);
  add(m.live_reconnects.Add({}), reconnects, m.last_reconnects);
  m.latency.Add({}).Set(latency_mean);
  m.latency_max.Add({}).Set(latency_max);
  m.input_up.Add({}).Set(input_connected ? 1 : 0);
}

std::string Metrics::text() const { return pm::TextSerializer().Serialize(impl_->registry.Collect()); }

}  // namespace veil
