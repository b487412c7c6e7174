#include "detect/yolo_plate_detector.hpp"

#include "veil/core/error.hpp"

namespace veil {

namespace {
GraphEdit dequantized() {
  GraphEdit e;
  e.dequantize_convs = true;
  return e;
}
}  // namespace

YoloPlateDetector::YoloPlateDetector(const std::filesystem::path& model_file, const PlateOptions& options)
    : TiledPlateDetector(model_file, options, "plate model", dequantized(), 640, 114.f) {
  // A model of another kind fails now, not mid-video.
  InputTensor blank{std::vector<float>(size_t(3) * input_size() * input_size(), 0.f), {1, 3, input_size(), input_size()}};
  OnnxSession::Outputs out = session().run(blank, {session().output_names().at(0)});
  if (out[0].shape.size() != 3 || out[0].shape[1] != 5) throw Error(what() + " is not a one-class YOLOv8 detector");
}

Detections YoloPlateDetector::decode(const TensorView& pred, const Letterbox& lb) const {
  if (pred.shape.size() != 3 || pred.shape[1] != 5) throw Error(what() + ": unexpected output shape");
  // Channel-major: all cx, then all cy, w, h, score.
  const int64_t n = pred.shape[2];
  const float* cx = pred.data;
  const float* cy = cx + n;
  const float* w = cy + n;
  const float* h = w + n;
  const float* score = h + n;
  Detections out;
  for (int64_t i = 0; i < n; ++i) {
    if (score[i] < options().score_threshold) continue;
    Detection d;
    d.cls = ObjectClass::kPlate;
    d.score = score[i];
    // The boxes sit looser than the plates (1.16x wide, 1.36x tall on
    // plates-dev); shrinking them hid more outside, not less (more boxes
    // survive NMS), so they are kept as the model gives them.
    d.box = cv::Rect2f(lb.to_frame(cx[i] - w[i] / 2, cy[i] - h[i] / 2), lb.to_frame(cx[i] + w[i] / 2, cy[i] + h[i] / 2));
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace veil
