// `veil eval` against the judge's own measure: on the same run, its numbers
// must equal ../shared/tools/coverage.py's.
#include "test_paths.hpp"
#include "veil/core/error.hpp"
#include "veil/eval/ground_truth.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

namespace veil {
namespace fs = std::filesystem;
namespace {

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

nlohmann::json run_json(const std::string& cmd) {
  std::string out;
  int rc = test::run_command(cmd + " 2>/dev/null", &out);
  EXPECT_EQ(rc, 0) << cmd << "\n" << out;
  return nlohmann::json::parse(out.substr(out.find('{')));
}

std::string veil_cmd() {
  return "VEIL_MODEL_DIR=" + q(test::model_dir()) + " " + q(test::cli_path()) + " ";
}

// Copies the first `n` annotated images of a dev set (by sorted name).
void copy_subset(const fs::path& images, const fs::path& annotations, const std::string& ann_ext, int n,
                 const fs::path& to_images, const fs::path& to_annotations) {
  fs::create_directories(to_images);
  fs::create_directories(to_annotations);
  std::vector<fs::path> anns;
  for (const auto& e : fs::directory_iterator(annotations)) {
    if (e.path().extension() == ann_ext) anns.push_back(e.path());
  }
  std::sort(anns.begin(), anns.end());
  for (int i = 0; i < n && i < static_cast<int>(anns.size()); ++i) {
    fs::copy_file(anns[i], to_annotations / anns[i].filename());
    fs::copy_file(images / (anns[i].stem().string() + ".jpg"), to_images / (anns[i].stem().string() + ".jpg"));
  }
}

void expect_agreement(const fs::path& images, const fs::path& annotations, const std::string& format,
                      const std::string& cls, const fs::path& work) {
  fs::path out = work / "out";
  std::string rc_out;
  ASSERT_EQ(test::run_command(veil_cmd() + "anonymize " + q(images) + " -o " + q(out) +
                                  " --mode fill --image-format png -q",
                              &rc_out),
            0)
      << rc_out;
  nlohmann::json cov = run_json("/usr/bin/python3 " + q(test::shared_dir() / "tools/coverage.py") + " --images " +
                                q(images) + " --output " + q(out) + " --annotations " + q(annotations) +
                                " --format " + format + " --json");
  nlohmann::json ev = run_json(veil_cmd() + "eval " + q(images) + " --annotations " + q(annotations) +
                               " --format " + format + " --json -q");
  const auto& hidden = ev["classes"][cls]["hidden"];
  EXPECT_EQ(hidden["covered"], cov["covered"]);
  EXPECT_EQ(hidden["total"], cov["total"]);
  EXPECT_EQ(hidden["by_height"], cov["by_height"]);
  EXPECT_NEAR(ev["hidden_outside_gt"].get<double>(), cov["redacted_outside_gt"].get<double>(), 1e-9);
  EXPECT_GT(hidden["total"].get<int>(), 0);
}

// Found by fuzzing (annotations_fuzz): a number too large for a float
// ended the process instead of failing with a message.
TEST(GroundTruth, OutOfRangeNumbersAreACleanError) {
  const fs::path dir = test::make_temp_dir("gt-range");
  std::ofstream(dir / "a.txt") << "car.jpg\t1e50\t2\t3\t4\n";
  try {
    load_ground_truth(dir, AnnotationFormat::kOpenAlpr);
    ADD_FAILURE() << "accepted";
  } catch (const Error& ex) {
    EXPECT_NE(std::string(ex.what()).find("a number in the annotations is out of range"), std::string::npos) << ex.what();
  }
  fs::remove_all(dir);
}

// Found by fuzzing (annotations_fuzz, ASan): a Veil-format label whose box
// had fewer than four numbers was read past its end. Veil's sidecar reader
// now reads labels, and names the line and field.
TEST(GroundTruth, AShortBoxInVeilLabelsIsACleanError) {
  const fs::path dir = test::make_temp_dir("gt-box");
  std::ofstream(dir / "labels.jsonl")
      << R"({"file":"c.mp4","index":0,"pts":0,"detections":[{"class":"face","box":[10,20,30,40]}]})" << "\n"
      << R"({"file":"c.mp4","index":1,"pts":0.04,"detections":[{"class":"face","box":[10,20]}]})" << "\n";
  try {
    load_ground_truth(dir / "labels.jsonl", AnnotationFormat::kVeil);
    ADD_FAILURE() << "accepted";
  } catch (const Error& ex) {
    EXPECT_NE(std::string(ex.what()).find("labels.jsonl:2: detections[0].box: expected [x, y, width, height]"),
              std::string::npos)
        << ex.what();
  }
  fs::remove_all(dir);
}

// Found by fuzzing (annotations_fuzz, UBSan): a COCO id written as a huge
// float (3.7e73) was converted to an integer, which is undefined behaviour.
// A short bbox would have been read past its end, as in the Veil reader.
TEST(GroundTruth, CocoIdsMustBeIntegersAndBoxesFourNumbers) {
  const fs::path dir = test::make_temp_dir("gt-coco");
  const std::string image = R"("images":[{"id":0,"file_name":"a.jpg"}])";
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({)" + image + R"(,"categories":[{"id":3.7e73,"name":"face"}],"annotations":[]})", "a category id must be an integer"},
      {R"({)" + image + R"(,"categories":[],"annotations":[{"image_id":0.5,"category_id":1,"bbox":[1,2,3,4]}]})", "an image_id must be an integer"},
      {R"({)" + image + R"(,"categories":[],"annotations":[{"image_id":0,"category_id":1,"bbox":[1,2]}]})", "bbox must be [x, y, width, height]"},
      {R"({)" + image + R"(,"categories":[],"annotations":[{"image_id":0,"category_id":1,"bbox":[1,2,3,1e300]}]})", "a bbox number is out of range"},
  };
  for (const auto& [text, message] : bad) {
    std::ofstream(dir / "coco.json") << text;
    try {
      load_ground_truth(dir / "coco.json", AnnotationFormat::kCoco);
      ADD_FAILURE() << "accepted " << text;
    } catch (const Error& ex) {
      EXPECT_NE(std::string(ex.what()).find(message), std::string::npos) << ex.what();
    }
  }
  std::ofstream(dir / "coco.json") << R"({)" + image +
                                          R"(,"categories":[{"id":1,"name":"face"}],"annotations":[{"image_id":0,"category_id":1,"bbox":[1,2,3,4]}]})";
  const GroundTruth gt = load_ground_truth(dir / "coco.json", AnnotationFormat::kCoco);
  ASSERT_EQ(gt.images.at("a").size(), 1u);
  EXPECT_EQ(gt.images.at("a")[0].box, cv::Rect2f(1, 2, 3, 4));
  fs::remove_all(dir);
}

TEST(Eval, AgreesWithCoveragePyOnFaces) {
  fs::path work = test::make_temp_dir("eval-faces");
  fs::path dev = test::shared_dir() / "data/faces-dev";
  copy_subset(dev / "images", dev / "annotations", ".xml", 30, work / "images", work / "ann");
  expect_agreement(work / "images", work / "ann", "voc", "face", work);
  fs::remove_all(work);
}

TEST(Eval, AgreesWithCoveragePyOnPlates) {
  fs::path work = test::make_temp_dir("eval-plates");
  fs::path dev = test::shared_dir() / "data/plates-dev";
  copy_subset(dev, dev, ".txt", 12, work / "images", work / "images");
  expect_agreement(work / "images", work / "images", "openalpr", "plate", work);
  fs::remove_all(work);
}

TEST(Eval, ALabelledVideoInVeilFormatScoresFrameByFrame) {
  // Label a real clip with Veil's own sidecar, then measure Veil against
  // it: every (frame, object) pair must be hidden and none may flicker.
  fs::path work = test::make_temp_dir("eval-video");
  fs::path clip = test::video_dir() / "head-pose-face-detection-female-and-male.gif";
  std::string out;
  ASSERT_EQ(test::run_command(veil_cmd() + "anonymize " + q(clip) + " -o " + q(work / "o.mp4") +
                                  " --targets face --preset ultrafast -q --detections " + q(work / "labels.jsonl"),
                              &out),
            0)
      << out;
  // Give each detection an object id as a labeller would (left/right person).
  {
    std::ifstream in(work / "labels.jsonl");
    std::ofstream lab(work / "truth.jsonl");
    for (std::string line; std::getline(in, line);) {
      auto j = nlohmann::json::parse(line);
      if (!j.contains("detections")) continue;  // the provenance header
      for (auto& d : j["detections"]) d["track"] = d["box"][0].get<double>() < 240 ? 1 : 2;
      lab << j.dump() << "\n";
    }
  }
  nlohmann::json ev = run_json(veil_cmd() + "eval " + q(clip) + " --annotations " + q(work / "truth.jsonl") +
                               " --format veil --targets face --json -q");
  EXPECT_GT(ev["video"]["object_frames"].get<int>(), 50);
  EXPECT_EQ(ev["video"]["object_frames_hidden"], ev["video"]["object_frames"]);
  EXPECT_EQ(ev["video"]["flicker_leaks"], 0);
  fs::remove_all(work);
}

TEST(GroundTruth, ReadsWiderAndCoco) {
  fs::path work = test::make_temp_dir("gt");
  std::ofstream(work / "wider.txt") << "0--Parade/a.jpg\n2\n10 20 30 40 0 0 0 0 0 0 \n1 1 5 5 0 0 0 1 0 0 \n"
                                    << "1--Handshaking/b.jpg\n0\n0 0 0 0 0 0 0 0 0 0 \n";
  GroundTruth w = load_ground_truth(work / "wider.txt", AnnotationFormat::kWider);
  ASSERT_EQ(w.images.size(), 2u);
  ASSERT_EQ(w.images["a"].size(), 1u);  // the invalid face is skipped
  EXPECT_EQ(w.images["a"][0].box, cv::Rect2f(10, 20, 30, 40));
  EXPECT_TRUE(w.images["b"].empty());

  std::ofstream(work / "coco.json")
      << R"({"images":[{"id":7,"file_name":"dir/c.png"}],"categories":[{"id":1,"name":"license_plate"},{"id":2,"name":"face"}],)"
      << R"("annotations":[{"image_id":7,"category_id":1,"bbox":[1,2,3,4]},{"image_id":7,"category_id":2,"bbox":[5,6,7,8]}]})";
  GroundTruth c = load_ground_truth(work / "coco.json", AnnotationFormat::kCoco);
  ASSERT_EQ(c.images["c"].size(), 2u);
  EXPECT_EQ(c.images["c"][0].cls, ObjectClass::kPlate);
  EXPECT_EQ(c.images["c"][1].cls, ObjectClass::kFace);

  std::ofstream(work / "broken.json") << "{\"images\": [";
  EXPECT_THROW(load_ground_truth(work / "broken.json", AnnotationFormat::kCoco), Error);
  EXPECT_THROW(load_ground_truth(work / "nope", AnnotationFormat::kVoc), Error);
  fs::remove_all(work);
}

TEST(GroundTruth, ReadsTheDevSets) {
  GroundTruth faces = load_ground_truth(test::shared_dir() / "data/faces-dev/annotations", AnnotationFormat::kVoc);
  size_t n = 0;
  for (const auto& [k, v] : faces.images) n += v.size();
  EXPECT_EQ(faces.images.size(), 285u);
  EXPECT_GT(n, 1300u);
  GroundTruth plates = load_ground_truth(test::shared_dir() / "data/plates-dev", AnnotationFormat::kOpenAlpr);
  EXPECT_EQ(plates.images.size(), 100u);
  EXPECT_EQ(plates.images["us1"][0].box, cv::Rect2f(501, 335, 159, 79));
  EXPECT_EQ(plates.images["us1"][0].cls, ObjectClass::kPlate);
}

}  // namespace
}  // namespace veil
