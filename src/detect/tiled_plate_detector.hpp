#pragma once
// What every licence-plate detector shares, whatever its network: the
// passes (whole frame letterboxed into a square input, a close-up pass,
// native-resolution tiles for distant plates, focus tiles around expected
// small plates), letterboxing, dropping plates cut by a tile edge, and NMS
// within the model. A family (HyperLPR3, YOLOv8) only decodes its output.
#include "detect/int8_ranges.hpp"
#include "detect/onnx_session.hpp"
#include "veil/detect/detector.hpp"

#include <filesystem>
#include <memory>
#include <string>

namespace veil {

// Defaults measured on shared/data/plates-dev (100 photos, mostly 1280x720)
// with coverage.py and the corner polygon grown 1.15x: with the 320 model
// 98% of plates covered, 0.21% of the image hidden outside plates; with the
// 640 model 97% at nearly twice the time. Each pass's cost per frame size:
// build/veil_bench --benchmark_filter=Plate (~140 ms for every pass of a
// 1280x720 frame on one core).
struct PlateOptions {
  // Minimum obj * max(class score). HyperLPR3 itself uses 0.25; 0.15 and
  // 0.1 found no more plates on plates-dev.
  float score_threshold = 0.25f;
  // Large plates are easy for a model: where real ones always score high,
  // the threshold rises linearly from score_threshold at large_from_height
  // px (box height in the frame) to large_threshold at `large_to_height`
  // (0: no rise).
  float large_from_height = 0.f;
  float large_to_height = 0.f;
  float large_threshold = 0.f;
  float nms_iou = 0.5f;
  // Float, int8 (where the model has a table) or calibrating.
  ModelPrecision precision;
  // Side of the square network input. 0 = take it from the file name
  // ("..._320x..." / "..._640x..."), else 640.
  int input_size = 0;
  // Whole-frame passes: each letterboxes the frame so that its longer side
  // spans this fraction of the network input. The model misses plates that
  // fill much of its input (close-ups); a 0.5 pass shrinks them into its
  // range (+2 points on plates-dev for one more run).
  // None: tiles only.
  std::vector<float> frame_fits = {1.f, 0.5f};
  // Whether the first whole-frame pass runs on every video frame (else it
  // is a fine pass, swept like the others).
  bool whole_frame_every_frame = true;
  // Shapes no plate has. A box (as the model gives it, before clipping to
  // the frame) is dropped when it is narrower than `min_aspect` times its
  // height or wider than `max_aspect` times, wider than `max_frame_width`
  // of the frame's width or taller than `max_frame_height` of its height,
  // or less than `min_inside` of it lies inside the frame. The limits lie
  // outside what the models find on the plates of plates-dev (box aspect
  // 1.25-2.98, at most 0.59 of the width; HyperLPR3's tight boxes at most
  // 0.35 of the height, YOLOv8's loose ones up to 0.44 on a close-up that
  // stays hidden without it: plates-dev 100/100 either way) and cut boxes
  // such as HyperLPR3's [-185, 163, 1143, 322] on a 768x432 indoor frame,
  // or its 300x194 "plates" on the floor: docs/recall.md, "Precision".
  float min_aspect = 0.f;
  float max_aspect = 6.f;
  float max_frame_width = 0.75f;
  float max_frame_height = 0.4f;
  float min_inside = 0.5f;
  // Besides the whole-frame passes, also search square tiles when the
  // first whole-frame pass shrinks the frame by more than `tile_above`
  // (0 = never tile). Dashcam plates are small: a 320 input shrinks a
  // 1280-wide frame 4x and a 60 px plate to 15 px, which the model misses.
  // Native tiles: +4 points, 15 runs for a 1280x720 frame with the 320 model.
  float tile_above = 1.f;
  // Network-input pixels per frame pixel in the tiles: 1 = native
  // resolution (tiles of input_size frame pixels); 0.5 = tiles twice as
  // large, shrunk 2x: a third of the runs, -1 point (97%). Above 1 found
  // nothing more.
  float tile_scale = 1.f;
  // Overlap between neighbouring tiles, as a fraction of the tile side. A
  // plate narrower than the overlap is whole in at least one tile.
  float tile_overlap = 0.25f;
  // The same between rows of tiles: plates are wider than tall (1.25-3x on
  // plates-dev), so a plate cut by a tile's top or bottom edge is whole in
  // the next row with half the overlap; one a row overlap cannot hold is
  // large enough for HyperLPR3's whole-frame pass on every frame (YOLOv8
  // alone, weak on large plates, misses a few more of them). At 1080p: 4
  // rows of tiles instead of 5 (32 tiles, not 40, per sweep); with the
  // line-up, plates-dev and the same photos scaled 1.5x (43 of them
  // 1920x1080) hid the same plates (docs/speed.md). Rows of 720p frames
  // are the same either way.
  float tile_overlap_rows = 0.125f;
  // focus(): a plate expected to span fewer than this many network pixels
  // in the first whole-frame pass (too small for it) gets a tile of its
  // own, centred on it.
  float focus_below = 48.f;
};

class TiledPlateDetector : public Detector {
 public:
  ObjectClass object_class() const override { return ObjectClass::kPlate; }

