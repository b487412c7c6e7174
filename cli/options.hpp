#pragma once
// The command-line options several commands share (what is hidden and how,
// how outputs are written) and their translation into the library's options.
// `veil submit` and `veil watch` hand anonymize's flags to jobs as text, and
// a worker parses them here again, so every command checks them one way.
#include "veil/core/error.hpp"
#include "veil/models/model_store.hpp"
#include "veil/pipeline/anonymizer.hpp"
#include "veil/queue/work_queue.hpp"

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace veil::cli {

// An option value the parser accepted but Veil cannot use: a usage error
// (exit status 2).
struct UsageError : Error {
  using Error::Error;
};

// What `veil anonymize` (and eval, render, review, which take parts of it)
// was given.
struct AnonymizeArgs {
  std::string input, output, targets = "face,plate", mode = "blur", shape = "auto", fill = "black";
  std::string image_format = "same", codec = "h264", preset = "medium", detections, manifest;
  std::optional<float> face_threshold, plate_threshold;
  std::string profile = "default";
  // Empty / none: what the profile says.
  std::vector<std::string> face_models, plate_models;
  bool allow_noncommercial = false;
  std::string context = "on";
  float weak_face = SupportOptions{}.face_below, weak_plate = SupportOptions{}.plate_below;
  float mask_scale = 1.3f, plate_mask_scale = 1.15f;
  int block_size = 0;
  std::optional<int> crf;
  bool strip_metadata = false, quiet = false, json = false, no_download = false, no_tracking = false, s3_path_style = false;
  int lookahead = LookaheadOptions{}.window, max_gap = TrackerOptions{}.max_gap;
  std::optional<int> sweep;
  std::string precision;  // empty: the profile's
  int threads = 0;
};

// How a hidden object looks: anonymize, eval, render and review.
void add_redaction_options(CLI::App& app, AnonymizeArgs& a);
// What is hidden: anonymize and eval, so that eval measures exactly what
// anonymize would do with the same flags. Includes the redaction options.
void add_detection_options(CLI::App& app, AnonymizeArgs& a);
// How outputs are written: anonymize and render.
void add_output_options(CLI::App& app, AnonymizeArgs& a);
// Every option of `veil anonymize` but the live ones.
void add_anonymize_options(CLI::App& app, AnonymizeArgs& a);

// Translations; each throws UsageError for a value the parser let through
// but Veil cannot use.
RedactOptions redact_options(const AnonymizeArgs& a);
ImageFormat image_format(const AnonymizeArgs& a);
VideoEncodeOptions encode_options(const AnonymizeArgs& a);
AnonymizeOptions anonymize_options(const AnonymizeArgs& a);
ModelStore model_store(bool no_download);

// The AnonymizeOptions a job's flags give, checked as `veil anonymize`
// checks them. Throws veil::Error for a flag anonymize would refuse.
AnonymizeOptions job_options(const std::string& input, const std::string& output, const std::string& detections,
                             const std::vector<std::string>& args);

// "2s", "500ms", "1.5", "1m" -> seconds. Throws UsageError naming `name`.
double parse_duration(const std::string& name, const std::string& text);
// "KEY=VALUE" items. Throws UsageError naming `name`.
std::vector<std::pair<std::string, std::string>> parse_key_values(const std::string& name,
                                                                  const std::vector<std::string>& items);

// The NATS JetStream queue: submit, worker, status and watch --nats.
struct QueueArgs {
  std::string nats = "nats://127.0.0.1:4222";
  double ack_wait = 60;
  int max_deliver = 3;
  int replicas = 1;
  std::string queue = "VEIL";
};
void add_queue_options(CLI::App& app, QueueArgs& q);
QueueOptions queue_options(const QueueArgs& q);

// Long-running commands (worker, watch, anonymize --live): --metrics
// HOST:PORT and --log-format text|json.
struct ServiceArgs {
  std::string metrics;
  std::string log_format = "text";
};
void add_service_options(CLI::App& app, ServiceArgs& s, const std::string& group = "");
// Sets the log format; call first thing in the command's run.
void apply_log_format(const ServiceArgs& s);

}  // namespace veil::cli
