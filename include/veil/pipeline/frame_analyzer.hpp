#pragma once
// Runs every enabled detector on a frame and gathers their detections. The
// detectors' passes (see detector.hpp) run side by side on a few worker
// threads, each network run on one thread. The
// workers live as long as the analyzer and take passes from one queue, so
// that passes of the next frame can start while the last pass of this one
// is still running.
#include "veil/detect/detector.hpp"
#include "veil/detect/scene_context.hpp"
#include "veil/models/model_manifest.hpp"
#include "veil/models/model_store.hpp"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string_view>
#include <thread>
#include <vector>

namespace veil {

// How the networks compute. kInt8 runs a model in 8-bit integers where Veil
// holds its calibration (models/int8/: YOLOv8's plate detector and
// RetinaFace, where int8 pays; the others, slower in int8, stay float).
// kAuto runs in int8 only the models whose table is marked `by_default`:
// those measured to keep their recall in int8 (YOLOv8's plate detector:
// plates-dev and the far dashcam plates unchanged; RetinaFace in int8
// hides two fewer faces of 20 px and more on faces-dev, so it stays float).
enum class Precision { kFloat, kAuto, kInt8 };

// "float", "auto" or "int8". Throws veil::Error for any other name.
Precision parse_precision(std::string_view name);
// The names parse_precision() takes.
std::vector<std::string> precision_names();

struct DetectionOptions {
  std::set<ObjectClass> targets{ObjectClass::kFace, ObjectClass::kPlate};
  std::optional<float> face_threshold;   // none: the detector's recall-first default
  std::optional<float> plate_threshold;
  // The models (manifest names) that look for each class; every one runs,
  // and boxes of different models on one object are fused into one
  // detection (see Detection::found_by). Models
  // whose licence forbids commercial use are refused unless
  // allow_noncommercial.
  std::vector<std::string> face_models{"yunet-face", "retinaface-face"};
  std::vector<std::string> plate_models{"hyperlpr3-plate-320", "yolov8-plate"};
  bool allow_noncommercial = false;
  Precision precision = Precision::kAuto;
  // Scene context: the model (manifest name) that finds people and
  // vehicles, and what is done with them (see scene_context.hpp). Context
  // boxes come out of the analyzer after the faces and plates, with class
  // kPerson or kVehicle; they are never hidden.
  ContextMode context = ContextMode::kOn;
  std::string context_model = "yolox-nano";
  SupportOptions support;
  // Worker threads running passes; 0 = one per CPU core.
  int threads = 0;
  // Niceness added to the worker threads (0..19): a live run lowers them
  // so that reading and writing the stream never wait for a core.
  int worker_niceness = 0;
};

// Which passes to run on one frame of a video: all of those that run on
// every frame, and of the fine passes those whose position in the plan is
// `phase` modulo `period`. Over `period` consecutive frames every fine pass
// runs once.
struct SweepStep {
  int period = 1;
  std::int64_t phase = 0;
  // Lighter work for a live stream that falls behind, before any frame is
  // hidden whole: `primary_only` runs only the first model of each class
  // (the context model neither: without it the support rule keeps every
  // candidate), `no_fine` no fine pass at all. The focus passes over the
  // tracker's expected objects still run.
  bool primary_only = false;
  bool no_fine = false;
};

// Makes the set of detectors an analyzer runs.
using DetectorFactory = std::function<std::vector<DetectorPtr>()>;

// The manifest entries of the models `options` chooses, faces first, then
// plates, then the context model when context is not off. Throws
// veil::Error for an unknown model, one of the wrong class or family, or a
// non-commercial one not allowed.
std::vector<ModelEntry> lineup_models(const DetectionOptions& options);

// Veil's detectors for `options`, the models resolved (and verified) through
// `store` now. Throws veil::Error for an unknown model, one of the wrong
// class or family, or a non-commercial one not allowed.
DetectorFactory model_detectors(const DetectionOptions& options, const ModelStore& store);

class FrameAnalyzer {
 public:
  // Passes whose network input has more pixels than this run one at a
  // time: a network run holds buffers in proportion to its input (~300 MB
  // for YuNet at 1920x1088 on ONNX Runtime), and frames above 1080p would
  // otherwise hold several at once. The other workers run the smaller
  // passes meanwhile. Every pass of a 1080p frame (1920x1088 network input
  // at most) stays below it: there, running them side by side took 53 s
  // to 42 s for 150 MB more (docs/speed.md).
  static constexpr double kLargeInputPixels = 2.2e6;

  // Veil's detectors, as model_detectors(). Throws veil::Error.
  FrameAnalyzer(const DetectionOptions& options, const ModelStore& store);
  // Any detectors; `threads` workers (0 = one per core). With `support`,
  // weak face and plate candidates without support from the context
  // detections (those of class kPerson or kVehicle, from any detector) are
  // dropped (support_rule.hpp).
  FrameAnalyzer(const DetectorFactory& make, int threads, double large_input_pixels = kLargeInputPixels,
                int worker_niceness = 0, std::optional<SupportOptions> support = std::nullopt);
  // Waits for the frames still being analysed.
  ~FrameAnalyzer();
  FrameAnalyzer(const FrameAnalyzer&) = delete;
  FrameAnalyzer& operator=(const FrameAnalyzer&) = delete;

  // Runs every pass: the result for a still image: the faces and plates
  // (one detection per object, best first), then the context boxes.
  // Throws veil::Error when any detector fails: the frame must then not be
  // written in the clear.
  Detections analyze(const cv::Mat& image) { return analyze(image, SweepStep{}); }
  // Runs the passes of one step of a sweep, and, when the sweep spans more
  // than one frame, each detector's focus passes over where `expected`
  // (the tracker's predictions) says objects are. Throws as analyze().
  Detections analyze(const cv::Mat& image, const SweepStep& step, const Detections& expected = {}) {
    return submit(image, step, expected).get();
  }
  // The same, without waiting: the frame's passes join the queue behind
  // those of frames submitted earlier, and workers that run out of one
  // frame's passes start on the next one's instead of waiting for the
  // frame's slowest pass. The future throws veil::Error as analyze().
  std::future<Detections> submit(const cv::Mat& image, const SweepStep& step, const Detections& expected = {});

  int threads() const { return threads_; }

 private:
  struct FrameWork;
  struct Job {
    std::shared_ptr<FrameWork> frame;
    size_t index;  // in frame->passes
    bool large;
  };

  void work();
  void finish(FrameWork& frame);

  std::vector<DetectorPtr> detectors_;
  std::vector<bool> primary_;  // by detector: the first of its class
  int threads_ = 1;
  std::optional<SupportOptions> support_;
  double large_input_pixels_ = kLargeInputPixels;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Job> queue_;  // in submission order
  bool large_running_ = false;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace veil
