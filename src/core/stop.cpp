#include "veil/core/stop.hpp"

#include "veil/core/error.hpp"

#include <atomic>

namespace veil {

namespace {
std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free, "request_stop must be signal-safe");
thread_local const std::atomic<bool>* t_run_stop = nullptr;
}  // namespace

void request_stop() { g_stop.store(true, std::memory_order_relaxed); }
bool stop_requested() {
  return g_stop.load(std::memory_order_relaxed) || (t_run_stop && t_run_stop->load(std::memory_order_relaxed));
}

StopScope::StopScope(const std::atomic<bool>* flag) : previous_(t_run_stop) {
  if (flag) t_run_stop = flag;
}
StopScope::~StopScope() { t_run_stop = previous_; }
void throw_if_stop_requested() {
  if (stop_requested()) throw Error("interrupted");
}

}  // namespace veil
