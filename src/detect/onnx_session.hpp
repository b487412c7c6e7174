#pragma once
// Veil's one inference runtime: a small RAII wrapper over ONNX Runtime's C
// API (ONNX Runtime ships no C++ header that matches its npm library). Every
// OrtStatus becomes a veil::Error that names the model.
//
// One session per model, shared by every worker: OrtSession::Run is
// thread-safe, and each call runs on the calling thread (one intra-op
// thread), so Veil's own pass scheduler decides how many cores inference
// gets and nothing spins in the background.
#include <opencv2/core.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct OrtSession;
struct OrtValue;

namespace veil {

// A float tensor, viewed in place.
struct TensorView {
  std::vector<int64_t> shape;
  const float* data = nullptr;
  size_t size() const;
};

// An 8-bit 3-channel image as the 1 x 3 x H x W float tensor that a network
// takes: each sample times `scale`, channels reversed when `swap_rb`.
// Memory for the tensor; `shape` says its dimensions.
struct InputTensor {
  std::vector<float> data;
  std::vector<int64_t> shape;
};
InputTensor image_tensor(const cv::Mat& image8uc3, float scale, bool swap_rb);

class OnnxSession {
 public:
  // Loads an ONNX model from its bytes; `what` names it in errors ("face
  // model yunet.onnx"). With `free_image_size`, the height and width of the
  // model's first input (and every shape derived from them) are made free
  // before loading, for models exported with a fixed size that work at any
  // (YuNet); the bytes passed in are not changed. Throws veil::Error when
  // the model cannot be loaded.
  OnnxSession(const std::vector<uint8_t>& model, std::string what, bool free_image_size = false);
  ~OnnxSession();
  OnnxSession(const OnnxSession&) = delete;
  OnnxSession& operator=(const OnnxSession&) = delete;

  // The outputs of one run, owned until this is destroyed.
  class Outputs {
   public:
    Outputs() = default;
    Outputs(Outputs&& other) noexcept;
    Outputs& operator=(Outputs&& other) noexcept;
    Outputs(const Outputs&) = delete;
    ~Outputs();
    size_t size() const { return values_.size(); }
    // Output `i` (in the order run() was asked for) as floats.
    TensorView operator[](size_t i) const;

   private:
    friend class OnnxSession;
    std::vector<OrtValue*> values_;
    std::string what_;
  };

  // Runs the model on `input` (its first input) and returns the outputs
  // named `outputs`, in that order. Thread-safe. Throws veil::Error.
  Outputs run(const InputTensor& input, const std::vector<std::string>& outputs) const;

  // The model's output names, and its first input's shape (-1 where free).
  const std::vector<std::string>& output_names() const { return output_names_; }
  const std::vector<int64_t>& input_shape() const { return input_shape_; }

 private:
  std::string what_;
  OrtSession* session_ = nullptr;
  std::string input_name_;
  std::vector<int64_t> input_shape_;
  std::vector<std::string> output_names_;
};

// The model's bytes; `kind` names it in errors ("face model"). Throws veil::Error.
std::vector<uint8_t> read_model_bytes(const std::string& file, const std::string& kind);

// An ONNX model with its first input's last two dimensions (height, width)
// made free, and the shapes recorded for every other tensor dropped so that
// ONNX Runtime infers them again. Throws veil::Error when `model` is not an
// ONNX model with a 4-D first input.
std::string with_free_image_size(const std::vector<uint8_t>& model, const std::string& what);

}  // namespace veil
