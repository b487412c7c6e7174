#pragma once
// Runs jobs (`veil worker`'s from the queue, `veil watch`'s found files) in
// this process, keeping the models loaded while consecutive jobs share
// their options.
#include "veil/models/model_store.hpp"
#include "veil/ops/monitoring.hpp"
#include "veil/pipeline/anonymizer.hpp"
#include "veil/queue/work_queue.hpp"

#include <memory>
#include <string>
#include <vector>

namespace veil::cli {

// One thread at a time may use it.
class JobExecutor {
 public:
  // Loads the models of the default options now, so that the process says
  // it is ready ("models" in `health`, which may be null) only once they
  // are. `store` must outlive the executor. Throws veil::Error.
  JobExecutor(const ModelStore& store, Health* health);

  // Anonymizes job.input into job.output with the job's options. Throws
  // veil::Error when it fails (after veil::request_stop(): between frames).
  JobReport run(const Job& job);

 private:
  const ModelStore& store_;
  std::unique_ptr<Anonymizer> anonymizer_;
  std::vector<std::string> loaded_for_;  // the job options the models were loaded with
};

}  // namespace veil::cli
