#pragma once
// Veil as a library: the one header most programs need.
//
//   veil::ObjectDetector detector;                       // loads the models once
//   std::vector<veil::FoundObject> found = detector.detect(picture);
//   veil::redact(picture, picture, found);               // hides them in place
//   veil::AnonymizeSummary s = veil::anonymize("in.mp4", "s3://bucket/out.mp4");
//
// These types hold plain pixels, strings and numbers only: no OpenCV,
// FFmpeg or ONNX Runtime type appears here, so a caller needs none of their
// headers. Failures throw veil::Error (veil/core/error.hpp) with the
// message the `veil` command prints. The rest of include/veil/ is the
// pipeline itself, for callers who need its stages one by one.
#include "veil/core/error.hpp"
#include "veil/core/version.hpp"  // veil::version(): "0.1.0"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace veil {

// How a picture's pixels are laid out: 8 bits per channel, interleaved.
enum class PixelFormat { kBgr, kRgb, kBgra, kRgba, kGray };

// A picture the caller owns, read-only: `height` rows of `width` pixels,
// each row `stride` bytes after the one before (0: rows are packed). Veil
// never keeps the pointer past the call it is given to.
struct ImageView {
  const std::uint8_t* data = nullptr;
  int width = 0;
  int height = 0;
  std::ptrdiff_t stride = 0;
  PixelFormat format = PixelFormat::kBgr;
};

// The same, writable.
struct MutableImageView {
  std::uint8_t* data = nullptr;
  int width = 0;
  int height = 0;
  std::ptrdiff_t stride = 0;
  PixelFormat format = PixelFormat::kBgr;
  operator ImageView() const { return {data, width, height, stride, format}; }
};

// A picture Veil owns: packed rows of 8-bit pixels.
struct Picture {
  std::vector<std::uint8_t> pixels;
  int width = 0;
  int height = 0;
  PixelFormat format = PixelFormat::kBgr;
  ImageView view() const { return {pixels.data(), width, height, 0, format}; }
  MutableImageView view() { return {pixels.data(), width, height, 0, format}; }
};

// Reads a photo (JPEG, PNG, WebP, TIFF, BMP, JPEG 2000; a path or an s3://
// URL) as `veil anonymize` does: EXIF orientation applied, the declared size
// checked before decoding. BGR. Throws veil::Error. Any thread.
Picture read_picture(const std::string& location);

struct Point {
  float x = 0, y = 0;
};

// Pixels of the picture: left, top, width, height.
struct Box {
  float x = 0, y = 0, width = 0, height = 0;
};

// One model's view of a found object.
struct Sighted {
  std::string model;  // its name in `veil models`
  float score = 0;
  Box box;
  std::vector<Point> corners;
};

// A face or a licence plate in a picture, as the detections sidecar lists
// it (docs/sidecar.schema.json).
struct FoundObject {
  std::string cls;  // "face" or "plate"
  Box box;
  float score = 0;  // 0..1, of the model that scored it highest
  std::vector<Point> corners;  // a plate's outline, clockwise from top-left, when known
  std::string model;           // the model that scored it highest
  // When several models found it: each one's sighting. redact() hides the
  // union of them all.
  std::vector<Sighted> found_by;
};

// What to look for, with which models.
struct DetectorOptions {
  std::vector<std::string> targets{"face", "plate"};
  // Score thresholds; none: each model's recall-first default.
  std::optional<float> face_threshold;
  std::optional<float> plate_threshold;
  // Models by name (`veil models`); empty: the default line-up.
  std::vector<std::string> face_models;
  std::vector<std::string> plate_models;
  // Models whose licence forbids commercial use are refused without it.
  bool allow_noncommercial = false;
  // "auto": the models whose int8 keeps recall (YOLOv8 plates) run in
  // 8-bit integers; "int8": every model Veil holds int8 calibration for
  // (also RetinaFace), faster, for slightly less recall; "float": none
  // (docs/speed.md, "int8").
  std::string precision = "auto";
  // Worker threads for one detector's passes; 0: one per core.
  int threads = 0;
  // Where the model files are: a folder of them (VEIL_MODEL_DIR when
  // empty), else the user cache, else downloaded into it unless `offline`.
  std::string model_dir;
  bool offline = false;
};

