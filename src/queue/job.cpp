// Jobs: their JSON form and how a submission becomes jobs.
#include "io/media_listing.hpp"
#include "models/sha256.hpp"
#include "veil/core/error.hpp"
#include "veil/io/media_io.hpp"
#include "veil/pipeline/anonymizer.hpp"
#include "veil/queue/work_queue.hpp"

namespace veil {

nlohmann::json Job::to_json() const {
  return {{"id", id}, {"input", input}, {"output", output}, {"detections", detections}, {"args", args}};
}

Job Job::from_json(const nlohmann::json& j) {
  try {
    Job job;
    job.id = j.at("id").get<std::string>();
    job.input = j.at("input").get<std::string>();
    job.output = j.at("output").get<std::string>();
    job.detections = j.value("detections", "");
    job.args = j.value("args", std::vector<std::string>{});
    if (job.id.empty() || job.input.empty() || job.output.empty()) throw Error("empty id, input or output");
    return job;
  } catch (const std::exception& ex) {
    throw Error(std::string("malformed job: ") + ex.what());
  }
}

Job make_job(const std::string& input, const std::string& version, const std::string& output,
             const std::vector<std::string>& args, bool sidecars) {
  Job job;
  job.input = input;
  job.output = output;
  if (sidecars) job.detections = output + ".jsonl";
  job.args = args;
  const nlohmann::json key = {{"input", job.input},   {"version", version},  {"output", job.output},
                              {"detections", job.detections}, {"args", job.args}};
  job.id = sha256_hex(key.dump()).substr(0, 32);
  return job;
}

std::vector<Job> plan_jobs(const std::string& input, const std::string& output, const std::vector<std::string>& args,
                           bool sidecars, const StorageOptions& storage) {
  const MediaListing listing = list_media(input, output, storage);
  if (listing.is_folder && listing.files.empty()) throw Error(input + ": no videos or images in this folder");
  std::vector<Job> jobs;
  for (const auto& file : listing.files) {
    if (!file.problem.empty()) throw Error(file.problem);
    std::string out;
    if (listing.is_folder) {
      out = join_location(output, file.relative);
    } else {
      const bool to_folder = !output.empty() && output.back() == '/';
      out = to_folder ? output + file.relative : output;
    }
    jobs.push_back(make_job(file.location, file.version, out, args, sidecars));
  }
  return jobs;
}

}  // namespace veil
