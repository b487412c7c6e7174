#include "detect/onnx_session.hpp"

#include "detect/int8_ranges.hpp"
#include "veil/core/error.hpp"

#include <onnxruntime_c_api.h>

#include <opencv2/core.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>

namespace veil {

namespace {

// API version 23 (the headers Veil builds against) is served by every
// later library; the npm package's 1.30 among them.
const OrtApi& api() {
  static const OrtApi* const ort = [] {
    const OrtApi* p = OrtGetApiBase()->GetApi(ORT_API_VERSION);
    if (!p) {
      throw Error(std::string("ONNX Runtime ") + OrtGetApiBase()->GetVersionString() +
                  " does not provide C API version " + std::to_string(ORT_API_VERSION));
    }
    return p;
  }();
  return *ort;
}

// Throws veil::Error("<what>: <message>") for a failed call.
void check(OrtStatus* status, const std::string& what) {
  if (!status) return;
  std::string message = api().GetErrorMessage(status);
  api().ReleaseStatus(status);
  throw Error(what + ": " + message);
}

// One environment for the process (ONNX Runtime wants at most one).
OrtEnv* environment() {
  static OrtEnv* const env = [] {
    // ONNX Runtime 1.29 and later, as Microsoft builds them, record usage
    // events (program name, OS, each model's producer and graph name) in
    // ~/.cache/Microsoft/DeveloperTools and upload them to Microsoft. Veil
    // runs where footage must not leave the user's machines: its
    // documented opt-out, read once when the environment is created, turns
    // all of it off (no uploader, events, device id or cache).
    ::setenv("ORT_DISABLE_TELEMETRY", "1", /*overwrite=*/1);
    OrtEnv* e = nullptr;
    check(api().CreateEnv(ORT_LOGGING_LEVEL_ERROR, "veil", &e), "ONNX Runtime");
    check(api().DisableTelemetryEvents(e), "ONNX Runtime");
    // One CPU arena for every session (they opt in below). With an arena
    // each, every model kept the buffers of its own largest runs, and the
    // sum grew with the line-up: 768 MiB at 1080p against 627 MiB shared
    // (60 frames of the bench's 1080p clip, docs/speed.md), no slower.
    OrtMemoryInfo* info = nullptr;
    check(api().CreateCpuMemoryInfo(OrtArenaAllocator, OrtMemTypeDefault, &info), "ONNX Runtime");
    OrtArenaCfg* cfg = nullptr;
    check(api().CreateArenaCfgV2(nullptr, nullptr, 0, &cfg), "ONNX Runtime");  // the defaults
    OrtStatus* registered = api().CreateAndRegisterAllocator(e, info, cfg);
    api().ReleaseArenaCfg(cfg);
    api().ReleaseMemoryInfo(info);
    check(registered, "ONNX Runtime");
    return e;
  }();
  return env;
}

}  // namespace

void start_onnx_runtime() { environment(); }

namespace {

template <typename T, void (*Release)(T*)>
struct Releaser {
  void operator()(T* p) const { if (p) Release(p); }
};

void release_options(OrtSessionOptions* p) { api().ReleaseSessionOptions(p); }
void release_info(OrtTypeInfo* p) { api().ReleaseTypeInfo(p); }
void release_shape(OrtTensorTypeAndShapeInfo* p) { api().ReleaseTensorTypeAndShapeInfo(p); }
void release_memory_info(OrtMemoryInfo* p) { api().ReleaseMemoryInfo(p); }
void release_value(OrtValue* p) { api().ReleaseValue(p); }

using SessionOptionsPtr = std::unique_ptr<OrtSessionOptions, Releaser<OrtSessionOptions, release_options>>;
using TypeInfoPtr = std::unique_ptr<OrtTypeInfo, Releaser<OrtTypeInfo, release_info>>;
using ShapeInfoPtr = std::unique_ptr<OrtTensorTypeAndShapeInfo, Releaser<OrtTensorTypeAndShapeInfo, release_shape>>;
using MemoryInfoPtr = std::unique_ptr<OrtMemoryInfo, Releaser<OrtMemoryInfo, release_memory_info>>;
using ValuePtr = std::unique_ptr<OrtValue, Releaser<OrtValue, release_value>>;

// A name ONNX Runtime allocated, copied and freed.
std::string take_name(char* name) {
  std::string s = name ? name : "";
  OrtAllocator* allocator = nullptr;
  if (!api().GetAllocatorWithDefaultOptions(&allocator) && allocator) {
    if (OrtStatus* failed = api().AllocatorFree(allocator, name)) api().ReleaseStatus(failed);
  }
  return s;
}

std::vector<int64_t> tensor_shape(const OrtTensorTypeAndShapeInfo* info, const std::string& what) {
  size_t dims = 0;
  check(api().GetDimensionsCount(info, &dims), what);
  std::vector<int64_t> shape(dims);
  check(api().GetDimensions(info, shape.data(), dims), what);
  return shape;
}

}  // namespace

size_t TensorView::size() const {
  size_t n = 1;
  for (int64_t d : shape) n *= size_t(std::max<int64_t>(0, d));
  return n;
}

void image_tensor(const cv::Mat& image, cv::Size padded, float scale, bool swap_rb, InputTensor* out,
                  const cv::Scalar& mean) {
  if (image.type() != CV_8UC3) throw Error("network input must be an 8-bit 3-channel image");
  const int h = image.rows, w = image.cols;
  const int ph = std::max(h, padded.height), pw = std::max(w, padded.width);
  out->shape = {1, 3, ph, pw};
  const size_t plane = size_t(ph) * pw;
  out->data.resize(3 * plane);
  // Deinterleave as bytes, then widen each plane straight into the tensor:
  // both are vectorised in OpenCV, and no float copy of the image is made.
  thread_local std::vector<uint8_t> bytes;
  bytes.resize(size_t(3) * h * w);
  std::vector<cv::Mat> channels;
  for (int c = 0; c < 3; ++c) channels.emplace_back(h, w, CV_8U, bytes.data() + size_t(c) * h * w);
  cv::split(image, channels);
  for (int c = 0; c < 3; ++c) {
    cv::Mat dst(ph, pw, CV_32F, out->data.data() + plane * size_t(swap_rb ? 2 - c : c));
    cv::Mat inside = dst(cv::Rect(0, 0, w, h));
    const double shift = -mean[c] * scale;
    channels[c].convertTo(inside, CV_32F, scale, shift);
    if (pw > w) dst(cv::Rect(w, 0, pw - w, ph)).setTo(shift);
    if (ph > h) dst(cv::Rect(0, h, w, ph - h)).setTo(shift);
  }
}

InputTensor& thread_input_tensor() {
  thread_local InputTensor tensor;
  return tensor;
}

std::vector<uint8_t> read_model_bytes(const std::string& file, const std::string& kind) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error("cannot open " + kind + " " + file);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.empty()) throw Error(kind + " " + file + " is empty");
  return bytes;
}

