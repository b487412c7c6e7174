#include "job_executor.hpp"

#include "options.hpp"

#include <filesystem>

namespace veil::cli {

JobExecutor::JobExecutor(const ModelStore& store, Health* health) : store_(store) {
  if (health) health->set("models", false, "loading");
  anonymizer_ = std::make_unique<Anonymizer>(job_options("input", "output", "", loaded_for_), store_);
  if (health) health->set("models", true, "the default line-up");
}

JobReport JobExecutor::run(const Job& job) {
  AnonymizeOptions o = job_options(job.input, job.output, job.detections, job.args);
  // A folder's outputs go to sub-folders that may not exist yet.
  for (const std::string& path : {job.output, job.detections}) {
    if (path.empty() || is_object_url(path)) continue;
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  }
  if (!anonymizer_ || loaded_for_ != job.args) {
    anonymizer_.reset();
    anonymizer_ = std::make_unique<Anonymizer>(o, store_);
    loaded_for_ = job.args;
  }
  anonymizer_->set_detections_path(o.detections_path);
  RunStats s = anonymizer_->run(job.input, job.output);
  if (!s.failures.empty()) throw Error(s.failures.front());
  JobReport report;
  report.frames = s.frames;
  report.seconds = s.seconds;
  report.footage_seconds = s.footage_seconds;
  for (const auto& [cls, n] : s.objects) report.objects[std::string(to_string(cls))] = n;
  report.boxes = s.boxes();
  report.truncated = !s.truncated.empty();
  return report;
}

}  // namespace veil::cli
