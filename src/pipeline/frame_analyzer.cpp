#include "veil/pipeline/frame_analyzer.hpp"

#include "veil/core/error.hpp"
#include "pipeline/detector_families.hpp"
#include "detect/hyperlpr_plate_detector.hpp"
#include "detect/bgr_image.hpp"
#include "detect/model_fusion.hpp"
#include "detect/onnx_session.hpp"
#include "detect/retinaface_face_detector.hpp"
#include "detect/scene_context_detector.hpp"
#include "detect/scrfd_face_detector.hpp"
#include "detect/support_rule.hpp"
#include "detect/yolo_plate_detector.hpp"
#include "detect/yunet_face_detector.hpp"
#include "veil/models/model_manifest.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <exception>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include <sys/resource.h>
#include <unistd.h>

namespace veil {

namespace {

PlateOptions with_threshold(PlateOptions o, const DetectionOptions& options, const ModelPrecision& precision) {
  if (options.plate_threshold) o.score_threshold = *options.plate_threshold;
  o.precision = precision;
  return o;
}

FaceOptions with_threshold(FaceOptions o, const DetectionOptions& options, const ModelPrecision& precision) {
  if (options.face_threshold) o.score_threshold = *options.face_threshold;
  o.precision = precision;
  return o;
}

}  // namespace

const std::map<std::string, DetectorFamily>& families() {
  using Path = std::filesystem::path;
  static const std::map<std::string, DetectorFamily> table = {
      {"yunet", {ObjectClass::kFace, [](const Path& f, const DetectionOptions& o, const ModelPrecision& p) -> DetectorPtr {
         return std::make_unique<YuNetFaceDetector>(f, with_threshold(FaceOptions{}, o, p));
       }}},
      {"retinaface", {ObjectClass::kFace, [](const Path& f, const DetectionOptions& o, const ModelPrecision& p) -> DetectorPtr {
         return std::make_unique<RetinaFaceDetector>(f, with_threshold(RetinaFaceDetector::default_options(), o, p));
       }}},
      {"scrfd", {ObjectClass::kFace, [](const Path& f, const DetectionOptions& o, const ModelPrecision&) -> DetectorPtr {
         return std::make_unique<ScrfdFaceDetector>(f, with_threshold(FaceOptions{}, o, {}));
       }}},
      {"hyperlpr3", {ObjectClass::kPlate, [](const Path& f, const DetectionOptions& o, const ModelPrecision& p) -> DetectorPtr {
         return std::make_unique<HyperLprPlateDetector>(f, with_threshold(PlateOptions{}, o, p));
       }}},
      {"yolov8", {ObjectClass::kPlate, [](const Path& f, const DetectionOptions& o, const ModelPrecision& p) -> DetectorPtr {
         return std::make_unique<YoloPlateDetector>(f, with_threshold(YoloPlateDetector::default_options(), o, p));
       }}},
      {"yolox", {ObjectClass::kPerson, [](const Path& f, const DetectionOptions&, const ModelPrecision&) -> DetectorPtr {
         return std::make_unique<SceneContextDetector>(f);
       }}},
  };
  return table;
}

std::vector<ModelEntry> lineup_models(const DetectionOptions& options) {
  std::vector<ModelEntry> chosen;
  auto admit = [&](const ModelEntry& e) {
    if (!e.commercial_use && !options.allow_noncommercial) {
      throw Error("model '" + e.name + "' is licensed for non-commercial use only (" + e.license +
                  "); choosing it needs --allow-noncommercial");
    }
    chosen.push_back(e);
  };
  auto choose = [&](ObjectClass cls, const std::vector<std::string>& names) {
    if (!options.targets.count(cls)) return;
    if (names.empty()) throw Error(std::string("no ") + std::string(to_string(cls)) + " model chosen");
    for (const std::string& name : names) {
      const ModelEntry& e = ModelManifest::builtin().find(name);
      auto family = families().find(e.family);
      if (family == families().end()) throw Error("model '" + name + "' is of no family Veil can run");
      if (family->second.cls != cls) {
        throw Error("model '" + name + "' does not detect " + std::string(to_string(cls)) + "s");
      }
      admit(e);
    }
  };
  choose(ObjectClass::kFace, options.face_models);
  choose(ObjectClass::kPlate, options.plate_models);
  if (options.context != ContextMode::kOff) {
    const ModelEntry& e = ModelManifest::builtin().find(options.context_model);
    auto family = families().find(e.family);
    if (family == families().end() || !is_context(family->second.cls)) {
      throw Error("model '" + options.context_model + "' does not detect people and vehicles");
    }
    admit(e);
  }
  return chosen;
}

std::vector<std::string> precision_names() { return {"float", "auto", "int8"}; }

Precision parse_precision(std::string_view name) {
  if (name == "float") return Precision::kFloat;
  if (name == "auto") return Precision::kAuto;
  if (name == "int8") return Precision::kInt8;
  throw Error("unknown precision '" + std::string(name) + "' (expected float, auto or int8)");
}

DetectorFactory model_detectors(const DetectionOptions& options, const ModelStore& store) {
  struct Chosen {
    std::string name;
    std::filesystem::path path;
    const DetectorFamily* family;
    ModelPrecision precision;
  };
  std::vector<Chosen> chosen;
  for (const ModelEntry& e : lineup_models(options)) {
    if (!e.commercial_use) spdlog::warn("model {} is licensed for non-commercial use only: {}", e.name, e.license);
    // int8 where the model file has a table (under kAuto, one marked for
    // use by default); float elsewhere.
    ModelPrecision precision;
    const ActivationRanges* table = builtin_int8_ranges(e.sha256);
    if (table && (options.precision == Precision::kInt8 || (options.precision == Precision::kAuto && table->by_default))) {
      precision.int8 = table;
    }
    chosen.push_back({e.name, store.resolve(e).path, &families().at(e.family), precision});
  }
  return [options, chosen] {
    // Each model loads on a thread of its own: parsing, graph edits (int8)
    // and ONNX Runtime's optimisation are start-up time every run pays,
    // 0.7 s of one core for the default line-up (docs/speed.md).
    start_onnx_runtime();  // before the threads: it sets an environment variable
    std::vector<std::future<DetectorPtr>> loading;
    for (const Chosen& c : chosen) {
      loading.push_back(std::async(std::launch::async, [&options, &c] {
        DetectorPtr d = c.family->make(c.path, options, c.precision);
        d->set_model_name(c.name);
        return d;
      }));
    }
    std::vector<DetectorPtr> detectors;
    std::exception_ptr failure;
    for (std::future<DetectorPtr>& f : loading) {  // every load ends before this returns or throws
      try {
        detectors.push_back(f.get());
      } catch (...) {
        if (!failure) failure = std::current_exception();
      }
    }
    if (failure) std::rethrow_exception(failure);
    return detectors;
  };
}

FrameAnalyzer::FrameAnalyzer(const DetectionOptions& options, const ModelStore& store)
    : FrameAnalyzer(model_detectors(options, store), options.threads, kLargeInputPixels, options.worker_niceness,
                    options.context == ContextMode::kOn ? std::optional<SupportOptions>(options.support)
                                                        : std::nullopt) {}

// One submitted frame: its passes, what each found, and the promise that
// gets the merged result when the last pass is done.
struct FrameAnalyzer::FrameWork {
  struct Pass {
    size_t detector;
    DetectorPass pass;
    Detections found;
  };
  cv::Mat bgr;
  Detections expected;  // the tracker's predictions for this frame
  std::vector<Pass> passes;
  size_t remaining = 0;
  std::string failure;  // the first pass that failed
  std::promise<Detections> result;
};

FrameAnalyzer::FrameAnalyzer(const DetectorFactory& make, int threads, double large_input_pixels,
                             int worker_niceness, std::optional<SupportOptions> support)
    : support_(support), large_input_pixels_(large_input_pixels) {
  if (threads < 0) throw Error("threads must not be negative");
  threads_ = threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  detectors_ = make();
  std::set<ObjectClass> seen;
  for (const DetectorPtr& d : detectors_) {
    primary_.push_back(!is_context(d->object_class()) && seen.insert(d->object_class()).second);
  }
  for (int i = 0; i < threads_; ++i) {
    workers_.emplace_back([this, worker_niceness] {
      // Linux gives each thread its own niceness; ONNX Runtime's own
      // threads, made by this one, inherit it.
      if (worker_niceness > 0 && ::setpriority(PRIO_PROCESS, ::gettid(), worker_niceness) != 0) {
        spdlog::debug("cannot lower the detection threads' priority");
      }
      work();
    });
  }
}

FrameAnalyzer::~FrameAnalyzer() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (std::thread& t : workers_) t.join();
}

