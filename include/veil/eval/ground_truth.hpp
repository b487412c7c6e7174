#pragma once
// Annotated boxes to measure Veil against, read from the common formats.
#include "veil/core/detection.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace veil {

enum class AnnotationFormat { kVoc, kOpenAlpr, kWider, kCoco, kVeil };
std::optional<AnnotationFormat> parse_annotation_format(const std::string& name);

struct GroundTruthBox {
  ObjectClass cls = ObjectClass::kFace;
  cv::Rect2f box;     // x, y, w, h in pixels
  int object_id = -1; // the same object across video frames (veil format "track")
};

// Boxes per image (keyed by file stem) or per video frame (keyed by index).
struct GroundTruth {
  std::map<std::string, std::vector<GroundTruthBox>> images;
  std::map<std::int64_t, std::vector<GroundTruthBox>> frames;  // veil format
};

// Reads annotations from a file or folder:
//  voc      folder of Pascal VOC .xml (object names containing "plate" are plates, others faces)
//  openalpr folder of .txt lines "file<TAB>x<TAB>y<TAB>w<TAB>h<TAB>text" (plates)
//  wider    WIDER FACE bbx_gt.txt (faces; boxes marked invalid are skipped)
//  coco     COCO JSON (category names containing "plate" are plates, others faces)
//  veil     Veil's own JSON Lines sidecar (per frame for a video, per file for images)
// `forced_class` overrides the class of every box. Throws veil::Error.
GroundTruth load_ground_truth(const std::filesystem::path& path, AnnotationFormat format,
                              std::optional<ObjectClass> forced_class = std::nullopt);

}  // namespace veil