OnnxSession::OnnxSession(const std::vector<uint8_t>& model, std::string what, const GraphEdit& edit)
    : what_(std::move(what)) {
  OrtSessionOptions* raw_options = nullptr;
  check(api().CreateSessionOptions(&raw_options), what_);
  SessionOptionsPtr options(raw_options);
  // Each run on the calling thread: Veil runs passes side by side itself
  // (docs/speed.md measures one thread per run against more).
  check(api().SetIntraOpNumThreads(options.get(), 1), what_);
  check(api().SetInterOpNumThreads(options.get(), 1), what_);
  check(api().SetSessionExecutionMode(options.get(), ORT_SEQUENTIAL), what_);
  check(api().SetSessionGraphOptimizationLevel(options.get(), ORT_ENABLE_ALL), what_);
  check(api().AddSessionConfigEntry(options.get(), "session.use_env_allocators", "1"), what_);
  // The default CPU arena and memory patterns stay on: they keep what one
  // run freed for the next (a pattern per input shape, and passes come in
  // few shapes). Without them every run's buffers are fresh memory, and
  // page faults cost more than the network on small passes: 16.8 s against
  // 12.9 s for the 960x540 clip, and more memory, not less (docs/speed.md).

  std::string edited;
  const void* bytes = model.data();
  size_t length = model.size();
  EditNotes notes;
  if (edit.changes_graph()) {
    edited = edited_model(model, edit, what_, &notes);
    recorded_ = std::move(notes.recorded);
    record_ = edit.record;
    bytes = edited.data();
    length = edited.size();
  }
  check(api().CreateSessionFromArray(environment(), bytes, length, options.get(), &session_),
        what_ + " cannot be loaded");
  try {
    OrtAllocator* allocator = nullptr;
    check(api().GetAllocatorWithDefaultOptions(&allocator), what_);
    size_t inputs = 0, outputs = 0;
    check(api().SessionGetInputCount(session_, &inputs), what_);
    check(api().SessionGetOutputCount(session_, &outputs), what_);
    if (inputs < 1) throw Error(what_ + " has no input");
    char* name = nullptr;
    check(api().SessionGetInputName(session_, 0, allocator, &name), what_);
    input_name_ = take_name(name);
    // Every input and output Veil touches is a float tensor: checked once
    // here, so that runs read outputs as floats without asking again.
    auto float_tensor = [&](OrtTypeInfo* raw_info, const std::string& which) {
      TypeInfoPtr info(raw_info);
      const OrtTensorTypeAndShapeInfo* tensor = nullptr;
      check(api().CastTypeInfoToTensorInfo(info.get(), &tensor), what_);
      if (!tensor) throw Error(what_ + ": " + which + " is not a tensor");
      ONNXTensorElementDataType type{};
      check(api().GetTensorElementType(tensor, &type), what_);
      if (type != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT) throw Error(what_ + ": " + which + " is not float");
      return tensor_shape(tensor, what_);
    };
    for (size_t i = 0; i < outputs; ++i) {
      check(api().SessionGetOutputName(session_, i, allocator, &name), what_);
      std::string output = take_name(name);
      if (std::find(recorded_.begin(), recorded_.end(), output) != recorded_.end()) continue;
      output_names_.push_back(output);
      OrtTypeInfo* raw_info = nullptr;
      check(api().SessionGetOutputTypeInfo(session_, i, &raw_info), what_);
      float_tensor(raw_info, "output " + output_names_.back());
    }
    OrtTypeInfo* raw_info = nullptr;
    check(api().SessionGetInputTypeInfo(session_, 0, &raw_info), what_);
    input_shape_ = float_tensor(raw_info, "its input");
    if (input_shape_.size() != 4) throw Error(what_ + ": its input is not an image tensor (N, C, H, W)");
    exported_input_shape_ = edit.free_image_size ? notes.exported_input : input_shape_;
  } catch (...) {
    api().ReleaseSession(session_);
    throw;
  }
}

