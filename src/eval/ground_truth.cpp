#include "veil/eval/ground_truth.hpp"

#include "veil/core/error.hpp"
#include "veil/sidecar/sidecar.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <fstream>
#include <sstream>

namespace veil {
namespace fs = std::filesystem;

std::optional<AnnotationFormat> parse_annotation_format(const std::string& name) {
  if (name == "voc") return AnnotationFormat::kVoc;
  if (name == "openalpr") return AnnotationFormat::kOpenAlpr;
  if (name == "wider") return AnnotationFormat::kWider;
  if (name == "coco") return AnnotationFormat::kCoco;
  if (name == "veil") return AnnotationFormat::kVeil;
  return std::nullopt;
}

namespace {

ObjectClass class_from_label(std::string label) {
  std::transform(label.begin(), label.end(), label.begin(), ::tolower);
  return label.find("plate") != std::string::npos ? ObjectClass::kPlate : ObjectClass::kFace;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  if (!in) throw Error("cannot read annotations " + p.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<fs::path> files_with_extension(const fs::path& dir, const std::string& ext) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error(dir.string() + ": expected a folder of " + ext + " annotation files");
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ext) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The text between <tag> and </tag> at or after `from` within [from, limit).
std::optional<std::string> tag_text(const std::string& text, const std::string& tag, size_t from, size_t limit) {
  size_t a = text.find("<" + tag + ">", from);
  if (a == std::string::npos || a >= limit) return std::nullopt;
  a += tag.size() + 2;
  size_t b = text.find("</" + tag + ">", a);
  if (b == std::string::npos || b > limit) return std::nullopt;
  return text.substr(a, b - a);
}

void load_voc(const fs::path& dir, GroundTruth& gt) {
  for (const auto& xml : files_with_extension(dir, ".xml")) {
    std::string text = read_text(xml);
    auto& boxes = gt.images[xml.stem().string()];
    for (size_t at = text.find("<object>"); at != std::string::npos; at = text.find("<object>", at + 1)) {
      size_t end = text.find("</object>", at);
      if (end == std::string::npos) throw Error(xml.string() + ": unterminated <object>");
      auto name = tag_text(text, "name", at, end);
      auto x0 = tag_text(text, "xmin", at, end), y0 = tag_text(text, "ymin", at, end);
      auto x1 = tag_text(text, "xmax", at, end), y1 = tag_text(text, "ymax", at, end);
      if (!x0 || !y0 || !x1 || !y1) throw Error(xml.string() + ": an <object> without a complete <bndbox>");
      float a = std::stof(*x0), b = std::stof(*y0);
      boxes.push_back({class_from_label(name.value_or("")), cv::Rect2f(a, b, std::stof(*x1) - a, std::stof(*y1) - b)});
    }
  }
}

void load_openalpr(const fs::path& dir, GroundTruth& gt) {
  for (const auto& txt : files_with_extension(dir, ".txt")) {
    std::ifstream in(txt);
    for (std::string line; std::getline(in, line);) {
      std::vector<std::string> f;
      std::stringstream ss(line);
      for (std::string v; std::getline(ss, v, '\t');) f.push_back(v);
      if (f.size() < 5) continue;
      std::string stem = fs::path(f[0]).stem().string();
      gt.images[stem].push_back(
          {ObjectClass::kPlate, cv::Rect2f(std::stof(f[1]), std::stof(f[2]), std::stof(f[3]), std::stof(f[4]))});
    }
  }
}

void load_wider(const fs::path& file, GroundTruth& gt) {
  std::ifstream in(file);
  if (!in) throw Error("cannot read annotations " + file.string());
  std::string name;
  while (std::getline(in, name)) {
    if (name.empty()) continue;
    std::string count_line;
    if (!std::getline(in, count_line)) throw Error(file.string() + ": truncated after " + name);
    int count = std::stoi(count_line);
    auto& boxes = gt.images[fs::path(name).stem().string()];
    // An image with no faces still has one all-zero line.
    for (int i = 0; i < std::max(count, 1); ++i) {
      std::string line;
      if (!std::getline(in, line)) throw Error(file.string() + ": truncated in " + name);
      std::stringstream ss(line);
      float x, y, w, h;
      int blur, expr, illum, invalid = 0;
      ss >> x >> y >> w >> h >> blur >> expr >> illum >> invalid;
      if (count > 0 && invalid == 0 && w > 0 && h > 0) boxes.push_back({ObjectClass::kFace, cv::Rect2f(x, y, w, h)});
    }
  }
}

// COCO ids are integers. A float id converted to an integer is undefined
// behaviour when out of range (fuzzing found 3.7e73), so others are refused.
std::int64_t coco_id(const nlohmann::json& v, const char* what) {
  if (!v.is_number_integer()) throw Error(std::string(what) + " must be an integer");
  return v.get<std::int64_t>();
}

// [x, y, width, height], each a number a float holds: checked before any is
// read, as an unchecked index past a short box reads past its end.
cv::Rect2f coco_box(const nlohmann::json& b) {
  if (!b.is_array() || b.size() != 4) throw Error("bbox must be [x, y, width, height]");
  float v[4];
  for (size_t i = 0; i < 4; ++i) {
    if (!b[i].is_number()) throw Error("bbox must be [x, y, width, height]");
    const double d = b[i].get<double>();
    if (!std::isfinite(d) || std::abs(d) > std::numeric_limits<float>::max()) {
      throw Error("a bbox number is out of range");
    }
    v[i] = float(d);
  }
  return {v[0], v[1], v[2], v[3]};
}

void load_coco(const fs::path& file, GroundTruth& gt) {
  try {
    auto doc = nlohmann::json::parse(read_text(file));
    std::map<std::int64_t, std::string> image_stem;
    std::map<std::int64_t, ObjectClass> category;
    for (const auto& c : doc.at("categories")) category[coco_id(c.at("id"), "a category id")] = class_from_label(c.at("name"));
    for (const auto& im : doc.at("images")) {
      std::string stem = fs::path(im.at("file_name").get<std::string>()).stem().string();
      image_stem[coco_id(im.at("id"), "an image id")] = stem;
      gt.images[stem];
    }
    for (const auto& a : doc.at("annotations")) {
      const cv::Rect2f box = coco_box(a.at("bbox"));
      const std::int64_t category_id = coco_id(a.at("category_id"), "a category_id");
      ObjectClass cls = category.count(category_id) ? category[category_id] : ObjectClass::kFace;
      gt.images[image_stem.at(coco_id(a.at("image_id"), "an image_id"))].push_back({cls, box});
    }
  } catch (const Error& ex) {
    throw Error(file.string() + ": not valid COCO: " + ex.what());
  } catch (const nlohmann::json::exception& ex) {
    throw Error(file.string() + ": not valid COCO JSON: " + ex.what());
  } catch (const std::out_of_range&) {
    throw Error(file.string() + ": an annotation refers to an unknown image id");
  }
}

// Veil's own sidecar, read by the sidecar stage's reader (which checks every
// field: fuzzing found the hand-written reader here reading past a short box).
// Every object is a label, manual keyframes included; frames of a video by
// index, images by file stem.
void load_veil(const fs::path& file, GroundTruth& gt) {
  std::ifstream in(file);
  if (!in) throw Error("cannot read annotations " + file.string());
  const Sidecar sidecar = Sidecar::parse(in, file.string());
  for (const auto& [name, media] : sidecar.media()) {
    for (const auto& [index, frame] : media.frames()) {
      std::vector<GroundTruthBox> boxes;
      for (const SidecarObject& o : frame.objects) boxes.push_back({o.detection.cls, o.detection.box, o.detection.track_id});
      if (frame.pts) {
        gt.frames[index] = std::move(boxes);
      } else {
        gt.images[fs::path(name).stem().string()] = std::move(boxes);
      }
    }
  }
}

}  // namespace

GroundTruth load_ground_truth(const fs::path& path, AnnotationFormat format, std::optional<ObjectClass> forced_class) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error(path.string() + ": no such annotations file or folder");
  GroundTruth gt;
  try {
    switch (format) {
      case AnnotationFormat::kVoc: load_voc(path, gt); break;
      case AnnotationFormat::kOpenAlpr: load_openalpr(path, gt); break;
      case AnnotationFormat::kWider: load_wider(path, gt); break;
      case AnnotationFormat::kCoco: load_coco(path, gt); break;
      case AnnotationFormat::kVeil: load_veil(path, gt); break;
    }
  } catch (const std::invalid_argument&) {
    throw Error(path.string() + ": a number in the annotations could not be read");
  } catch (const std::out_of_range&) {
    // Found by fuzzing: std::stof of "1e50" throws this, which ended the process.
    throw Error(path.string() + ": a number in the annotations is out of range");
  }
  if (forced_class) {
    for (auto& [k, v] : gt.images)
      for (auto& b : v) b.cls = *forced_class;
    for (auto& [k, v] : gt.frames)
      for (auto& b : v) b.cls = *forced_class;
  }
  if (gt.images.empty() && gt.frames.empty()) throw Error(path.string() + ": no annotations found");
  return gt;
}

}  // namespace veil
