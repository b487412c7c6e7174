#include "veil/core/stop.hpp"

#include "veil/core/error.hpp"

#include <atomic>

namespace veil {

namespace {
std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free, "request_stop must be signal-safe");
}  // namespace

void request_stop() { g_stop.store(true, std::memory_order_relaxed); }
bool stop_requested() { return g_stop.load(std::memory_order_relaxed); }
void throw_if_stop_requested() {
  if (stop_requested()) throw Error("interrupted");
}

}  // namespace veil
