// `veil eval`: recall against annotated photos or a labelled video, by the
// rule docs/recall.md describes (a box is hidden when >= 70% of it is).
#include "commands.hpp"
#include "options.hpp"
#include "progress_bar.hpp"
#include "veil/eval/evaluator.hpp"

#include <iostream>
#include <memory>
#include <unistd.h>

namespace veil::cli {
namespace {

struct EvalArgs {
  AnonymizeArgs detection;
  std::string annotations, format, only_class;
  float min_height = 10;
  bool json = false, quiet = false;
};

void add_eval(CLI::App& app, EvalArgs& e) {
  app.add_option("input", e.detection.input,
                 "folder of annotated images, or a video labelled in veil format (or an s3:// prefix or object)")
      ->required();
  app.add_option("--annotations", e.annotations, "annotation file or folder")->required();
  app.add_option("--format", e.format, "annotation format")
      ->required()
      ->check(CLI::IsMember({"voc", "openalpr", "wider", "coco", "veil"}));
  app.add_option("--class", e.only_class, "treat every annotated box as this class")
      ->check(CLI::IsMember({"face", "plate"}));
  app.add_option("--min-size", e.min_height, "headline figures count boxes at least this tall (px)")
      ->capture_default_str();
  app.add_flag("--json", e.json, "print one JSON object");
  app.add_flag("-q,--quiet", e.quiet, "no progress bar");
  add_detection_options(app, e.detection);
}

int run_eval(const EvalArgs& e) {
  EvalOptions o;
  o.anonymize = anonymize_options(e.detection);
  o.annotations = e.annotations;
  o.format = *parse_annotation_format(e.format);
  if (!e.only_class.empty()) o.only_class = parse_object_class(e.only_class);
  ModelStore store = model_store(e.detection.no_download);
  ProgressBar bar;
  bool show_progress = !e.quiet && ::isatty(STDERR_FILENO);
  RecallReport r = evaluate(e.detection.input, o, store, show_progress ? &bar : nullptr);
  if (e.json) {
    std::cout << r.to_json(e.min_height).dump() << "\n";
  } else {
    std::cout << r.to_text(e.min_height);
  }
  return 0;
}

}  // namespace

void add_eval_command(CLI::App& app, Run& run) {
  auto e = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand("eval", "measure recall against annotated images or a labelled video");
  add_eval(*cmd, *e);
  cmd->callback([e, &run] { run = [e] { return run_eval(*e); }; });
}

}  // namespace veil::cli
