#include "veil/sidecar/sidecar.hpp"

#include "io/whole_files.hpp"
#include "veil/core/error.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace veil {
namespace {

using nlohmann::json;

// A schema violation in one field of one line; Sidecar::parse adds the
// file name and line number.
struct FieldError {
  std::string field;
  std::string problem;
};

[[noreturn]] void field_error(const std::string& field, const std::string& problem) {
  throw FieldError{field, problem};
}

double number(const json& j, const std::string& field) {
  if (!j.is_number()) field_error(field, "expected a number, got " + j.dump());
  const double v = j.get<double>();
  if (!std::isfinite(v)) field_error(field, "not a finite number");
  return v;
}

bool flag(const json& line, const char* key, const std::string& field) {
  if (!line.contains(key)) return false;
  if (!line[key].is_boolean()) field_error(field, std::string("expected true or false, got ") + line[key].dump());
  return line[key].get<bool>();
}

int track_id(const json& j, const std::string& field) {
  if (!j.is_number_integer() || j.get<std::int64_t>() < 0 || j.get<std::int64_t>() > INT32_MAX) {
    field_error(field, "expected a track id (an integer >= 0), got " + j.dump());
  }
  return j.get<int>();
}

cv::Rect2f box(const json& j, const std::string& field) {
  if (!j.is_array() || j.size() != 4) field_error(field, "expected [x, y, width, height], got " + j.dump());
  const double x = number(j[0], field + "[0]"), y = number(j[1], field + "[1]");
  const double w = number(j[2], field + "[2]"), h = number(j[3], field + "[3]");
  if (w <= 0 || h <= 0) field_error(field, "width and height must be above 0, got " + j.dump());
  return cv::Rect2f(float(x), float(y), float(w), float(h));
}

std::vector<cv::Point2f> corners(const json& c, const std::string& field) {
  if (!c.is_array() || c.size() != 4) field_error(field, "expected four [x, y] points, got " + c.dump());
  std::vector<cv::Point2f> out;
  for (std::size_t i = 0; i < 4; ++i) {
    const std::string f = field + "[" + std::to_string(i) + "]";
    if (!c[i].is_array() || c[i].size() != 2) field_error(f, "expected [x, y], got " + c[i].dump());
    out.emplace_back(float(number(c[i][0], f + "[0]")), float(number(c[i][1], f + "[1]")));
  }
  return out;
}

float score(const json& j, const std::string& field) {
  const double s = number(j, field);
  if (s < 0 || s > 1) field_error(field, "expected a number from 0 to 1, got " + j.dump());
  return float(s);
}

std::string text(const json& j, const std::string& field) {
  if (!j.is_string()) field_error(field, "expected a string, got " + j.dump());
  return j.get<std::string>();
}

// One model's sighting of a fused object: {"model", "score", "box", "corners"?}.
Sighting sighting(const json& j, const std::string& field) {
  if (!j.is_object()) field_error(field, "expected an object, got " + j.dump());
  Sighting s;
  if (!j.contains("model")) field_error(field + ".model", "missing");
  s.model = text(j["model"], field + ".model");
  if (!j.contains("box")) field_error(field + ".box", "missing");
  s.box = box(j["box"], field + ".box");
  if (j.contains("score")) s.score = score(j["score"], field + ".score");
  if (j.contains("corners")) s.corners = corners(j["corners"], field + ".corners");
  return s;
}

// A provenance header line: {"veil", "file", "written", "models", "options",
// "input": {"bytes", "frames", ...}}. Only what render compares is read;
// the rest is kept as written.
SidecarHeader header(const json& line) {
  for (const char* key : {"detections", "track"}) {
    if (line.contains(key)) field_error(key, "not on a header line (one with \"veil\")");
  }
  SidecarHeader h;
  h.veil = text(line["veil"], "veil");
  if (!line.contains("written")) field_error("written", "missing (when the sidecar was written)");
  text(line["written"], "written");
  if (!line.contains("models") || !line["models"].is_array()) field_error("models", "expected the list of models used");
  if (!line.contains("options") || !line["options"].is_object()) field_error("options", "expected the options used");
  if (!line.contains("input")) field_error("input", "missing (the input the header describes)");
  const json& in = line["input"];
  if (!in.is_object()) field_error("input", "expected an object, got " + in.dump().substr(0, 60));
  auto count = [&](const char* key) -> std::optional<std::int64_t> {
    if (!in.contains(key) || in[key].is_null()) return std::nullopt;
    if (!in[key].is_number_integer() || in[key].get<std::int64_t>() < 0) {
      field_error(std::string("input.") + key, "expected an integer >= 0 or null, got " + in[key].dump());
    }
    return in[key].get<std::int64_t>();
  };
  h.bytes = count("bytes");
  h.frames = count("frames");
  h.line = line;
  return h;
}

SidecarObject object(const json& j, const std::string& field) {
  if (!j.is_object()) field_error(field, "expected an object, got " + j.dump());
  SidecarObject o;
  Detection& d = o.detection;
  if (!j.contains("class")) field_error(field + ".class", "missing");
  if (!j["class"].is_string()) field_error(field + ".class", "expected \"face\" or \"plate\", got " + j["class"].dump());
  const auto cls = parse_object_class(j["class"].get<std::string>());
  if (!cls) field_error(field + ".class", "expected \"face\" or \"plate\", got " + j["class"].dump());
  d.cls = *cls;
  if (!j.contains("box")) field_error(field + ".box", "missing");
  d.box = box(j["box"], field + ".box");
  if (j.contains("score")) d.score = score(j["score"], field + ".score");
  if (j.contains("track")) d.track_id = track_id(j["track"], field + ".track");
  if (j.contains("model")) d.model = text(j["model"], field + ".model");
  d.predicted = flag(j, "predicted", field + ".predicted");
  o.excluded = flag(j, "excluded", field + ".excluded");
  if (j.contains("corners")) d.corners = corners(j["corners"], field + ".corners");
  if (j.contains("found_by")) {
    const json& members = j["found_by"];
    if (!members.is_array() || members.size() < 2) {
      field_error(field + ".found_by", "expected a list of two or more models' sightings, got " + members.dump().substr(0, 60));
    }
    for (std::size_t i = 0; i < members.size(); ++i) d.found_by.push_back(sighting(members[i], field + ".found_by[" + std::to_string(i) + "]"));
  }
  if (j.contains("source")) {
    const json& s = j["source"];
    if (s != "manual" && s != "detector") field_error(field + ".source", "expected \"manual\" or \"detector\", got " + s.dump());
    o.manual = s == "manual";
  }
  if (o.manual && d.track_id < 0) field_error(field + ".track", "a manual object needs a track id (its keyframes share it)");
  return o;
}

// One "context" entry: a person or vehicle the context model saw.
Detection context_object(const json& j, const std::string& field) {
  if (!j.is_object()) field_error(field, "expected an object, got " + j.dump());
  if (!j.contains("class")) field_error(field + ".class", "missing");
  const std::optional<ObjectClass> cls =
      j["class"].is_string() ? parse_context_class(j["class"].get<std::string>()) : std::nullopt;
  if (!cls) field_error(field + ".class", "expected \"person\" or \"vehicle\", got " + j["class"].dump());
  Detection d;
  d.cls = *cls;
  if (!j.contains("box")) field_error(field + ".box", "missing");
  d.box = box(j["box"], field + ".box");
  if (j.contains("score")) d.score = score(j["score"], field + ".score");
  return d;
}

std::string file_of(const json& line) {
  if (!line.contains("file")) field_error("file", "missing");
  if (!line["file"].is_string() || line["file"].get<std::string>().empty()) {
    field_error("file", "expected the input's file name, got " + line["file"].dump());
  }
  return line["file"].get<std::string>();
}

}  // namespace

