#include "veil/eval/evaluator.hpp"

#include "io/media_listing.hpp"
#include "pipeline/analysis_stage.hpp"
#include "sidecar/sidecar_writer.hpp"
#include "veil/core/error.hpp"
#include "veil/io/media_io.hpp"

#include <array>

namespace veil {
namespace fs = std::filesystem;

namespace {

// What anonymize hides: the boxes at the sidecar's precision, as it uses them.
cv::Mat hidden_mask(const Redactor& redactor, cv::Size size, Detections detections) {
  round_to_sidecar_precision(detections);
  cv::Mat mask = cv::Mat::zeros(size, CV_8U);
  for (const auto& d : detections) redactor.draw_mask(mask, d);
  return mask;
}

// The image for an annotation stem, looked up as coverage.py does: first
// stem + a known extension in the folder itself, then anywhere below it.
std::map<std::string, std::string> index_images(const MediaListing& listing) {
  static const std::array<const char*, 7> preference = {".png", ".jpg", ".jpeg", ".PNG", ".JPG", ".bmp", ".webp"};
  std::map<std::string, std::string> top, below;
  auto rank = [&](const std::string& p) {
    auto it = std::find(preference.begin(), preference.end(), fs::path(p).extension().string());
    return it - preference.begin();
  };
  for (const auto& e : listing.files) {
    if (!e.problem.empty() || media_kind_for_path(e.relative) != MediaKind::kImage) continue;
    const fs::path rel(e.relative);
    const std::string stem = rel.stem().string();
    if (!rel.has_parent_path()) {
      if (!top.count(stem) || rank(e.relative) < rank(top[stem])) top[stem] = e.location;
    } else if (!below.count(stem)) {
      below[stem] = e.location;
    }
  }
  for (auto& [stem, p] : below) top.emplace(stem, p);
  return top;
}

}  // namespace

RecallReport evaluate_frames(FrameSource& source, const GroundTruth& truth, const EvalOptions& options,
                             const ModelStore& store, ProgressListener* progress) {
  FrameAnalyzer analyzer(options.anonymize.detection, store);
  Redactor redactor(options.anonymize.redact);
  RecallMeter meter(options.anonymize.redact.fill_color);
  if (progress) progress->on_file_start(source.info().description, source.info().frame_count);
  const StageSettings settings = stage_settings(options.anonymize, source.info());
  AnalysisStage stage(analyzer, options.anonymize.tracking, settings.sweep_frames, settings.frames_in_flight);
  auto take = [&](std::vector<AnalyzedFrame> ready) {
    for (const auto& a : ready) {
      auto it = truth.frames.find(a.frame.index);
      if (it == truth.frames.end()) continue;
      meter.add(a.frame.image, hidden_mask(redactor, a.frame.image.size(), a.detections), a.detections, it->second,
                "frame " + std::to_string(a.frame.index));
      if (progress) progress->on_frame();
    }
  };
  Frame f;
  while (source.read(f)) take(stage.push(std::move(f)));
  take(stage.flush());
  if (progress) progress->on_file_end();
  return meter.report();
}

RecallReport evaluate(const std::string& input, const EvalOptions& options, const ModelStore& store,
                      ProgressListener* progress) {
  GroundTruth truth = load_ground_truth(options.annotations, options.format, options.only_class);
  const StorageOptions& storage = options.anonymize.storage;
  const MediaListing listing = list_media(input, "", storage);
  if (!truth.frames.empty()) {
    if (listing.is_folder) throw Error(input + ": expected the one video or image the annotations label");
    std::unique_ptr<FrameSource> source = open_source(input, storage);
    source->prefer_fast_image();  // as anonymize detects
    return evaluate_frames(*source, truth, options, store, progress);
  }
  if (!listing.is_folder) throw Error(input + ": expected a folder of annotated images");
  FrameAnalyzer analyzer(options.anonymize.detection, store);
  Redactor redactor(options.anonymize.redact);
  RecallMeter meter(options.anonymize.redact.fill_color);
  std::map<std::string, std::string> images = index_images(listing);
  if (progress) {
    progress->on_file_start(fs::path(input).filename().string(), static_cast<std::int64_t>(truth.images.size()));
  }
  for (const auto& [stem, boxes] : truth.images) {
    auto it = images.find(stem);
    if (it == images.end()) {
      meter.add_missing();
      continue;
    }
    Frame f;
    open_source(it->second, storage)->read(f);
    AnalysisStage stage(analyzer, options.anonymize.tracking);
    std::vector<AnalyzedFrame> ready = stage.push(std::move(f));
    for (auto& a : stage.flush()) ready.push_back(std::move(a));
    for (const auto& a : ready) {
      meter.add(a.frame.image, hidden_mask(redactor, a.frame.image.size(), a.detections), a.detections, boxes, stem);
    }
    if (progress) progress->on_frame();
  }
  if (progress) progress->on_file_end();
  return meter.report();
}

}  // namespace veil
