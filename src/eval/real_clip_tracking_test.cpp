// Tracking on the real clips: with no hand labels for them, a more
// sensitive run of the detector (half the default threshold or less, every frame on its own)
// serves as the reference, its boxes linked into objects by overlap. The
// default pipeline with tracking must hide at least as many of those
// (frame, object) pairs as the same detector without tracking, and must not
// flicker more.
#include "test_paths.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

namespace veil {
namespace fs = std::filesystem;
namespace {

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

std::string veil_cmd() { return "VEIL_MODEL_DIR=" + q(test::model_dir()) + " " + q(test::cli_path()) + " "; }

float iou(const nlohmann::json& a, const nlohmann::json& b) {
  float ax = a[0], ay = a[1], aw = a[2], ah = a[3], bx = b[0], by = b[1], bw = b[2], bh = b[3];
  float iw = std::max(0.f, std::min(ax + aw, bx + bw) - std::max(ax, bx));
  float ih = std::max(0.f, std::min(ay + ah, by + bh) - std::max(ay, by));
  float inter = iw * ih;
  return inter / (aw * ah + bw * bh - inter);
}

// Gives every box an object id: the id of the best-overlapping box in the
// previous frame, else a new one. Drops boxes under 10 px tall.
void link_into_objects(const fs::path& raw, const fs::path& labelled) {
  std::ifstream in(raw);
  std::ofstream out(labelled);
  nlohmann::json previous = nlohmann::json::array();
  int next_id = 0;
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    if (!j.contains("detections")) continue;  // the provenance header
    nlohmann::json kept = nlohmann::json::array();
    for (auto d : j["detections"]) {
      if (d["box"][3].get<float>() < 10) continue;
      int id = -1;
      float best = 0.3f;
      for (const auto& p : previous) {
        float v = iou(d["box"], p["box"]);
        if (v > best) best = v, id = p["track"];
      }
      d["track"] = id >= 0 ? id : next_id++;
      kept.push_back(d);
    }
    j["detections"] = kept;
    previous = kept;
    out << j.dump() << "\n";
  }
}

nlohmann::json eval_json(const fs::path& clip, const fs::path& labels, const std::string& extra) {
  std::string out;
  int rc = test::run_command(veil_cmd() + "eval " + q(clip) + " --annotations " + q(labels) +
                                 " --format veil --targets face --json -q " + extra + " 2>/dev/null",
                             &out);
  EXPECT_EQ(rc, 0) << out;
  return nlohmann::json::parse(out.substr(out.find('{')))["video"];
}

class RealClipTracking : public ::testing::TestWithParam<std::string> {};

TEST_P(RealClipTracking, HidesAtLeastAsMuchAsPerFrameDetectionAndFlickersLess) {
  fs::path clip = test::video_dir() / GetParam();
  fs::path work = test::make_temp_dir("realclip");
  std::string out;
  ASSERT_EQ(test::run_command(veil_cmd() + "anonymize " + q(clip) + " -o " + q(work / "ref.mp4") +
                                  " --targets face --no-tracking --face-threshold 0.15 --mode none --preset ultrafast"
                                  " -q --detections " + q(work / "raw.jsonl"),
                              &out),
            0)
      << out;
  link_into_objects(work / "raw.jsonl", work / "labels.jsonl");
  nlohmann::json tracked = eval_json(clip, work / "labels.jsonl", "");
  nlohmann::json single = eval_json(clip, work / "labels.jsonl", "--no-tracking");
  std::printf("  %s: tracked %d/%d hidden, %d flicker leaks; per-frame %d/%d, %d leaks\n", GetParam().c_str(),
              tracked["object_frames_hidden"].get<int>(), tracked["object_frames"].get<int>(),
              tracked["flicker_leaks"].get<int>(), single["object_frames_hidden"].get<int>(),
              single["object_frames"].get<int>(), single["flicker_leaks"].get<int>());
  EXPECT_GT(tracked["object_frames"].get<int>(), 20);
  EXPECT_GE(tracked["object_frames_hidden"].get<int>(), single["object_frames_hidden"].get<int>());
  EXPECT_LE(tracked["flicker_leaks"].get<int>(), single["flicker_leaks"].get<int>());
  fs::remove_all(work);
}

INSTANTIATE_TEST_SUITE_P(FaceClips, RealClipTracking,
                         ::testing::Values("face-demographics-walking.gif", "head-pose-face-detection-female-and-male.gif"),
                         [](const auto& info) {
                           std::string n = info.param.substr(0, info.param.find('.'));
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

}  // namespace
}  // namespace veil
