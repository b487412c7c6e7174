// Scene context end to end: `veil anonymize` on clips where faces or plates
// are absent hides (almost) nothing of them by default, and `--context off`
// shows what it would hide without context.
#include "test_paths.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include <fstream>

namespace veil {
namespace {

namespace fs = std::filesystem;

const fs::path kHighway = test::video_dir() / "CarND-Vehicle-Detection_test_video.mp4";
// Debian's opencv-doc (scripts/setup.sh installs it).
const fs::path kWalkway = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";

struct FalseArea {
  int frames = 0;
  double mean = 0, worst = 0;  // shares of the frame
  int vehicle_frames = 0, person_frames = 0;  // frames with a context box of each class scoring >= 0.5
};

// The share of each frame covered by `cls` boxes (each model's box of a
// fused object), as scripts/recall_report.py measures precision.
FalseArea false_area(const fs::path& sidecar, const std::string& cls, cv::Size size) {
  FalseArea a;
  std::ifstream in(sidecar);
  for (std::string line; std::getline(in, line);) {
    const nlohmann::json f = nlohmann::json::parse(line);
    if (!f.contains("detections")) continue;  // the provenance header
    cv::Mat mask = cv::Mat::zeros(size, CV_8U);
    for (const auto& d : f["detections"]) {
      if (d["class"] != cls) continue;
      std::vector<nlohmann::json> boxes{d["box"]};
      for (const auto& m : d.value("found_by", nlohmann::json::array())) boxes.push_back(m["box"]);
      for (const auto& b : boxes) {
        cv::Rect r(int(b[0].get<double>()), int(b[1].get<double>()), int(std::ceil(b[2].get<double>())),
                   int(std::ceil(b[3].get<double>())));
        mask(r & cv::Rect(cv::Point(), size)).setTo(1);
      }
    }
    bool vehicle = false, person = false;
    for (const auto& c : f.value("context", nlohmann::json::array())) {
      if (c["score"].get<double>() < 0.5) continue;
      vehicle |= c["class"] == "vehicle";
      person |= c["class"] == "person";
    }
    a.vehicle_frames += vehicle;
    a.person_frames += person;
    const double share = cv::countNonZero(mask) / double(size.area());
    a.mean += share;
    a.worst = std::max(a.worst, share);
    a.frames++;
  }
  if (a.frames) a.mean /= a.frames;
  return a;
}

class VeilContext : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::make_temp_dir("context"); }
  void TearDown() override { fs::remove_all(dir_); }
  // `veil anonymize CLIP` with the sidecar at dir_/TAG.jsonl; returns its path.
  fs::path anonymize(const fs::path& clip, const std::string& tag, const std::string& args) {
    const fs::path side = dir_ / (tag + ".jsonl");
    const std::string cmd = "VEIL_MODEL_DIR='" + test::model_dir().string() + "' '" + test::cli_path().string() +
                            "' anonymize '" + clip.string() + "' -o '" + (dir_ / (tag + ".mp4")).string() +
                            "' -q --mode none --preset ultrafast --detections '" + side.string() + "' " + args;
    std::string output;
    EXPECT_EQ(test::run_command(cmd, &output), 0) << output;
    return side;
  }
  fs::path dir_;
};

// The README's sample: no person anywhere, leaves and branches that the
// face models take for faces at low scores.
TEST_F(VeilContext, TheHighwayClipHidesNoLeavesAsFaces) {
  const FalseArea with = false_area(anonymize(kHighway, "on", "--targets face"), "face", {1280, 720});
  const FalseArea without = false_area(anonymize(kHighway, "off", "--targets face --context off"), "face", {1280, 720});
  ASSERT_EQ(with.frames, 38);
  EXPECT_LE(with.mean, 0.0005) << "at most 0.05% of the frame hidden as faces on average";
  EXPECT_LE(with.worst, 0.005) << "no frame above 0.5%";
  EXPECT_GE(without.mean, 0.002) << "without context the leaves are hidden (0.335% when measured)";
  // The context is in the sidecar: the cars ahead, no one on foot.
  EXPECT_GE(with.vehicle_frames, 30);
  EXPECT_EQ(with.person_frames, 0);
  EXPECT_EQ(without.vehicle_frames, 0);
}

// A campus walkway from above: barrier tape and a roofline that the plate
// models take for plates, and no vehicle.
TEST_F(VeilContext, TheWalkwayHidesNoBarrierTapeAsPlates) {
  ASSERT_TRUE(fs::exists(kWalkway)) << kWalkway << " is missing: install opencv-doc (scripts/setup.sh does)";
  const FalseArea with = false_area(anonymize(kWalkway, "on", "--targets plate"), "plate", {768, 576});
  ASSERT_EQ(with.frames, 795);
  EXPECT_LE(with.mean, 0.0005) << "at most 0.05% of the frame hidden as plates on average";
  EXPECT_LE(with.worst, 0.01) << "no frame above 1%";
  // (Without context: 0.73% on average, worst frame 3.9%, 287 frames over
  // 1%: docs/recall.md, "Scene context". Not run here: 795 frames take a
  // while on CI's two cores.)
  EXPECT_GE(with.person_frames, 700) << "people walk through every part of the clip";
}

}  // namespace
}  // namespace veil