std::future<Detections> FrameAnalyzer::submit(const cv::Mat& image, const SweepStep& step,
                                              const Detections& expected) {
  auto frame = std::make_shared<FrameWork>();
  std::future<Detections> result = frame->result.get_future();
  frame->bgr = as_bgr8(image, "frame analyzer");
  frame->expected = expected;
  const cv::Size size = frame->bgr.size();
  const int period = std::max(1, step.period);

  // Fine passes are numbered across detectors, so that each step of the
  // sweep gets a similar share of all of them.
  std::int64_t fine = 0;
  for (size_t d = 0; d < detectors_.size(); ++d) {
    if (step.primary_only && !primary_[d]) continue;
    for (const DetectorPass& pass : detectors_[d]->plan(size)) {
      if (pass.every_frame) {
        frame->passes.push_back({d, pass, {}});
      } else if ((fine++ % period) == step.phase % period && !step.no_fine) {
        frame->passes.push_back({d, pass, {}});
      }
    }
    if (period > 1) {
      for (const DetectorPass& pass : detectors_[d]->focus(size, expected)) frame->passes.push_back({d, pass, {}});
    }
  }
  frame->remaining = frame->passes.size();
  if (frame->passes.empty()) {
    finish(*frame);
    return result;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (size_t i = 0; i < frame->passes.size(); ++i) {
      const DetectorPass& p = frame->passes[i].pass;
      const bool large = double(p.region.area()) * p.scale * p.scale > large_input_pixels_;
      queue_.push_back({frame, i, large});
    }
  }
  changed_.notify_all();
  return result;
}

