#include "veil/pipeline/frame_analyzer.hpp"

#include "veil/core/error.hpp"
#include "veil/detect/hyperlpr_plate_detector.hpp"
#include "veil/detect/onnx_model.hpp"
#include "veil/detect/yunet_face_detector.hpp"

#include <condition_variable>
#include <exception>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

namespace veil {

namespace {

struct Job {
  size_t detector;
  DetectorPass pass;
  Detections found;
};

}  // namespace

DetectorFactory model_detectors(const DetectionOptions& options, const ModelStore& store) {
  std::optional<std::filesystem::path> face, plate;
  if (options.targets.count(ObjectClass::kFace)) face = store.resolve("yunet-face").path;
  if (options.targets.count(ObjectClass::kPlate)) plate = store.resolve("hyperlpr3-plate-320").path;
  return [options, face, plate] {
    std::vector<DetectorPtr> detectors;
    if (face) {
      YuNetOptions o;
      if (options.face_threshold) o.score_threshold = *options.face_threshold;
      detectors.push_back(std::make_unique<YuNetFaceDetector>(*face, o));
    }
    if (plate) {
      PlateOptions o;
      if (options.plate_threshold) o.score_threshold = *options.plate_threshold;
      detectors.push_back(std::make_unique<HyperLprPlateDetector>(*plate, o));
    }
    return detectors;
  };
}

FrameAnalyzer::FrameAnalyzer(const DetectionOptions& options, const ModelStore& store)
    : FrameAnalyzer(model_detectors(options, store), options.threads) {}

FrameAnalyzer::FrameAnalyzer(const DetectorFactory& make, int threads, double large_input_pixels)
    : large_input_pixels_(large_input_pixels) {
  if (threads < 0) throw Error("threads must not be negative");
  threads_ = threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  detectors_ = make();
}

Detections FrameAnalyzer::analyze(const cv::Mat& image, const SweepStep& step, const Detections& expected) {
  if (detectors_.empty()) return {};
  cv::Mat bgr = as_bgr8(image, "frame analyzer");
  const std::vector<DetectorPtr>& detectors = detectors_;
  int period = std::max(1, step.period);

  // Fine passes are numbered across detectors, so that each step of the
  // sweep gets a similar share of all of them.
  std::vector<Job> jobs;
  std::int64_t fine = 0;
  for (size_t d = 0; d < detectors.size(); ++d) {
    for (const DetectorPass& pass : detectors[d]->plan(bgr.size())) {
      if (pass.every_frame || (fine++ % period) == step.phase % period) jobs.push_back({d, pass, {}});
    }
    if (period > 1) {
      for (const DetectorPass& pass : detectors[d]->focus(bgr.size(), expected)) jobs.push_back({d, pass, {}});
    }
  }

  // Each worker takes the first job not yet taken, so that uneven passes
  // still keep every worker busy until the frame is done; but a large pass
  // (see large_input_pixels) is skipped while another one runs, and the
  // worker does a small one meanwhile.
  std::vector<bool> large(jobs.size());
  for (size_t j = 0; j < jobs.size(); ++j) {
    const cv::Rect& r = jobs[j].pass.region;
    large[j] = double(r.area()) * jobs[j].pass.scale * jobs[j].pass.scale > large_input_pixels_;
  }
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<bool> taken(jobs.size(), false);
  size_t first_open = 0;  // jobs before it are all taken
  bool large_running = false;
  std::string failure;
  auto take = [&]() -> std::optional<size_t> {
    std::unique_lock<std::mutex> lock(mutex);
    for (;;) {
      while (first_open < jobs.size() && taken[first_open]) ++first_open;
      if (first_open == jobs.size() || !failure.empty()) return std::nullopt;
      for (size_t j = first_open; j < jobs.size(); ++j) {
        if (taken[j] || (large[j] && large_running)) continue;
        taken[j] = true;
        if (large[j]) large_running = true;
        return j;
      }
      changed.wait(lock);  // only large jobs are left, and one is running
    }
  };
  auto work = [&] {
    while (std::optional<size_t> j = take()) {
      Detector& det = *detectors[jobs[*j].detector];
      std::string error;
      try {
        jobs[*j].found = det.run(bgr, jobs[*j].pass);
      } catch (const std::exception& ex) {  // veil::Error, cv::Exception, bad_alloc
        error = det.name() + " failed on a frame: " + ex.what();
      }
      std::lock_guard<std::mutex> lock(mutex);
      if (large[*j]) large_running = false;
      // The first failure stops the others early: the frame is lost anyway.
      if (!error.empty() && failure.empty()) failure = error;
      changed.notify_all();
    }
  };
  std::vector<std::future<void>> others;
  size_t helpers = std::min(size_t(threads_), jobs.size());
  for (size_t w = 1; w < helpers; ++w) others.push_back(std::async(std::launch::async, work));
  work();
  for (auto& f : others) f.get();
  if (!failure.empty()) throw Error(failure);  // fail closed

  std::vector<Detections> raw(detectors.size());
  for (Job& job : jobs) raw[job.detector].insert(raw[job.detector].end(), job.found.begin(), job.found.end());
  Detections all;
  for (size_t d = 0; d < detectors.size(); ++d) {
    Detections merged = detectors[d]->merge(std::move(raw[d]), bgr.size());
    all.insert(all.end(), merged.begin(), merged.end());
  }
  return all;
}

}  // namespace veil