Sidecar Sidecar::parse(std::istream& in, const std::string& name) {
  Sidecar sidecar;
  int line_no = 0;
  for (std::string text; std::getline(in, text);) {
    ++line_no;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto where = [&] { return name + ":" + std::to_string(line_no) + ": "; };
    json line;
    try {
      line = json::parse(text);
    } catch (const json::parse_error& ex) {
      throw Error(where() + "not valid JSON (at byte " + std::to_string(ex.byte) + ")");
    } catch (const json::exception&) {
      // Found by fuzzing: a number too large for a double is out_of_range.
      throw Error(where() + "not valid JSON (a number out of range)");
    }
    try {
      if (!line.is_object()) field_error("", "expected a JSON object, got " + line.dump().substr(0, 60));
      SidecarMedia& media = sidecar.media_[file_of(line)];
      media.file_ = line["file"].get<std::string>();
      if (line.contains("veil")) {
        if (media.header_) field_error("veil", "a second header line for " + media.file_ + " (the first is on line " +
                                                   std::to_string(media.header_line_) + ")");
        media.header_ = header(line);
        media.header_line_ = line_no;
        continue;
      }
      if (!line.contains("detections")) {
        // A track line: an edit that applies to a whole track.
        if (!line.contains("track")) field_error("detections", "missing (a line is a frame, with detections, or a track, with track)");
        const int track = track_id(line["track"], "track");
        if (flag(line, "excluded", "excluded")) media.excluded_tracks_.insert(track);
        continue;
      }
      SidecarFrame frame;
      frame.line = line_no;
      const json& index = line.contains("index") ? line["index"] : json();
      if (!index.is_number_integer() || index.get<std::int64_t>() < 0) {
        field_error("index", "expected a frame number (an integer >= 0), got " + index.dump());
      }
      frame.index = index.get<std::int64_t>();
      if (line.contains("pts") && !line["pts"].is_null()) frame.pts = number(line["pts"], "pts");
      const json& dets = line["detections"];
      if (!dets.is_array()) field_error("detections", "expected a list of objects, got " + dets.dump().substr(0, 60));
      for (std::size_t i = 0; i < dets.size(); ++i) {
        const std::string field = "detections[" + std::to_string(i) + "]";
        SidecarObject o = object(dets[i], field);
        if (o.manual) {
          auto [it, fresh] = media.manual_tracks_.try_emplace(o.detection.track_id);
          if (fresh) it->second.cls = o.detection.cls;
          if (it->second.cls != o.detection.cls) {
            field_error(field + ".class", "manual track " + std::to_string(o.detection.track_id) +
                                              " has keyframes of two classes");
          }
          if (!o.excluded && !it->second.keyframes.emplace(frame.index, o.detection.box).second) {
            field_error(field + ".track", "manual track " + std::to_string(o.detection.track_id) +
                                              " has two keyframes in this frame");
          }
        }
        frame.objects.push_back(std::move(o));
      }
      if (line.contains("context")) {
        const json& seen = line["context"];
        if (!seen.is_array()) field_error("context", "expected a list of people and vehicles, got " + seen.dump().substr(0, 60));
        for (std::size_t i = 0; i < seen.size(); ++i) {
          frame.context.push_back(context_object(seen[i], "context[" + std::to_string(i) + "]"));
        }
      }
      const auto [it, fresh] = media.frames_.emplace(frame.index, std::move(frame));
      if (!fresh) field_error("index", "frame " + std::to_string(index.get<std::int64_t>()) + " of " + media.file_ +
                                           " is already on line " + std::to_string(it->second.line));
    } catch (const FieldError& e) {
      throw Error(where() + (e.field.empty() ? "" : e.field + ": ") + e.problem);
    }
  }
  if (sidecar.media_.empty()) throw Error(name + ": empty: no frames listed");
  return sidecar;
}

