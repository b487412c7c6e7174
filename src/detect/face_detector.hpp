#pragma once
// The base of every face detector family (YuNet, SCRFD, RetinaFace): the
// passes (whole frame at 1x, upscaled for small faces, tiled when large,
// focus windows), the score rule by face height, duplicate removal and the
// box geometry. A family adds its network: how pixels go in and how faces
// come out.
#include "detect/int8_ranges.hpp"
#include "veil/detect/detector.hpp"

#include <string>
#include <vector>

namespace veil {

// Defaults measured with YuNet on shared/data/faces-dev (docs/recall.md);
// each family's default_options() says where it differs.
struct FaceOptions {
  // Minimum score. Low because a missed face is a leak while a spurious box
  // only hides some background: 0.3 instead of 0.5 covers 4.6 points more
  // faces with YuNet and hides 1.2% more of the image.
  float score_threshold = 0.3f;
  // Large faces are easy: a real one scores high, while textures of road,
  // trees and cars produce large low-score boxes. The threshold rises
  // linearly from score_threshold at large_from_height px (box height in
  // the frame) to large_threshold at twice that height.
  float large_from_height = 48.f;
  float large_threshold = 0.6f;
  // Greedy NMS over the merged passes (of this model only).
  float nms_iou = 0.3f;
  // Float, int8 (where the model has a table) or calibrating.
  ModelPrecision precision;
  // Resize factors, one network pass each. Face models rarely find faces
  // under ~20 px, so an upscaled pass brings 10-20 px faces into their
  // range (YuNet native only: 82.8% covered; native + 2x: 94.7%).
  std::vector<float> scales = {1.f, 2.f};
  // Cost cap: a pass whose scaled frame would have more pixels than this is
  // run at the largest scale that fits instead (and skipped when that is
  // within 20% of a smaller pass). 0 = no cap.
  double max_pass_pixels = 0;
  // The boxes start at the forehead and often end above the chin, most of
  // all on masked faces (on faces-dev the annotated face centre lies 13-15%
  // of the face height below the boxes' of YuNet, RetinaFace and SCRFD).
  // The reported box grows down by `extend_bottom` of its height, then
  // moves down by `shift_down` of that height, and grows sideways by
  // `widen` of its width about its centre. Moving hides the chin without
  // hiding more: on faces-dev with YuNet and RetinaFace, 0.1 down and 0.1
  // moved covers 1223 faces and hides 2.84% outside them, 0.1 down and not
  // moved 1217 and 2.97%, 0.2 down 1224 and 3.54% (docs/recall.md).
  float extend_bottom = 0.1f;
  float shift_down = 0.1f;
  float widen = 0.f;
  // Also run every pass on the mirrored frame (twice the cost).
  bool flip = false;
  // focus(): faces expected under this height (frame pixels) are looked
  // for again at the largest scale, in a square window of `focus_window`
  // frame pixels centred where they are expected: room for the prediction
  // to be off by 40 px or more. One size for all windows keeps one network
  // shape for them.
  float focus_below = 48.f;
  int focus_window = 128;
  // The pass on every frame is there for the faces large enough to see at
  // its scale; small faces are the fine passes' (swept on video) and the
  // focus windows'. On a frame with more than `every_frame_pixels` pixels,
  // that pass runs at the scale that brings it down to that many network
  // pixels (768x432: 0.8x at 540p, 0.6x at 720p, 0.4x at 1080p), and of
  // the upscaled scales only the largest runs: its tiles hold every face
  // smaller than `tile_overlap` whole, and the every-frame pass the larger
  // ones, so a native pass in between would find nothing new
  // (docs/speed.md, "Passes by object size"). Smaller is not only cheaper:
  // the synthetic pan and zoom clips of eight faces-dev photos (1130
  // (frame, face) pairs) hid more with this plan than with the one before
  // (native every-frame passes up to 720p, 960x544 above): 540p 95.7%
  // against 93.4%, 720p 95.0% against 92.7%, 1080p 94.2% against 91.8%,
  // with as few flicker leaks or fewer. Large faces close to the camera
  // are found more surely by the smaller pass.
  // Frames of 768x432 or less (every faces-dev photo but two) keep the
  // native pass on every frame. 0 = the first scale runs on every frame
  // whatever the frame's size.
  double every_frame_pixels = 768.0 * 432;
  // An upscaled pass whose network input would have more pixels than
  // `tile_above_pixels` is cut into a grid of tiles of about `tile_pixels`,
  // overlapping by `tile_overlap` frame pixels: a network run's buffers grow
  // with its input (YuNet held ~300 MB on a 1920x1088 input). Tiles of
  // about 960x544 took YuNet alone at 1080p from 728 to 577 MiB, no slower;
  // at 960x540 the 2x pass (1920x1080) stays whole: six such tiles took
  // 20% longer there (docs/speed.md). The overlap is what the tiles cost
  // beyond the frame (20 tiles of 480x366 frame pixels for a 1080p frame
  // with 96, 1.7x the 2x frame's pixels); 64 hid the same (frame, face)
  // pairs with as few flicker leaks as 96 on the synthetic pan and zoom
  // clips at 720p and 1080p, for 16-23% less time in these tiles; larger
  // faces are the every-frame pass's and the focus windows'.
  double tile_above_pixels = 1920.0 * 1088;
  double tile_pixels = 960.0 * 544;
  int tile_overlap = 64;
};

class FaceDetector : public Detector {
 public:
  ObjectClass object_class() const override { return ObjectClass::kFace; }

  // One whole-frame pass per scale of pass_scales(). The smallest runs on
  // every frame; the upscaled ones are fine passes, tiled when large.
  // (Cutting the native pass into bands would cut the faces on the band
  // edges.)
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
  const FaceOptions& options() const { return options_; }

 protected:
  // Throws veil::Error for options that cannot work.
  explicit FaceDetector(const FaceOptions& options);

  // Runs the network once on `image` (8-bit BGR, any size) and appends the
  // faces scoring at least options().score_threshold, in `image` pixels.
  // Thread-safe. Throws veil::Error.
  virtual void detect_faces(const cv::Mat& image, Detections* out) = 0;

 private:
  // detect_faces() on `image` (the pass's region of a `frame`-sized frame,
  // resized; flipped left-right when `mirrored`), the faces mapped to frame
  // pixels and filtered by height and by the pass's edges.
  void run_network(const cv::Mat& image, cv::Size frame, const DetectorPass& pass, bool mirrored,
                   Detections* out);

  FaceOptions options_;
};

}  // namespace veil
