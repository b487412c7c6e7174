// Fuzz target: job messages as a worker takes them off the queue.
#include "veil/core/error.hpp"
#include "veil/queue/work_queue.hpp"

#include <nlohmann/json.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto j = nlohmann::json::parse(data, data + size, nullptr, false);
  if (j.is_discarded()) return 0;  // the worker dead-letters what is not JSON
  try {
    veil::Job::from_json(j).to_json();
  } catch (const veil::Error&) {
  }
  return 0;
}
