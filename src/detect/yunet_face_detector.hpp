#pragma once
// Face detector built on YuNet (libfacedetection), run on ONNX Runtime.
// The model file has a fixed 640x640 input; the detector frees its height
// and width when loading, so one session serves every pass size.
#include "detect/onnx_session.hpp"
#include "veil/detect/detector.hpp"

#include <filesystem>
#include <vector>

namespace veil {

// Defaults measured on shared/data/faces-dev with coverage.py and a 1.3x
// ellipse mask: 94.7% of faces >= 10 px covered, 96.5% of faces >= 20 px,
// 2.8% of the image hidden outside faces.
struct YuNetOptions {
  // Minimum sqrt(cls * obj). Low because a missed face is a leak while a
  // spurious box only hides some background: 0.3 instead of 0.5 covers 4.6
  // points more faces and hides 1.2% more of the image.
  float score_threshold = 0.3f;
  // Large faces are easy for YuNet: a real one scores high, while textures
  // of road, trees and cars produce large low-score boxes. The threshold
  // rises linearly from score_threshold at large_from_height px (box height
  // in the frame) to large_threshold at twice that height.
  float large_from_height = 48.f;
  float large_threshold = 0.6f;
  // Greedy NMS over the merged passes.
  float nms_iou = 0.3f;
  // Resize factors, one network pass each. YuNet rarely finds faces under
  // ~20 px, so an upscaled pass brings 10-20 px faces into its range
  // (native only: 82.8% covered; native + 2x: 94.7%).
  std::vector<float> scales = {1.f, 2.f};
  // Cost cap: a pass whose scaled frame would have more pixels than this is
  // run at the largest scale that fits instead (and skipped when that is
  // within 20% of a smaller pass). 0 = no cap. The 2x pass of a 1280x720
  // frame costs ~4x the native one; 1920 * 1080 makes it a 1.5x pass.
  double max_pass_pixels = 0;
  // YuNet's box starts at the forehead and often ends above the chin, most
  // of all on masked faces (on faces-dev the annotated face centre lies ~10%
  // of the box height below YuNet's). The reported box keeps its top edge
  // and grows down by `extend_bottom` of its height, and grows sideways by
  // `widen` of its width about its centre. 0.1 down: +1.5 points covered,
  // +0.3% of the image hidden.
  float extend_bottom = 0.1f;
  float widen = 0.f;
  // Also run every pass on the mirrored frame: +1.1 points covered, +0.9% of
  // the image hidden, twice the cost.
  bool flip = false;
  // focus(): faces expected under this height (frame pixels) are looked
  // for again at the largest scale, in a square window of `focus_window`
  // frame pixels centred where they are expected: room for the prediction
  // to be off by 40 px or more. Taller faces are found well by the native
  // pass. At 2x a window is a 256x256 network input, 1/32 of the 2x pass of
  // a 960x540 frame; one size for all windows keeps one network for them.
  float focus_below = 48.f;
  // An upscaled pass whose network input would have more pixels than this
  // is cut into a grid of tiles overlapping by `tile_overlap` frame pixels
  // (a face that tall is whole in one tile; taller ones are the native
  // pass's). A network run's buffers grow with its input: the 2x pass of a
  // 1080p frame in one piece (3840x2176) would hold several hundred MB
  // while it runs. The default leaves the 2x pass of 960x540 whole.
  double tile_above_pixels = 1920.0 * 1088;
  int tile_overlap = 96;
  int focus_window = 128;
};

class YuNetFaceDetector : public Detector {
 public:
  // Throws veil::Error when the file is missing or is not a YuNet model.
  YuNetFaceDetector(const std::filesystem::path& model_file, const YuNetOptions& options);

  ObjectClass object_class() const override { return ObjectClass::kFace; }
  std::string name() const override { return "yunet"; }

  // One whole-frame pass per scale of pass_scales(). The smallest runs on
  // every frame; the upscaled ones are fine passes. (Cutting them into
  // bands would cut the faces on the band edges, and YuNet finds some large
  // faces, masked ones most of all, only when upscaled.)
  std::vector<DetectorPass> plan(cv::Size frame) const override;
  // One window at the largest scale per expected small face (nearby faces
  // share).
  std::vector<DetectorPass> focus(cv::Size frame, const Detections& expected) const override;
  Detections run(const cv::Mat& bgr, const DetectorPass& pass) override;
  // Non-maximum suppression, then the box geometry (extend_bottom, widen).
  Detections merge(Detections raw, cv::Size frame) const override;

  // The minimum score for a face box this tall (frame pixels).
  float threshold_for_height(float height) const;
  // The scale factors plan() uses for a frame of this size, smallest first.
  std::vector<float> pass_scales(cv::Size frame) const;

 private:
  // Runs the network once on `image` (the pass's region of a `frame`-sized
  // frame, resized) and appends the faces it finds in frame pixels;
  // `mirrored` when `image` was flipped left-right.
  void run_network(const cv::Mat& image, cv::Size frame, const DetectorPass& pass, bool mirrored,
                   Detections* out);

  YuNetOptions options_;
  std::string model_name_;
  std::vector<std::string> output_names_;  // cls, obj, bbox at strides 8, 16, 32
  OnnxSession session_;
};

}  // namespace veil
