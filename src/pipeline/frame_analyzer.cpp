#include "veil/pipeline/frame_analyzer.hpp"

#include "veil/core/error.hpp"
#include "veil/detect/hyperlpr_plate_detector.hpp"
#include "veil/detect/onnx_model.hpp"
#include "veil/detect/yunet_face_detector.hpp"

#include <atomic>
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

FrameAnalyzer::FrameAnalyzer(const DetectorFactory& make, int threads) {
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

  // Each worker takes the next job not yet taken, so that uneven passes
  // still keep every worker busy until the frame is done.
  std::atomic<size_t> next{0};
  std::mutex failure_mutex;
  std::string failure;
  auto work = [&] {
    for (size_t j; (j = next++) < jobs.size();) {
      Detector& det = *detectors[jobs[j].detector];
      try {
        jobs[j].found = det.run(bgr, jobs[j].pass);
      } catch (const std::exception& ex) {  // veil::Error, cv::Exception, bad_alloc
        std::lock_guard<std::mutex> lock(failure_mutex);
        if (failure.empty()) failure = det.name() + " failed on a frame: " + ex.what();
        next = jobs.size();  // stop the others early: the frame is lost anyway
      }
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
