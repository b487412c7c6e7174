#pragma once
// A process-wide request to stop (Ctrl-C, SIGTERM). Long-running work checks
// it between frames and between network transfers, then unwinds with
// veil::Error so that every partial output is discarded: a local temporary
// file is removed, an object upload is aborted.
#include <atomic>

namespace veil {

// Async-signal-safe: may be called from a signal handler, on any thread.
void request_stop();
// Any thread.
bool stop_requested();
// Throws veil::Error("interrupted") once a stop was requested.
void throw_if_stop_requested();

// One run's own stop request, for a library caller that runs several jobs
// at once or goes on after cancelling one (veil::anonymize's `cancel`):
// while a StopScope lives on a thread, stop_requested() on that thread is
// also true once `flag` is set. The run's checks between frames happen on
// that thread; helper threads it starts (uploads) finish their part first.
// Only the thread that made it may destroy it; scopes nest.
class StopScope {
 public:
  explicit StopScope(const std::atomic<bool>* flag);
  ~StopScope();
  StopScope(const StopScope&) = delete;
  StopScope& operator=(const StopScope&) = delete;

 private:
  const std::atomic<bool>* previous_;
};

}  // namespace veil
