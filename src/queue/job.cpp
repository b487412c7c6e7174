// Jobs: their JSON form and how a submission becomes jobs.
#include "io/media_listing.hpp"
#include "models/sha256.hpp"
#include "veil/core/error.hpp"
#include "veil/io/media_io.hpp"
#include "veil/pipeline/anonymizer.hpp"
#include "veil/queue/work_queue.hpp"

#include <filesystem>

namespace veil {
namespace fs = std::filesystem;

namespace {

// What identifies the input's content without reading it: size and
// modification time for a file, size and ETag for an object.
std::string version_of(const std::string& location, const StorageOptions& storage) {
  if (is_object_url(location)) {
    ObjectLocation loc = open_object_location(location, storage);
    std::optional<ObjectInfo> info = loc.store->stat(loc.key);
    if (!info) throw Error(location + ": no such object");
    return std::to_string(info->size) + "/" + info->etag;
  }
  std::error_code ec;
  const auto size = fs::file_size(location, ec);
  if (ec) throw Error(location + ": " + ec.message());
  const auto mtime = fs::last_write_time(location, ec).time_since_epoch().count();
  return std::to_string(size) + "/" + std::to_string(mtime);
}

}  // namespace

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

std::vector<Job> plan_jobs(const std::string& input, const std::string& output, const std::vector<std::string>& args,
                           bool sidecars, const StorageOptions& storage) {
  const MediaListing listing = list_media(input, output, storage);
  if (listing.is_folder && listing.files.empty()) throw Error(input + ": no videos or images in this folder");
  std::vector<Job> jobs;
  for (const auto& file : listing.files) {
    if (!file.problem.empty()) throw Error(file.problem);
    Job job;
    job.input = file.location;
    if (listing.is_folder) {
      job.output = join_location(output, file.relative);
    } else {
      const bool to_folder = !output.empty() && output.back() == '/';
      job.output = to_folder ? output + file.relative : output;
    }
    if (sidecars) job.detections = job.output + ".jsonl";
    job.args = args;
    nlohmann::json key = {{"input", job.input},        {"version", version_of(job.input, storage)},
                          {"output", job.output},      {"detections", job.detections},
                          {"args", job.args}};
    job.id = sha256_hex(key.dump()).substr(0, 32);
    jobs.push_back(std::move(job));
  }
  return jobs;
}

}  // namespace veil
