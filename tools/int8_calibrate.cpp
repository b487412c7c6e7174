// Measures the activation ranges a model needs to run in int8, over images
// (dev data), and writes them as the table Veil compiles in
// (models/int8/<model>.json, keyed by the model file's sha256):
//
//   build/veil_int8_calibrate --model yolov8-plate \
//       --images ../shared/data/plates-dev --out models/int8/yolov8-plate.json
//
// Each image goes through the detector's own passes for a photo of its size
// (the same tensors, scales and tiles as `veil anonymize`), in float, and
// every activation the int8 rewrite quantises keeps its lowest and highest
// value (min-max calibration).
#include "detect/int8_ranges.hpp"
#include "pipeline/detector_families.hpp"
#include "veil/core/error.hpp"
#include "veil/models/model_manifest.hpp"
#include "veil/models/model_store.hpp"

#include <CLI/CLI.hpp>
#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  CLI::App app{"Measure a model's activation ranges for int8 (writes a models/int8 table)"};
  std::string model, out;
  std::vector<std::string> image_dirs;
  int threads = int(std::max(1u, std::thread::hardware_concurrency()));
  bool by_default = false;
  app.add_option("--model", model, "manifest name of the model")->required();
  app.add_option("--images", image_dirs, "folders of JPEG/PNG images (searched recursively)")->required();
  app.add_option("--out", out, "the table to write")->required();
  app.add_option("--threads", threads, "images measured at once")->check(CLI::Range(1, 256));
  app.add_flag("--by-default", by_default,
               "mark the table for use by default (--precision auto): only once int8 was measured to keep recall");
  CLI11_PARSE(app, argc, argv);
  try {
    const veil::ModelEntry& entry = veil::ModelManifest::builtin().find(model);
    auto family = veil::families().find(entry.family);
    if (family == veil::families().end()) throw veil::Error("model '" + model + "' is of no family Veil can run");
    const fs::path file = veil::ModelStore().resolve(entry).path;  // checksum verified

    std::vector<fs::path> images;
    for (const std::string& dir : image_dirs) {
      for (const auto& f : fs::recursive_directory_iterator(dir)) {
        std::string ext = f.path().extension().string();
        std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
        if (ext == ".jpg" || ext == ".jpeg" || ext == ".png") images.push_back(f.path());
      }
    }
    std::sort(images.begin(), images.end());
    if (images.empty()) throw veil::Error("no JPEG or PNG images under the folders given");

    veil::RangeRecorder recorder;
    veil::ModelPrecision precision;
    precision.record = &recorder;
    veil::DetectorPtr detector = family->second.make(file, veil::DetectionOptions{}, precision);
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&] {
        for (size_t i = next++; i < images.size() && !failed; i = next++) {
          const cv::Mat image = cv::imread(images[i].string(), cv::IMREAD_COLOR);
          if (image.empty()) {
            std::cerr << "cannot read " << images[i] << "\n";
            failed = true;
            return;
          }
          detector->detect(image);
        }
      });
    }
    for (std::thread& w : workers) w.join();
    if (failed) return 1;

    veil::ActivationRanges table;
    table.model = entry.name;
    table.sha256 = entry.sha256;
    table.source = std::to_string(images.size()) + " images under";
    for (const std::string& dir : image_dirs) table.source += " " + fs::path(dir).filename().string();
    table.ranges = recorder.ranges();
    table.by_default = by_default;
    std::ofstream o(out);
    o << table.to_json().dump(1) << "\n";
    if (!o.flush()) throw veil::Error("cannot write " + out);
    std::cout << "measured " << table.ranges.size() << " activations of " << model << " over " << images.size()
              << " images: " << out << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
