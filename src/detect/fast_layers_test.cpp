// Veil's replacements for cv::dnn's Permute and Sigmoid layers must compute
// what OpenCV's own do: on their own over random tensors, and inside both
// real models on real photos.
#include "veil/detect/fast_layers.hpp"

#include "test_paths.hpp"

#include <gtest/gtest.h>
#include <opencv2/dnn.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <functional>
#include <random>

namespace veil {
namespace {

// Runs `body` with OpenCV's own layers registered, then puts Veil's back
// (the rest of the test program expects them).
cv::Mat with_opencv_layers(const std::function<cv::Mat()>& body) {
  use_opencv_layers();
  cv::Mat out;
  try {
    out = body();
  } catch (...) {
    use_fast_layers();
    throw;
  }
  use_fast_layers();
  return out;
}

cv::Mat with_fast_layers(const std::function<cv::Mat()>& body) {
  use_fast_layers();
  return body();
}

// A network of one layer; cv::dnn creates the layer on the first forward,
// so the factory's state at that moment decides whose layer runs.
cv::Mat run_one_layer(const std::string& type, cv::dnn::LayerParams params, const cv::Mat& input) {
  cv::dnn::Net net;
  params.name = "only";
  params.type = type;
  net.addLayerToPrev("only", type, params);
  net.setInput(input);
  return net.forward().clone();
}

cv::Mat random_tensor(std::vector<int> shape, float spread, unsigned seed) {
  cv::Mat m(shape, CV_32F);
  cv::RNG rng(seed);
  rng.fill(m, cv::RNG::UNIFORM, -spread, spread);
  return m;
}

TEST(FastLayers, SigmoidMatchesTheDefinition) {
  std::vector<float> x;
  for (float v = -200.f; v <= 200.f; v += 0.01f) x.push_back(v);
  std::vector<float> y(x.size());
  sigmoid(x.data(), y.data(), x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    double want = 1.0 / (1.0 + std::exp(-double(x[i])));
    ASSERT_NEAR(y[i], want, 2e-7) << "x = " << x[i];
    if (want > 1e-20) ASSERT_NEAR(y[i] / want, 1.0, 1e-5) << "x = " << x[i];  // small ones too
  }
}

TEST(FastLayers, SigmoidLayerMatchesOpenCvs) {
  cv::Mat input = random_tensor({1, 16, 40, 40}, 120.f, 1);  // SiLU inputs reach far past +-80
  cv::Mat mine = with_fast_layers([&] { return run_one_layer("Sigmoid", {}, input); });
  cv::Mat theirs = with_opencv_layers([&] { return run_one_layer("Sigmoid", {}, input); });
  EXPECT_LE(cv::norm(mine, theirs, cv::NORM_INF), 1e-6);
}

TEST(FastLayers, PermuteMatchesOpenCvsForEveryOrder) {
  struct Case {
    std::vector<int> shape, order;
  };
  const Case cases[] = {
      {{1, 2, 58, 40, 40}, {0, 2, 1, 3, 4}},  // ShuffleNet's channel shuffle
      {{2, 3, 5, 7}, {0, 2, 1, 3}},
      {{3, 4, 5}, {1, 0, 2}},
      {{2, 3, 4, 5}, {3, 2, 1, 0}},          // the last dimension moves: OpenCV's path
      {{1, 3, 15, 20, 20}, {0, 1, 3, 4, 2}},  // YOLO's head, likewise
      {{2, 3, 4}, {0, 1, 2}},                 // identity
  };
  unsigned seed = 7;
  for (const Case& c : cases) {
    cv::dnn::LayerParams params;
    params.set("order", cv::dnn::DictValue::arrayInt(c.order.data(), int(c.order.size())));
    cv::Mat input = random_tensor(c.shape, 10.f, seed++);
    cv::Mat mine = with_fast_layers([&] { return run_one_layer("Permute", params, input); });
    cv::Mat theirs = with_opencv_layers([&] { return run_one_layer("Permute", params, input); });
    ASSERT_EQ(std::vector<int>(mine.size.p, mine.size.p + mine.dims),
              std::vector<int>(theirs.size.p, theirs.size.p + theirs.dims));
    EXPECT_EQ(cv::norm(mine, theirs, cv::NORM_INF), 0.0) << "order of " << c.order.size() << " dims";
  }
}

// The whole networks, on real photos, give what they give with OpenCV's
// layers, to float rounding.
TEST(FastLayers, RealModelsGiveOpenCvsOutputs) {
  struct Model {
    const char* file;
    cv::Size input;
  };
  const Model models[] = {{"hyperlpr3/y5fu_320x_sim.onnx", {320, 320}},
                          {"yunet/face_detection_yunet_2023mar.onnx", {640, 480}}};
  const char* photos[] = {"data/plates-dev/car1.jpg", "data/faces-dev/images/maksssksksss105.jpg"};
  for (const Model& model : models) {
    const std::string file = (test::model_dir() / model.file).string();
    for (const char* photo : photos) {
      cv::Mat image = cv::imread((test::shared_dir() / photo).string());
      ASSERT_FALSE(image.empty()) << photo;
      cv::resize(image, image, model.input);
      cv::Mat blob = cv::dnn::blobFromImage(image);
      auto run = [&] {
        cv::dnn::Net net = cv::dnn::readNetFromONNX(file);
        net.setInput(blob);
        return net.forward().clone();  // the first output; enough to compare
      };
      cv::Mat mine = with_fast_layers(run);
      cv::Mat theirs = with_opencv_layers(run);
      ASSERT_EQ(mine.total(), theirs.total());
      const double scale = std::max(1.0, cv::norm(theirs, cv::NORM_INF));
      EXPECT_LE(cv::norm(mine, theirs, cv::NORM_INF) / scale, 1e-4) << model.file << " on " << photo;
    }
  }
}

}  // namespace
}  // namespace veil
