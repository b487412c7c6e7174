#include "veil/detect/fast_layers.hpp"

#include <opencv2/core/utility.hpp>
#include <opencv2/dnn/all_layers.hpp>
#include <opencv2/dnn/layer.hpp>

#include <cstring>
#include <mutex>

namespace veil {

namespace {

using cv::dnn::Layer;
using cv::dnn::LayerParams;
using cv::dnn::MatShape;

// Runs `fn(begin, end)` over [0, n) in stripes on OpenCV's thread pool when
// there is enough work to share.
template <typename Fn>
void in_stripes(size_t n, size_t min_per_stripe, Fn fn) {
  const int stripes = int(std::min<size_t>(size_t(cv::getNumThreads()) * 2, n / std::max<size_t>(1, min_per_stripe)));
  if (stripes <= 1) {
    fn(size_t(0), n);
    return;
  }
  cv::parallel_for_(cv::Range(0, stripes), [&](const cv::Range& r) {
    fn(n * r.start / stripes, n * r.end / stripes);
  }, stripes);
}

class FastPermuteLayer : public Layer {
 public:
  explicit FastPermuteLayer(const LayerParams& params) : Layer(params), opencv_(cv::dnn::PermuteLayer::create(params)) {
    if (params.has("order")) {
      const cv::dnn::DictValue& v = params.get("order");
      for (int i = 0; i < v.size(); ++i) order_.push_back(v.get<int>(i));
    }
  }
  static cv::Ptr<Layer> create(LayerParams& params) { return cv::makePtr<FastPermuteLayer>(params); }

  bool getMemoryShapes(const std::vector<MatShape>& inputs, const int required, std::vector<MatShape>& outputs,
                       std::vector<MatShape>& internals) const override {
    return opencv_->getMemoryShapes(inputs, required, outputs, internals);
  }
  void finalize(cv::InputArrayOfArrays inputs, cv::OutputArrayOfArrays outputs) override {
    opencv_->finalize(inputs, outputs);
  }
  void forward(cv::InputArrayOfArrays in, cv::OutputArrayOfArrays out, cv::OutputArrayOfArrays internals) override {
    std::vector<cv::Mat> inputs, outputs;
    in.getMatVector(inputs);
    out.getMatVector(outputs);
    bool done = inputs.size() == outputs.size();
    for (size_t i = 0; done && i < inputs.size(); ++i) done = copy_blocks(inputs[i], outputs[i]);
    if (!done) opencv_->forward(in, out, internals);
  }

 private:
  // When the order keeps the trailing dimensions in place, the permutation
  // moves whole contiguous blocks of them. False when it does not apply.
  bool copy_blocks(const cv::Mat& src, cv::Mat& dst) const {
    const int dims = src.dims;
    if (src.type() != CV_32F || dst.type() != CV_32F || !src.isContinuous() || !dst.isContinuous() ||
        int(order_.size()) != dims || dst.total() != src.total()) {
      return false;
    }
    int kept = dims;  // order_[i] == i for every i >= kept
    while (kept > 0 && order_[kept - 1] == kept - 1) --kept;
    if (kept == dims) return false;  // the last dimension moves: element by element
    size_t block = 1;
    for (int i = kept; i < dims; ++i) block *= size_t(src.size[i]);
    std::vector<size_t> in_stride(kept), out_count(kept);
    size_t stride = block;
    for (int i = kept - 1; i >= 0; --i) {
      in_stride[i] = stride;
      stride *= size_t(src.size[i]);
    }
    for (int i = 0; i < kept; ++i) {
      if (dst.size[i] != src.size[order_[i]]) return false;
      out_count[i] = size_t(dst.size[i]);
    }
    const size_t blocks = src.total() / block;
    const float* from = src.ptr<float>();
    float* to = dst.ptr<float>();
    in_stripes(blocks, std::max<size_t>(1, 16384 / block), [&](size_t begin, size_t end) {
      for (size_t b = begin; b < end; ++b) {
        // Output block b's index, digit by digit, read in the input's strides.
        size_t rest = b, offset = 0;
        for (int i = kept - 1; i >= 0; --i) {
          offset += (rest % out_count[i]) * in_stride[order_[i]];
          rest /= out_count[i];
        }
        std::memcpy(to + b * block, from + offset, block * sizeof(float));
      }
    });
    return true;
  }

  cv::Ptr<Layer> opencv_;
  std::vector<int> order_;
};

class FastSigmoidLayer : public cv::dnn::ActivationLayer {
 public:
  explicit FastSigmoidLayer(const LayerParams& params) { setParamsFrom(params); }
  static cv::Ptr<Layer> create(LayerParams& params) { return cv::makePtr<FastSigmoidLayer>(params); }

  bool getMemoryShapes(const std::vector<MatShape>& inputs, const int required, std::vector<MatShape>& outputs,
                       std::vector<MatShape>& internals) const override {
    Layer::getMemoryShapes(inputs, required, outputs, internals);
    return true;  // may run in place
  }
  void forward(cv::InputArrayOfArrays in, cv::OutputArrayOfArrays out, cv::OutputArrayOfArrays) override {
    std::vector<cv::Mat> inputs, outputs;
    in.getMatVector(inputs);
    out.getMatVector(outputs);
    CV_Assert(inputs.size() == outputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
      CV_Assert(inputs[i].type() == CV_32F && inputs[i].isContinuous() && outputs[i].isContinuous() &&
                inputs[i].total() == outputs[i].total());
      const float* src = inputs[i].ptr<float>();
      float* dst = outputs[i].ptr<float>();
      in_stripes(inputs[i].total(), 65536, [&](size_t begin, size_t end) { sigmoid(src + begin, dst + begin, end - begin); });
    }
  }
  // When fused into the layer before it: `len` values in each of the
  // planes cn0..cn1, `plane` floats apart.
  void forwardSlice(const float* src, float* dst, int len, size_t plane, int cn0, int cn1) const override {
    for (int c = cn0; c < cn1; ++c, src += plane, dst += plane) sigmoid(src, dst, size_t(len));
  }
};

std::mutex registry_mutex;
bool registered = false;

}  // namespace

void use_fast_layers() {
  std::lock_guard<std::mutex> lock(registry_mutex);
  if (registered) return;
  cv::dnn::LayerFactory::registerLayer("Permute", FastPermuteLayer::create);
  cv::dnn::LayerFactory::registerLayer("Sigmoid", FastSigmoidLayer::create);
  registered = true;
}

void use_opencv_layers() {
  std::lock_guard<std::mutex> lock(registry_mutex);
  if (!registered) return;
  // The factory keeps a stack per type: this uncovers OpenCV's own.
  cv::dnn::LayerFactory::unregisterLayer("Permute");
  cv::dnn::LayerFactory::unregisterLayer("Sigmoid");
  registered = false;
}

}  // namespace veil
