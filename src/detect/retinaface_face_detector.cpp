#include "detect/retinaface_face_detector.hpp"

#include "veil/core/error.hpp"

#include <cmath>

namespace veil {

namespace {

struct Level {
  int stride;
  float prior_sizes[2];  // side of each square prior, input pixels
};
constexpr Level kLevels[3] = {{8, {16, 32}}, {16, {64, 128}}, {32, {256, 512}}};
// The box encoding's variances (centre, size).
constexpr float kCentreVariance = 0.1f, kSizeVariance = 0.2f;

const std::vector<std::string>& head_outputs() {
  static const std::vector<std::string> names = {"output0", "output1"};
  return names;
}

// Free the input size; drop the landmark head (a model without these
// outputs fails here). In int8 the first seven convolutions stay float
// (the stem and the first three blocks: full and half resolution, 8-32
// channels): quantised, they lost 80 of the 1158 faces-dev faces it finds
// in float; float, none (1161), at 0.70x the time of all float at 1280x736
// (docs/speed.md, "int8").
GraphEdit graph_edit(const FaceOptions& options) {
  GraphEdit e{/*free_image_size=*/true, head_outputs()};
  e.int8 = options.precision.int8;
  e.record = options.precision.record;
  e.int8_float_first = 7;
  return e;
}

}  // namespace

RetinaFaceDetector::RetinaFaceDetector(const std::filesystem::path& model_file, const FaceOptions& options)
    : FaceDetector(options),
      what_("face model " + model_file.string()),
      session_(read_model_bytes(model_file.string(), "face model"), what_, graph_edit(options)) {}

FaceOptions RetinaFaceDetector::default_options() {
  // YuNet's thresholds and geometry measured best beside YuNet too
  // (docs/line-up.md): thresholds 0.5 or 0.7 hid 5-8 faces fewer for 0.2%
  // less area.
  FaceOptions o;
  // It costs about twice YuNet's time per pixel, so each of its passes is
  // capped at about a megapixel: 2x up to about 640x384 (every faces-dev
  // photo but two is smaller), 1.38x at 960x540, 1.03x at 1280x720, 0.69x
  // at 1080p, where YuNet's 2x tiles look for the smallest faces. On
  // frames above 768x432 that pass is swept, beside a smaller pass on
  // every frame (FaceOptions::every_frame_pixels).
  // Sweeping its native pass instead, uncapped, cost as much and leaked on
  // a zoom clip (docs/speed.md).
  o.max_pass_pixels = 1280.0 * 768;
  return o;
}

void RetinaFaceDetector::detect_faces(const cv::Mat& image, Detections* out) {
  const cv::Size padded((image.cols + 31) / 32 * 32, (image.rows + 31) / 32 * 32);
  InputTensor& input = thread_input_tensor();
  image_tensor(image, padded, 1.f, /*swap_rb=*/false, &input, cv::Scalar(104, 117, 123));
  OnnxSession::Outputs outs = session_.run(input, head_outputs());
  const TensorView loc = outs[0];
  const TensorView conf = outs[1];

  size_t priors = 0;
  for (const Level& level : kLevels) priors += size_t(padded.height / level.stride) * (padded.width / level.stride) * 2;
  if (loc.size() != priors * 4 || conf.size() != priors * 2) throw Error(what_ + ": unexpected output size");

  size_t i = 0;
  for (const Level& level : kLevels) {
    const int rows = padded.height / level.stride, cols = padded.width / level.stride;
    for (int r = 0; r < rows; ++r) {
      for (int c = 0; c < cols; ++c) {
        for (float side : level.prior_sizes) {
          const size_t k = i++;
          const float score = conf.data[k * 2 + 1];
          if (score < options().score_threshold) continue;
          const float* d = loc.data + k * 4;
          const float cx = (c + 0.5f) * level.stride + d[0] * kCentreVariance * side;
          const float cy = (r + 0.5f) * level.stride + d[1] * kCentreVariance * side;
          const float w = side * std::exp(d[2] * kSizeVariance);
          const float h = side * std::exp(d[3] * kSizeVariance);
          Detection face;
          face.score = score;
          face.box = cv::Rect2f(cx - w / 2, cy - h / 2, w, h);
          out->push_back(std::move(face));
        }
      }
    }
  }
}

}  // namespace veil
