// Faces that scene context could lose and the dev sets lack: pedestrians
// seen from above (opencv-doc's vtest.avi) and people walking towards the
// camera (face-demographics-walking.gif), annotated by hand with
// scripts/annotate_faces.py (src/eval/testdata/README.md). Every annotated
// face stays hidden with --context on, as with it off.
#include "veil/eval/evaluator.hpp"

#include "test_paths.hpp"

#include <gtest/gtest.h>

namespace veil {
namespace {

namespace fs = std::filesystem;

Tally faces_hidden(const fs::path& clip, const std::string& labels, ContextMode context) {
  fs::path work = test::make_temp_dir("context-faces");
  ModelStore store({test::model_dir(), work / "cache", false});
  EvalOptions o;
  o.anonymize.detection.targets = {ObjectClass::kFace};
  o.anonymize.detection.context = context;
  o.annotations = fs::path(VEIL_SOURCE_DIR) / "src" / "eval" / "testdata" / labels;
  o.format = AnnotationFormat::kVeil;
  o.only_class = ObjectClass::kFace;
  RecallReport r = evaluate(clip.string(), o, store);
  fs::remove_all(work);
  return r.classes[ObjectClass::kFace].hidden_from(0.f);
}

TEST(ContextFaces, WalkersKeepEveryFace) {
  const fs::path clip = test::video_dir() / "face-demographics-walking.gif";
  const Tally on = faces_hidden(clip, "context_faces_walking.jsonl", ContextMode::kOn);
  ASSERT_EQ(on.total, 6);
  EXPECT_EQ(on.hit, 6);
  EXPECT_EQ(faces_hidden(clip, "context_faces_walking.jsonl", ContextMode::kOff).hit, 6);
}

TEST(ContextFaces, PedestriansSeenFromAboveKeepEveryFace) {
  const fs::path clip = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";
  ASSERT_TRUE(fs::exists(clip)) << clip << " is missing: install opencv-doc (scripts/setup.sh does)";
  const Tally on = faces_hidden(clip, "context_faces_vtest.jsonl", ContextMode::kOn);
  ASSERT_EQ(on.total, 15);  // 7 to 12 px tall
  EXPECT_EQ(on.hit, 15);
}

}  // namespace
}  // namespace veil