OnnxSession::~OnnxSession() { api().ReleaseSession(session_); }

OnnxSession::Outputs OnnxSession::run(const InputTensor& input, const std::vector<std::string>& outputs) const {
  for (size_t i = 0; i < input_shape_.size() && i < input.shape.size(); ++i) {
    if (input_shape_[i] > 0 && input_shape_[i] != input.shape[i]) {
      throw Error(what_ + ": input of shape " + cv::format("%lldx%lldx%lldx%lld", (long long)input.shape[0],
                  (long long)input.shape[1], (long long)input.shape[2], (long long)input.shape[3]) +
                  " does not fit the model");
    }
  }
  OrtMemoryInfo* raw_memory = nullptr;
  check(api().CreateCpuMemoryInfo(OrtDeviceAllocator, OrtMemTypeDefault, &raw_memory), what_);
  MemoryInfoPtr memory(raw_memory);
  OrtValue* raw_input = nullptr;
  // ONNX Runtime only reads the input: the const_cast is its API's.
  check(api().CreateTensorWithDataAsOrtValue(memory.get(), const_cast<float*>(input.data.data()),
                                             input.data.size() * sizeof(float), input.shape.data(),
                                             input.shape.size(), ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, &raw_input),
        what_);
  ValuePtr value(raw_input);

  std::vector<const char*> names;
  for (const std::string& o : outputs) names.push_back(o.c_str());
  if (record_) {
    for (const std::string& o : recorded_) names.push_back(o.c_str());
  }
  const char* input_name = input_name_.c_str();
  const OrtValue* inputs[] = {value.get()};
  Outputs out;
  out.what_ = what_;
  out.values_.assign(names.size(), nullptr);
  check(api().Run(session_, nullptr, &input_name, inputs, 1, names.data(), names.size(), out.values_.data()),
        what_ + " failed");
  if (record_) {
    for (size_t i = outputs.size(); i < names.size(); ++i) {
      record_->observe(names[i], out[i]);
      api().ReleaseValue(out.values_[i]);
    }
    out.values_.resize(outputs.size());
  }
  return out;
}

OnnxSession::Outputs::Outputs(Outputs&& other) noexcept
    : values_(std::move(other.values_)), what_(std::move(other.what_)) {
  other.values_.clear();
}

OnnxSession::Outputs& OnnxSession::Outputs::operator=(Outputs&& other) noexcept {
  std::swap(values_, other.values_);
  std::swap(what_, other.what_);
  return *this;
}

OnnxSession::Outputs::~Outputs() {
  for (OrtValue* v : values_) {
    if (v) api().ReleaseValue(v);
  }
}

TensorView OnnxSession::Outputs::operator[](size_t i) const {
  TensorView view;
  OrtTensorTypeAndShapeInfo* raw = nullptr;
  check(api().GetTensorTypeAndShape(values_.at(i), &raw), what_);
  ShapeInfoPtr info(raw);
  view.shape = tensor_shape(info.get(), what_);
  void* data = nullptr;
  check(api().GetTensorMutableData(values_[i], &data), what_);
  view.data = static_cast<const float*>(data);
  return view;
}

}  // namespace veil