  // Whole-frame passes first (the first runs on every frame unless
  // whole_frame_every_frame is off; the
  // close-up passes and the tiles are fine passes), then the tiles row by
  // row.
  std::vector<DetectorPass> plan(cv::Size frame) const override;
  // One native tile around each expected small plate (nearby plates share).
  std::vector<DetectorPass> focus(cv::Size frame, const Detections& expected) const override;
  // Letterboxes the pass's region into the network. In a tile, plates
  // touching an inner tile edge are dropped: they are cut, and whole in the
  // neighbouring tile or a whole-frame pass.
  Detections run(const cv::Mat& bgr, const DetectorPass& pass) override;
  Detections merge(Detections raw, cv::Size frame) const override;

  int input_size() const { return size_; }
  // Whether `box` (unclipped, frame pixels) has a shape a plate can have in
  // a frame of this size (the geometry options above).
  bool plausible(const cv::Rect2f& box, cv::Size frame) const;
  // The minimum score for a plate box this tall (frame pixels).
  float threshold_for_height(float height) const;

 protected:
  // Where a pass's region sits in the square network input.
  struct Letterbox {
    cv::Rect region;  // in the frame
    float rx = 1.f, ry = 1.f;  // network pixels per frame pixel
    int left = 0, top = 0;     // offset of the region in the input
    cv::Point2f to_frame(float x, float y) const {
      return {(x - left) / rx + region.x, (y - top) / ry + region.y};
    }
  };

  // Loads `model_file` (a `kind` such as "HyperLPR3 plate model") with
  // `edit`; the input side comes from options.input_size, else the model's
  // fixed input, else `default_size`. Letterbox padding is `pad` (0-255).
  // Throws veil::Error.
  TiledPlateDetector(const std::filesystem::path& model_file, const PlateOptions& options, const std::string& kind,
                     const GraphEdit& edit, int default_size, float pad);

  // The candidates in one run's first output, in frame pixels, with scores
  // at or above the threshold. Boxes may reach past the frame (clipped
  // later). Throws veil::Error on an output of the wrong shape.
  virtual Detections decode(const TensorView& output, const Letterbox& box) const = 0;

  // The shape of the first output for an all-zero input: a family checks
  // it at load, so that a model of another kind fails now, not mid-video.
  std::vector<int64_t> blank_output_shape() const;

  const OnnxSession& session() const { return *session_; }
  const PlateOptions& options() const { return options_; }
  const std::string& what() const { return what_; }

 private:
  PlateOptions options_;
  std::string what_;
  int size_ = 640;
  float pad_ = 0.f;
  std::unique_ptr<OnnxSession> session_;
};

}  // namespace veil
