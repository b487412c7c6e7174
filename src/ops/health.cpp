// Readiness: named conditions, all of which must hold.
#include "veil/ops/monitoring.hpp"

namespace veil {

void Health::set(const std::string& name, bool ok, std::string detail) {
  std::lock_guard<std::mutex> lock(mutex_);
  conditions_[name] = Condition{ok, std::move(detail)};
}

bool Health::ready(std::string* report) const {
  std::lock_guard<std::mutex> lock(mutex_);
  bool all = !conditions_.empty();
  if (report) report->clear();
  for (const auto& [name, c] : conditions_) {
    all = all && c.ok;
    if (report) *report += name + ": " + (c.ok ? "ok" : "not ready") + (c.detail.empty() ? "" : " (" + c.detail + ")") + "\n";
  }
  if (report && conditions_.empty()) *report = "starting\n";
  return all;
}

}  // namespace veil
