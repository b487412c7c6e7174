// The default line-up holds the recall targets of the model line-up work on
// the whole dev sets (`veil eval`, which agrees with coverage.py):
// faces-dev >= 97% of faces of 10 px and more, >= 98.5% of 20 px and more,
// plates-dev 100/100, each within its area budget. docs/recall.md has the
// full tables; docs/line-up.md the trials behind the defaults.
#include "test_paths.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace veil {
namespace fs = std::filesystem;
namespace {

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

nlohmann::json eval(const fs::path& images, const fs::path& annotations, const std::string& args) {
  std::string out;
  const std::string cmd = "VEIL_MODEL_DIR=" + q(test::model_dir()) + " " + q(test::cli_path()) + " eval " +
                          q(images) + " --annotations " + q(annotations) + " " + args + " --json -q 2>/dev/null";
  EXPECT_EQ(test::run_command(cmd, &out), 0) << cmd << "\n" << out;
  return nlohmann::json::parse(out.substr(out.find('{')));
}

// Faces hidden of 10 px and more, and of 20 px and more.
struct FaceCounts {
  int covered = 0, total = 0, covered20 = 0, total20 = 0;
  double outside = 0;
};

FaceCounts faces_dev(const fs::path& dev, const std::string& precision) {
  nlohmann::json r = eval(dev / "images", dev / "annotations", "--format voc --targets face --precision " + precision);
  const nlohmann::json& hidden = r["classes"]["face"]["hidden"];
  FaceCounts c;
  c.covered = hidden["covered"].get<int>();
  c.total = hidden["total"].get<int>();
  for (const auto& [bin, counts] : hidden["by_height"].items()) {
    if (bin.rfind("0-", 0) == 0 || bin.rfind("10-", 0) == 0) continue;
    c.covered20 += counts[0].get<int>();
    c.total20 += counts[1].get<int>();
  }
  c.outside = r["hidden_outside_gt"].get<double>();
  return c;
}

TEST(DevSetRecall, DefaultFaceLineUpOnFacesDev) {
  const fs::path dev = test::shared_dir() / "data/faces-dev";
  if (!fs::exists(dev)) GTEST_SKIP() << "no faces-dev";
  const FaceCounts c = faces_dev(dev, "float");
  EXPECT_GE(c.covered, 0.97 * c.total) << c.covered << " of " << c.total;
  ASSERT_GT(c.total20, 800);
  EXPECT_GE(c.covered20, 0.985 * c.total20) << c.covered20 << " of " << c.total20;
  EXPECT_LE(c.outside, 0.03);
}

// RetinaFace in int8 (YuNet has no table and stays float) against float:
// measured 1221 of 1255 faces against 1222, and 813 of 827 of 20 px and
// more against 815 (98.31%: under the 98.5% floor, so int8 is not the
// default's; docs/speed.md, "int8"). A broken rewrite or stale table
// loses far more.
TEST(DevSetRecall, Int8FaceLineUpStaysWithinFourFacesOfFloat) {
  const fs::path dev = test::shared_dir() / "data/faces-dev";
  if (!fs::exists(dev)) GTEST_SKIP() << "no faces-dev";
  const FaceCounts f = faces_dev(dev, "float"), q = faces_dev(dev, "int8");
  EXPECT_GE(q.covered, f.covered - 4) << q.covered << " against " << f.covered;
  EXPECT_GE(q.covered20, f.covered20 - 4) << q.covered20 << " against " << f.covered20;
  EXPECT_LE(q.outside, f.outside + 0.003);
}

TEST(DevSetRecall, DefaultPlateLineUpOnPlatesDev) {
  const fs::path dev = test::shared_dir() / "data/plates-dev";
  if (!fs::exists(dev)) GTEST_SKIP() << "no plates-dev";
  nlohmann::json r = eval(dev, dev, "--format openalpr --targets plate");
  const nlohmann::json& hidden = r["classes"]["plate"]["hidden"];
  EXPECT_EQ(hidden["covered"].get<int>(), 100) << hidden.dump();
  EXPECT_EQ(hidden["total"].get<int>(), 100);
  EXPECT_LE(r["hidden_outside_gt"].get<double>(), 0.015);
}

}  // namespace
}  // namespace veil
