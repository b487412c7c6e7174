// veil._veil: the library's facade (veil/veil.hpp) for Python, with numpy
// pictures. The GIL is released while Veil works, so other Python threads
// (and other detections) run meanwhile; anonymize() runs on a thread of its
// own so that the calling thread can notice Ctrl-C within a tenth of a second
// and cancel it. veil/__init__.py adds the Pythonic surface (tqdm, kwargs).
#include <veil/veil.hpp>

#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <exception>
#include <future>
#include <mutex>
#include <thread>

namespace py = pybind11;

namespace {

// A numpy picture as a view Veil can read: HxWx3 uint8, BGR. Row strides of
// any size are fine (a crop of a larger array); other layouts (a flipped or
// channel-reversed view) are copied first. `keep` holds whatever array the
// view points into.
veil::ImageView view_of(const py::array& image, py::object& keep) {
  if (image.dtype().kind() != 'u' || image.itemsize() != 1) {
    throw py::type_error("image: expected a uint8 array (HxWx3, BGR), got dtype " +
                         std::string(py::str(image.dtype())));
  }
  if (image.ndim() != 3 || image.shape(2) != 3) {
    std::string shape;
    for (py::ssize_t i = 0; i < image.ndim(); ++i) shape += (i ? "x" : "") + std::to_string(image.shape(i));
    throw veil::Error("image: expected height x width x 3 (BGR), got shape " + (shape.empty() ? "()" : shape) +
                      (image.ndim() == 2 ? " (grey: convert it with cv2.cvtColor(image, cv2.COLOR_GRAY2BGR))" : ""));
  }
  py::array a = image;
  if (a.strides(2) != 1 || a.strides(1) != 3 || a.strides(0) < 3 * a.shape(1)) {
    a = py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast>::ensure(image);
  }
  keep = a;
  return {static_cast<const std::uint8_t*>(a.data()), int(a.shape(1)), int(a.shape(0)), std::ptrdiff_t(a.strides(0)),
          veil::PixelFormat::kBgr};
}

py::list box_list(const veil::Box& b) { return py::make_tuple(b.x, b.y, b.width, b.height).cast<py::list>(); }

py::list point_list(const std::vector<veil::Point>& pts) {
  py::list out;
  for (const auto& p : pts) out.append(py::make_tuple(p.x, p.y).cast<py::list>());
  return out;
}

// The sidecar's field names (docs/sidecar.schema.json).
py::dict to_dict(const veil::FoundObject& f) {
  py::dict d;
  d["class"] = f.cls;
  d["box"] = box_list(f.box);
  d["score"] = f.score;
  if (!f.corners.empty()) d["corners"] = point_list(f.corners);
  if (!f.model.empty()) d["model"] = f.model;
  if (!f.found_by.empty()) {
    py::list by;
    for (const auto& s : f.found_by) {
      py::dict m;
      m["model"] = s.model;
      m["score"] = s.score;
      m["box"] = box_list(s.box);
      if (!s.corners.empty()) m["corners"] = point_list(s.corners);
      by.append(m);
    }
    d["found_by"] = by;
  }
  return d;
}

veil::Box to_box(const py::handle& h, const char* what) {
  const auto v = h.cast<std::vector<float>>();
  if (v.size() != 4) throw veil::Error(std::string(what) + ": a box is [x, y, width, height]");
  return {v[0], v[1], v[2], v[3]};
}

std::vector<veil::Point> to_points(const py::handle& h) {
  std::vector<veil::Point> out;
  for (const auto& p : h.cast<std::vector<std::vector<float>>>()) {
    if (p.size() != 2) throw veil::Error("corners: each corner is [x, y]");
    out.push_back({p[0], p[1]});
  }
  return out;
}

veil::FoundObject from_dict(const py::handle& h) {
  if (!py::isinstance<py::dict>(h)) throw py::type_error("detections: expected dicts as detect() returns them");
  const py::dict d = py::reinterpret_borrow<py::dict>(h);
  if (!d.contains("class") || !d.contains("box")) throw veil::Error("detections: each needs 'class' and 'box'");
  veil::FoundObject f;
  f.cls = d["class"].cast<std::string>();
  f.box = to_box(d["box"], "detections");
  f.score = d.contains("score") ? d["score"].cast<float>() : 1.f;
  if (d.contains("corners")) f.corners = to_points(d["corners"]);
  if (d.contains("model")) f.model = d["model"].cast<std::string>();
  if (d.contains("found_by")) {
    for (const auto& m : d["found_by"]) {
      const py::dict s = py::reinterpret_borrow<py::dict>(m);
      veil::Sighted seen;
      seen.model = s.contains("model") ? s["model"].cast<std::string>() : "";
      seen.score = s.contains("score") ? s["score"].cast<float>() : 1.f;
      seen.box = to_box(s["box"], "found_by");
      if (s.contains("corners")) seen.corners = to_points(s["corners"]);
      f.found_by.push_back(std::move(seen));
    }
  }
  return f;
}

veil::DetectorOptions detector_options(const py::dict& o) {
  veil::DetectorOptions d;
  if (o.contains("targets")) d.targets = o["targets"].cast<std::vector<std::string>>();
  if (o.contains("face_threshold") && !o["face_threshold"].is_none()) d.face_threshold = o["face_threshold"].cast<float>();
  if (o.contains("plate_threshold") && !o["plate_threshold"].is_none()) d.plate_threshold = o["plate_threshold"].cast<float>();
  if (o.contains("face_models") && !o["face_models"].is_none()) d.face_models = o["face_models"].cast<std::vector<std::string>>();
  if (o.contains("plate_models") && !o["plate_models"].is_none()) d.plate_models = o["plate_models"].cast<std::vector<std::string>>();
  if (o.contains("allow_noncommercial")) d.allow_noncommercial = o["allow_noncommercial"].cast<bool>();
  if (o.contains("threads")) d.threads = o["threads"].cast<int>();
  if (o.contains("precision")) d.precision = o["precision"].cast<std::string>();
  if (o.contains("model_dir") && !o["model_dir"].is_none()) d.model_dir = py::str(o["model_dir"]).cast<std::string>();
  if (o.contains("offline")) d.offline = o["offline"].cast<bool>();
  return d;
}

veil::RedactStyle redact_style(const py::dict& o) {
  veil::RedactStyle s;
  if (o.contains("mode")) s.mode = o["mode"].cast<std::string>();
  if (o.contains("shape")) s.shape = o["shape"].cast<std::string>();
  if (o.contains("mask_scale")) s.face_mask_scale = o["mask_scale"].cast<float>();
  if (o.contains("plate_mask_scale")) s.plate_mask_scale = o["plate_mask_scale"].cast<float>();
  if (o.contains("fill_color")) {
    const auto rgb = o["fill_color"].cast<std::vector<int>>();
    if (rgb.size() != 3) throw veil::Error("fill_color: expected (red, green, blue)");
    s.fill_red = std::uint8_t(rgb[0]);
    s.fill_green = std::uint8_t(rgb[1]);
    s.fill_blue = std::uint8_t(rgb[2]);
  }
  if (o.contains("block_size")) s.block_size = o["block_size"].cast<int>();
  return s;
}

class PyDetector {
 public:
  explicit PyDetector(const py::dict& options) {
    const veil::DetectorOptions o = detector_options(options);
    py::gil_scoped_release release;  // loading the models takes a while
    detector_ = std::make_unique<veil::ObjectDetector>(o);
  }
  py::list detect(const py::array& image) const {
    py::object keep;
    const veil::ImageView view = view_of(image, keep);
    std::vector<veil::FoundObject> found;
    {
      py::gil_scoped_release release;
      found = detector_->detect(view);
    }
    py::list out;
    for (const auto& f : found) out.append(to_dict(f));
    return out;
  }

