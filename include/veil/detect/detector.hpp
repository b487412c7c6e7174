#pragma once
// The one interface every detector implements, so that models can be added
// or swapped without touching the pipeline.
//
// Detection on a frame is split into passes: independent network runs over
// a region of the frame at some scale (the whole frame, an upscaled copy, a
// tile). The pipeline runs the passes of all detectors side by side on
// several threads, and on video may spread the expensive "fine" passes
// (the ones that exist for small, distant objects) over a few frames while
// the tracker holds what they found.
#include "veil/core/detection.hpp"

#include <opencv2/core.hpp>

#include <memory>
#include <string>
#include <vector>

namespace veil {

struct DetectorPass {
  cv::Rect region;    // in frame pixels
  float scale = 1.f;  // network input pixels per frame pixel
  // Run on every frame. False marks a fine pass: on video with tracking it
  // may run on only one frame in a few (see AnalysisStage).
  bool every_frame = true;
};

class Detector {
 public:
  virtual ~Detector() = default;
  virtual ObjectClass object_class() const = 0;
  virtual std::string name() const = 0;

  // The passes that make up detection on a frame of this size, in a fixed
  // order.
  virtual std::vector<DetectorPass> plan(cv::Size frame) const = 0;
  // Extra passes, at the fine passes' resolution, over where objects of
  // this detector's class are expected (`expected`: the tracker's
  // predictions for the frame). During a sweep they keep every known small
  // object under fine inspection on every frame, while the full fine passes
  // take turns to find new ones. Default: none.
  virtual std::vector<DetectorPass> focus(cv::Size frame, const Detections& expected) const;
  // Runs one pass on an 8-bit BGR frame and returns raw candidates in frame
  // pixels. Thread-safe: the pipeline runs several passes at once.
  // Throws veil::Error when the frame cannot be analysed: the caller must
  // then refuse to write it in the clear.
  virtual Detections run(const cv::Mat& bgr, const DetectorPass& pass) = 0;
  // Turns the raw candidates of any subset of one frame's passes into the
  // detector's result (duplicate removal, box adjustments). Thread-safe:
  // frames that finish at the same time merge on different threads.
  virtual Detections merge(Detections raw, cv::Size frame) const = 0;

  // The manifest name of the model it runs, reported with each detection
  // (the detector's name() until set). Set once, before any frame.
  void set_model_name(std::string name) { model_name_ = std::move(name); }
  std::string model_name() const { return model_name_.empty() ? name() : model_name_; }

  // Every pass of plan(), one after another: the result for one image.
  // Accepts grey, BGR and BGRA 8-bit images.
  Detections detect(const cv::Mat& image);

 private:
  std::string model_name_;
};

using DetectorPtr = std::unique_ptr<Detector>;

// For focus(): square windows of `side` frame pixels, centred on each of
// `boxes` and moved inside the frame; a box already inside an earlier
// window (with `margin` to spare) shares it. Boxes outside the frame get none.
std::vector<cv::Rect> windows_around(cv::Size frame, const std::vector<cv::Rect2f>& boxes, int side, float margin);

}  // namespace veil
