#pragma once
// The detections sidecar: what Veil found in each frame, and a reviewer's
// corrections to it. `veil anonymize --detections` writes it, `veil review`
// (or any editor) corrects it, `veil render` hides exactly what it says.
// JSON Lines; the schema is docs/sidecar.schema.json. Two kinds of line:
//
//   header: {"veil": "0.1.0", "file": "clip.mp4", "models": [...], ...} (see SidecarHeader)
//   frame: {"file": "clip.mp4", "index": 12, "pts": 0.48, "detections": [object, ...]}
//   track: {"file": "clip.mp4", "track": 3, "excluded": true}
//
// An object: {"class": "face"|"plate", "score", "box": [x, y, w, h],
// "corners"?, "track"?, "model"?, "found_by"?, "predicted"?, "excluded"?,
// "source"?}.
//   - "found_by": [{"model", "score", "box", "corners"?}, ...]: each
//     model's sighting of an object several models found; the union of
//     their masks is hidden.
//   - "excluded": true on an object, or on a track line for its whole track:
//     not hidden.
//   - "source": "manual" marks a keyframe a person placed; it needs a
//     "track". A manual track is hidden on every frame from its first
//     keyframe to its last, its box interpolated linearly between keyframes.
// Unknown fields are kept by editors and ignored by Veil.
#include "veil/core/detection.hpp"
#include "veil/storage/object_store.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <istream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace veil {

struct SidecarObject {
  Detection detection;
  bool excluded = false;  // this object only
  bool manual = false;    // "source": "manual": a keyframe of its track
};

struct SidecarFrame {
  std::int64_t index = 0;
  std::optional<double> pts;  // seconds; none for still images
  std::vector<SidecarObject> objects;
  Detections context;  // people and vehicles seen ("context"), never hidden
  int line = 0;  // 1-based line number in the file, for messages
};

// A provenance header line, which anonymize writes before each input's
// frame lines: {"veil": version, "file", "written", "models": [{"name",
// "file", "sha256", "licence"}], "options": {...}, "input": {"name",
// "bytes", "width", "height", "frames", "duration"}}. Sidecars written
// before Veil had headers have none.
struct SidecarHeader {
  std::string veil;                    // the version that wrote it
  std::optional<std::int64_t> bytes;   // the input's size, as anonymize read it
  std::optional<std::int64_t> frames;  // its frame count, as the container said
  nlohmann::json line;                 // the whole line, as written
};

// Everything a sidecar says about one input file.
class SidecarMedia {
 public:
  const std::string& file() const { return file_; }
  // By frame index.
  const std::map<std::int64_t, SidecarFrame>& frames() const { return frames_; }
  bool track_excluded(int track) const { return excluded_tracks_.count(track) > 0; }
  // The provenance header, when the sidecar has one for this file.
  const std::optional<SidecarHeader>& header() const { return header_; }

  // What `veil render` hides in frame `index`: every object not excluded
  // (by itself or by its track) and every manual track's box at this frame,
  // interpolated between its keyframes. Manual boxes have score 1 and
  // model "manual".
  Detections to_hide(std::int64_t index) const;

 private:
  friend class Sidecar;
  struct ManualTrack {
    ObjectClass cls = ObjectClass::kFace;
    std::map<std::int64_t, cv::Rect2f> keyframes;
  };
  std::string file_;
  std::optional<SidecarHeader> header_;
  int header_line_ = 0;
  std::map<std::int64_t, SidecarFrame> frames_;
  std::set<int> excluded_tracks_;
  std::map<int, ManualTrack> manual_tracks_;
};

class Sidecar {
 public:
  // Parses sidecar text. Throws veil::Error naming `name`, the line and the
  // field when a line is not valid JSON or breaks the schema (a box that is
  // not four numbers, an unknown class, a manual object without a track, a
  // frame listed twice ...).
  static Sidecar parse(std::istream& in, const std::string& name);
  // Reads a local path or an object URL, then parse(). Throws veil::Error.
  static Sidecar load(const std::string& location, const StorageOptions& storage = {});

  // The entry for `file` (as the sidecar's "file" field spells it), or null.
  const SidecarMedia* find(const std::string& file) const;
  // The entry for the input at `path`, which a run named `name` (its path
  // relative to a folder run's input, or its file name). When `name` is the
  // file name and no entry has it, the one entry whose "file" (a folder
  // run's relative path) is a trailing part of `path`. Throws veil::Error
  // naming `sidecar_name` (and what it describes) when there is none.
  const SidecarMedia& media_for(const std::string& name, const std::string& path,
                                const std::string& sidecar_name) const;
  const std::map<std::string, SidecarMedia>& media() const { return media_; }

 private:
  std::map<std::string, SidecarMedia> media_;
};

}  // namespace veil