void FrameAnalyzer::work() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    // The first pass in the queue, skipping large ones while one runs.
    auto next = std::find_if(queue_.begin(), queue_.end(), [&](const Job& j) { return !(j.large && large_running_); });
    if (next == queue_.end()) {
      if (stopping_ && queue_.empty()) return;
      changed_.wait(lock);
      continue;
    }
    Job job = std::move(*next);
    queue_.erase(next);
    if (job.large) large_running_ = true;
    FrameWork& frame = *job.frame;
    FrameWork::Pass& pass = frame.passes[job.index];
    const bool skip = !frame.failure.empty();  // the frame is lost anyway
    lock.unlock();

    std::string error;
    if (!skip) {
      Detector& det = *detectors_[pass.detector];
      try {
        pass.found = det.run(frame.bgr, pass.pass);
      } catch (const std::exception& ex) {  // veil::Error, cv::Exception, bad_alloc
        error = det.name() + " failed on a frame: " + ex.what();
      }
    }

    lock.lock();
    if (job.large) large_running_ = false;
    if (!error.empty() && frame.failure.empty()) frame.failure = error;
    const bool last = --frame.remaining == 0;
    changed_.notify_all();
    if (last) {
      lock.unlock();
      finish(frame);  // merging is cheap; no other worker touches this frame now
      lock.lock();
    }
  }
}

void FrameAnalyzer::finish(FrameWork& frame) {
  if (!frame.failure.empty()) {
    frame.result.set_exception(std::make_exception_ptr(Error(frame.failure)));  // fail closed
    return;
  }
  try {
    std::vector<Detections> raw(detectors_.size());
    for (FrameWork::Pass& p : frame.passes) {
      raw[p.detector].insert(raw[p.detector].end(), p.found.begin(), p.found.end());
    }
    Detections all, context;
    for (size_t d = 0; d < detectors_.size(); ++d) {
      Detections merged = detectors_[d]->merge(std::move(raw[d]), frame.bgr.size());
      for (Detection& m : merged) {
        m.model = detectors_[d]->model_name();
        (is_context(m.cls) ? context : all).push_back(std::move(m));
      }
    }
    // One detection per object, whichever models found it: the tracker
    // then keeps one track per object.
    Detections found = fuse_models(std::move(all));
    if (support_) found = keep_supported(std::move(found), context, frame.expected, *support_);
    found.insert(found.end(), context.begin(), context.end());
    frame.result.set_value(std::move(found));
  } catch (...) {
    frame.result.set_exception(std::current_exception());
  }
}

}  // namespace veil
