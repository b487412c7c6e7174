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
#include <string>
#include <vector>

struct OrtSession;
struct OrtValue;

namespace veil {

struct ActivationRanges;
class RangeRecorder;

// A float tensor, viewed in place.
struct TensorView {
  std::vector<int64_t> shape;
  const float* data = nullptr;
  size_t size() const;
};

// An 8-bit 3-channel image as the 1 x 3 x H x W float tensor that a network
// takes: each sample minus `mean` (per channel of the image, B G R), times
// `scale`, channels reversed when `swap_rb`, and black pixels (0 - mean) *
// scale below and right of the image up to `padded` (at least the image's
// size; empty: no padding). Writes into `out`, reusing its memory: passes
// keep one per thread, since fresh buffers of tens of MB cost more in page
// faults than the conversion itself. Throws veil::Error.
struct InputTensor {
  std::vector<float> data;
  std::vector<int64_t> shape;
};
void image_tensor(const cv::Mat& image8uc3, cv::Size padded, float scale, bool swap_rb, InputTensor* out,
                  const cv::Scalar& mean = {});
// The calling thread's input tensor, one for every model: a pass fills it
// and runs its network before the thread starts another pass, and the
// thread keeps only its largest input instead of one per model (at 1080p
// RetinaFace's 12 MB and YuNet's 6 MB, per worker).
InputTensor& thread_input_tensor();

// Changes to a model's graph made in memory before loading; the file on disk
// stays byte-identical to the one the manifest's sha256 names.
struct GraphEdit {
  // Free the first input's height and width (the last two dimensions), and
  // drop the shapes recorded for other tensors, so that ONNX Runtime infers
  // them again: for models exported at one size that work at any (YuNet).
  // Upsampling whose target size was recorded at export, and whose result
  // is added to another tensor, takes that tensor's size (RetinaFace's FPN).
  bool free_image_size = false;
  // Keep only these outputs, and the nodes they need (empty: all).
  std::vector<std::string> outputs;
  // Turn dynamically quantised convolutions (DynamicQuantizeLinear ->
  // ConvInteger -> Cast -> Mul) into float ones with the weights
  // dequantised: ONNX Runtime runs ConvInteger ~10x slower on CPU.
  bool dequantize_convs = false;
  // Run the convolutions in 8-bit integers (QDQ, which ONNX Runtime fuses
  // into QLinearConv): activations uint8 from these measured ranges,
  // weights int8 per output channel, biases int32. Null: float. The first
  // `int8_float_first` convolutions (in graph order) stay float.
  const ActivationRanges* int8 = nullptr;
  int int8_float_first = 0;
  // Calibration: every activation that int8 may need a range for, fed to
  // this recorder on each run. The model runs in float.
  RangeRecorder* record = nullptr;

  bool changes_graph() const {
    return free_image_size || !outputs.empty() || dequantize_convs || int8 || record;
  }
};
class OnnxSession {
 public:
  // Loads an ONNX model from its bytes, edited by `edit` first when it asks
  // for a change; `what` names it in errors ("face model yunet.onnx").
  // Throws veil::Error when the model cannot be loaded.
  OnnxSession(const std::vector<uint8_t>& model, std::string what, const GraphEdit& edit = {});
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
  // The first input's shape as the file has it, before free_image_size.
  const std::vector<int64_t>& exported_input_shape() const { return exported_input_shape_; }

 private:
  std::string what_;
  OrtSession* session_ = nullptr;
  std::string input_name_;
  std::vector<int64_t> input_shape_;
  std::vector<int64_t> exported_input_shape_;
  std::vector<std::string> output_names_;
  // Calibration: the activations fed to `record_` after each run.
  RangeRecorder* record_ = nullptr;
  std::vector<std::string> recorded_;
};

// Creates ONNX Runtime's one environment for the process, with its usage
// telemetry off (the first session would otherwise). It sets the
// ORT_DISABLE_TELEMETRY environment variable: call it before starting
// threads that may read the environment. Throws veil::Error.
void start_onnx_runtime();

// The model's bytes; `kind` names it in errors ("face model"). Throws veil::Error.
std::vector<uint8_t> read_model_bytes(const std::string& file, const std::string& kind);

// What edited_model() learnt of the model while editing it.
struct EditNotes {
  // With edit.record: the activations made outputs.
  std::vector<std::string> recorded;
  // With edit.free_image_size: the image input's shape as exported (-1
  // where the file leaves a dimension free).
  std::vector<int64_t> exported_input;
};

// The edited model, serialised. Throws veil::Error when `model` is not an
// ONNX model, has no 4-D first input to free, lacks an output to keep, or
// holds a quantised convolution of another pattern, or int8 lacks a range.
std::string edited_model(const std::vector<uint8_t>& model, const GraphEdit& edit, const std::string& what,
                         EditNotes* notes = nullptr);

}  // namespace veil