 private:
  std::unique_ptr<veil::ObjectDetector> detector_;
};

py::array redact(const py::array& image, const py::list& detections, const py::dict& style) {
  py::object keep;
  const veil::ImageView source = view_of(image, keep);
  std::vector<veil::FoundObject> found;
  for (const auto& d : detections) found.push_back(from_dict(d));
  const veil::RedactStyle s = redact_style(style);
  py::array_t<std::uint8_t> out({py::ssize_t(source.height), py::ssize_t(source.width), py::ssize_t(3)});
  const veil::MutableImageView target{out.mutable_data(), source.width, source.height, 0, veil::PixelFormat::kBgr};
  {
    py::gil_scoped_release release;
    veil::redact(source, target, found, s);
  }
  return out;
}

py::dict summary_dict(const veil::AnonymizeSummary& s) {
  return py::module_::import("json").attr("loads")(s.to_json());
}

// The whole job, on a thread of its own: this thread waits with the GIL
// released, a tenth of a second at a time, and between waits passes
// progress to `progress` and checks for Ctrl-C (which cancels the run,
// waits for it to discard its output, and raises KeyboardInterrupt).
py::dict anonymize(const std::string& input, const std::string& output, const py::dict& options,
                   const std::function<void(py::dict)>& progress) {
  veil::AnonymizeSettings settings;
  settings.detection = detector_options(options);
  settings.style = redact_style(options);
  if (options.contains("tracking")) settings.tracking = options["tracking"].cast<bool>();
  if (options.contains("sweep")) settings.sweep_frames = options["sweep"].cast<int>();
  if (options.contains("codec")) settings.codec = options["codec"].cast<std::string>();
  if (options.contains("crf") && !options["crf"].is_none()) settings.crf = options["crf"].cast<int>();
  if (options.contains("preset")) settings.preset = options["preset"].cast<std::string>();
  if (options.contains("strip_metadata")) settings.strip_metadata = options["strip_metadata"].cast<bool>();
  if (options.contains("detections") && !options["detections"].is_none()) settings.detections = py::str(options["detections"]);
  if (options.contains("manifest") && !options["manifest"].is_none()) settings.manifest = py::str(options["manifest"]);
  if (options.contains("s3_path_style")) settings.s3_path_style = options["s3_path_style"].cast<bool>();

  std::atomic<bool> cancel{false};
  std::mutex mutex;
  std::optional<veil::AnonymizeProgress> latest;
  auto job = std::async(std::launch::async, [&] {
    return veil::anonymize(input, output, settings,
                           [&](const veil::AnonymizeProgress& p) {
                             std::lock_guard<std::mutex> lock(mutex);
                             latest = p;
                           },
                           &cancel);
  });
  for (;;) {
    bool finished;
    {
      py::gil_scoped_release release;
      finished = job.wait_for(std::chrono::milliseconds(100)) == std::future_status::ready;
    }
    std::optional<veil::AnonymizeProgress> now;
    {
      std::lock_guard<std::mutex> lock(mutex);
      now.swap(latest);
    }
    if (now && progress) {
      py::dict p;
      p["file"] = now->file;
      p["frame"] = now->frame;
      p["frames"] = now->frames ? py::cast(*now->frames) : py::none();
      p["files_done"] = now->files_done;
      try {
        progress(p);
      } catch (...) {
        cancel = true;  // the callback raised: stop, and raise its error
        py::gil_scoped_release release;
        job.wait();
        throw;
      }
    }
    if (finished) break;
    if (PyErr_CheckSignals() != 0) {
      cancel = true;
      {
        py::gil_scoped_release release;
        job.wait();  // its output is discarded as it unwinds
      }
      throw py::error_already_set();
    }
  }
  return summary_dict(job.get());
}

}  // namespace

PYBIND11_MODULE(_veil, m) {
  m.doc() = "Veil's library: find and hide faces and licence plates (see the veil package).";
  py::register_exception<veil::Error>(m, "Error", PyExc_RuntimeError);
  m.attr("__version__") = veil::version();
  py::class_<PyDetector>(m, "Detector")
      .def(py::init<const py::dict&>(), py::arg("options"))
      .def("detect", &PyDetector::detect, py::arg("image"));
  m.def("redact", &redact, py::arg("image"), py::arg("detections"), py::arg("style"));
  m.def("anonymize", &anonymize, py::arg("input"), py::arg("output"), py::arg("options"), py::arg("progress"));
  m.def("read_image", [](const std::string& path) {
    veil::Picture p;
    {
      py::gil_scoped_release release;
      p = veil::read_picture(path);
    }
    py::array_t<std::uint8_t> out({py::ssize_t(p.height), py::ssize_t(p.width), py::ssize_t(3)});
    std::memcpy(out.mutable_data(), p.pixels.data(), p.pixels.size());
    return out;
  });
}
