// veil::ObjectDetector: the pipeline's FrameAnalyzer behind plain types.
#include "facade/found_objects.hpp"
#include "facade/image_view.hpp"
#include "sidecar/sidecar_writer.hpp"
#include "veil/models/model_store.hpp"
#include "veil/pipeline/frame_analyzer.hpp"
#include "veil/veil.hpp"

#include <algorithm>

namespace veil {

struct ObjectDetector::Impl {
  ModelStore store;
  FrameAnalyzer analyzer;
  Impl(const DetectionOptions& detection, ModelStoreOptions store_options)
      : store(std::move(store_options)), analyzer(detection, store) {}
};

ObjectDetector::ObjectDetector(const DetectorOptions& options) {
  ModelStoreOptions store;
  if (!options.model_dir.empty()) store.mirror_dir = options.model_dir;
  store.allow_download = !options.offline;
  impl_ = std::make_unique<Impl>(facade::detection_options(options), std::move(store));
}

ObjectDetector::~ObjectDetector() = default;

std::vector<FoundObject> ObjectDetector::detect(const ImageView& image) const {
  Detections found = impl_->analyzer.analyze(facade::to_bgr(image));
  // Faces and plates only: the people and vehicles that judged weak
  // candidates are not part of the answer.
  found.erase(std::remove_if(found.begin(), found.end(), [](const Detection& d) { return is_context(d.cls); }),
              found.end());
  // As the sidecar lists them, so that a caller sees what `veil anonymize`
  // reports for the same photo.
  round_to_sidecar_precision(found);
  return facade::to_found_objects(found);
}

}  // namespace veil