Sidecar Sidecar::load(const std::string& location, const StorageOptions& storage) {
  if (!is_object_url(location)) {
    std::ifstream in(location);
    if (!in) throw Error(location + ": cannot read the detections file");
    return parse(in, location);
  }
  const std::optional<std::string> text = read_whole_file(location, storage);
  if (!text) throw Error(location + ": no such object");
  std::istringstream in(*text);
  return parse(in, location);
}

const SidecarMedia* Sidecar::find(const std::string& file) const {
  auto it = media_.find(file);
  return it == media_.end() ? nullptr : &it->second;
}

const SidecarMedia& Sidecar::media_for(const std::string& name, const std::string& path,
                                      const std::string& sidecar_name) const {
  if (const SidecarMedia* m = find(name)) return *m;
  const SidecarMedia* found = nullptr;
  if (name == std::filesystem::path(path).filename().string()) {
    const std::string p = std::filesystem::path(path).generic_string();
    for (const auto& [file, media] : media_) {
      const bool tail = p == file || (p.size() > file.size() && p.compare(p.size() - file.size(), file.size(), file) == 0 &&
                                      p[p.size() - file.size() - 1] == '/');
      if (!tail) continue;
      if (found) {  // ambiguous
        found = nullptr;
        break;
      }
      found = &media;
    }
  }
  if (found) return *found;
  std::string msg = sidecar_name + " has no frames of " + name;
  if (media_.size() == 1) msg += " (it describes " + media_.begin()->first + ")";
  throw Error(msg);
}

Detections SidecarMedia::to_hide(std::int64_t index) const {
  Detections out;
  if (auto it = frames_.find(index); it != frames_.end()) {
    for (const SidecarObject& o : it->second.objects) {
      // Manual keyframes come in below, with the rest of their track.
      if (o.manual || o.excluded) continue;
      if (o.detection.track_id >= 0 && track_excluded(o.detection.track_id)) continue;
      out.push_back(o.detection);
    }
  }
  for (const auto& [id, track] : manual_tracks_) {
    if (track_excluded(id) || track.keyframes.empty()) continue;
    auto after = track.keyframes.lower_bound(index);
    if (after == track.keyframes.end()) continue;  // past the last keyframe
    cv::Rect2f box = after->second;
    if (after->first != index) {
      if (after == track.keyframes.begin()) continue;  // before the first keyframe
      auto before = std::prev(after);
      const float t = float(index - before->first) / float(after->first - before->first);
      const cv::Rect2f& a = before->second;
      const cv::Rect2f& b = after->second;
      box = cv::Rect2f(a.x + t * (b.x - a.x), a.y + t * (b.y - a.y), a.width + t * (b.width - a.width),
                       a.height + t * (b.height - a.height));
    }
    Detection d;
    d.cls = track.cls;
    d.score = 1.f;
    d.box = box;
    d.model = "manual";
    d.track_id = id;
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace veil