// Finds faces and plates in pictures. The models are loaded once, by the
// constructor. detect() may be called from any number of threads at once:
// their passes share the detector's worker threads.
class ObjectDetector {
 public:
  // Loads the models. Throws veil::Error: an unknown model or target, a
  // missing or corrupt model file, a non-commercial model not allowed.
  explicit ObjectDetector(const DetectorOptions& options = {});
  ~ObjectDetector();
  ObjectDetector(const ObjectDetector&) = delete;
  ObjectDetector& operator=(const ObjectDetector&) = delete;

  // Every face and plate in `image`, as `veil anonymize` finds them in a
  // photo: every pass at every scale, the models' boxes of one object
  // fused. Throws veil::Error for an empty or malformed image (a null
  // pointer, a size of 0 or above 8192x8192, a stride shorter than a row).
  std::vector<FoundObject> detect(const ImageView& image) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// How a found object is hidden.
struct RedactStyle {
  std::string mode = "blur";   // blur, pixelate, fill or none
  std::string shape = "auto";  // auto (ellipse for faces, outline for plates), ellipse or box
  float face_mask_scale = 1.3f;   // the hidden area's size relative to the box
  float plate_mask_scale = 1.15f;
  std::uint8_t fill_red = 0, fill_green = 0, fill_blue = 0;  // mode fill
  int block_size = 0;  // mode pixelate: pixels per block; 0 scales with the object
};

// Writes `source` with every object of `found` hidden into `target`, which
// must have the same size and format; it may be `source` itself (in
// place). Throws veil::Error for images that do not match or an unknown
// mode, shape or class. Any thread.
void redact(const ImageView& source, const MutableImageView& target, const std::vector<FoundObject>& found,
            const RedactStyle& style = {});

// The whole job on files: what `veil anonymize` does.
struct AnonymizeSettings {
  DetectorOptions detection;
  RedactStyle style;
  bool tracking = true;   // video: follow objects between frames (gap filling, look-ahead)
  int sweep_frames = 8;   // video: spread the small-object passes over this many frames
  std::string codec = "h264";  // h264 or h265
  std::optional<int> crf;      // none: 18 for h264, 20 for h265
  std::string preset = "medium";
  bool strip_metadata = false;
  std::string detections;  // write the detections sidecar here (a path or s3:// URL); empty: none
  std::string manifest;    // add the outputs to this labelling manifest; empty: none
  bool s3_path_style = false;
};

// Where a run is, told after each frame written.
struct AnonymizeProgress {
  std::string file;                   // the input file being done, as the sidecar names it
  std::int64_t frame = 0;             // frames of it written so far
  std::optional<std::int64_t> frames; // its frame count, when known
  std::int64_t files_done = 0;        // files finished before it
};

// What a run did.
struct AnonymizeSummary {
  std::int64_t files = 0;
  std::int64_t frames = 0;
  std::map<std::string, std::int64_t> objects;  // by class: one per tracked face or plate
  std::int64_t boxes = 0;                       // hidden, one per object per frame
  std::map<std::string, std::int64_t> detected_boxes;  // of those, found by a detector, by class
  std::int64_t tracked_boxes = 0;                      // and added by tracking
  std::int64_t frames_with_objects = 0;
  double seconds = 0;
  double footage_seconds = 0;
  std::vector<std::string> outputs;
  std::vector<std::string> failures;   // a folder's files that failed; the others are done
  std::vector<std::string> truncated;  // videos cut short: their outputs hold what could be read
  // As `veil anonymize --json` prints it.
  std::string to_json() const;
};

// Anonymizes `input` (a video, an image, a folder of them, or an s3:// URL
// or prefix) into `output` (a file, a folder, or an s3:// URL), as `veil
// anonymize` does. `progress` (may be empty) is called on the calling
// thread. Setting `*cancel` (from any thread) stops the run between frames:
// it then throws veil::Error("interrupted"), and nothing of the unfinished
// file is left at `output`. A single file that fails throws veil::Error
// and leaves nothing; in a folder, failures are listed in the summary.
// Any thread; runs may overlap, each with its own `cancel`.
AnonymizeSummary anonymize(const std::string& input, const std::string& output,
                           const AnonymizeSettings& settings = {},
                           const std::function<void(const AnonymizeProgress&)>& progress = {},
                           const std::atomic<bool>* cancel = nullptr);

}  // namespace veil
