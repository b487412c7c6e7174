// End-to-end tests of the `veil` binary on real clips and photos: what a
// user runs, what they get back, and how it fails.
#include "io/video_source.hpp"
#include "test_paths.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <fstream>
#include <regex>

namespace veil {
namespace fs = std::filesystem;

namespace {

class VeilCli : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::make_temp_dir("cli"); }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs `veil ARGS`; returns the exit status and keeps the output.
  int veil(const std::string& args) {
    return test::run_command("VEIL_MODEL_DIR='" + test::model_dir().string() + "' '" + test::cli_path().string() +
                                 "' " + args,
                             &output_);
  }
  static std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

  // Files left in `folder` whose names mark them as Veil temporaries.
  static int temp_files_in(const fs::path& folder) {
    int n = 0;
    for (const auto& e : fs::recursive_directory_iterator(folder)) {
      if (e.path().filename().string().find(".veil-") != std::string::npos) ++n;
    }
    return n;
  }

  // A sidecar's frame lines; its provenance header is read_header()'s.
  static std::vector<nlohmann::json> read_jsonl(const fs::path& p) {
    std::vector<nlohmann::json> lines;
    std::ifstream in(p);
    for (std::string l; std::getline(in, l);) {
      auto j = nlohmann::json::parse(l);
      if (j.contains("detections")) lines.push_back(std::move(j));
    }
    return lines;
  }
  static nlohmann::ordered_json read_header(const fs::path& p) {
    std::ifstream in(p);
    std::string first;
    std::getline(in, first);
    return nlohmann::ordered_json::parse(first);
  }

  fs::path dir_;
  std::string output_;
};

const fs::path kFaceClip = test::video_dir() / "head-pose-face-detection-female-and-male.gif";
const fs::path kDashcam = test::video_dir() / "CarND-Vehicle-Detection_test_video.mp4";
fs::path face_photo() { return test::shared_dir() / "data/faces-dev/images/maksssksksss0.jpg"; }

std::int64_t count_frames(const fs::path& video) {
  VideoSource src(video);
  Frame f;
  std::int64_t n = 0;
  while (src.read(f)) ++n;
  return n;
}

TEST_F(VeilCli, AnonymizesARealVideoWithSidecarAndSummary) {
  fs::path out = dir_ / "faces.mp4", side = dir_ / "faces.jsonl";
  ASSERT_EQ(veil("anonymize " + q(kFaceClip) + " -o " + q(out) + " --mode fill --detections " + q(side) +
                 " --preset ultrafast"),
            0)
      << output_;
  std::int64_t frames = count_frames(kFaceClip);
  EXPECT_EQ(count_frames(out), frames);
  auto lines = read_jsonl(side);
  ASSERT_EQ(static_cast<std::int64_t>(lines.size()), frames);
  int with_face = 0;
  double last_pts = -1;
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i]["index"].get<int>(), static_cast<int>(i));
    double pts = lines[i]["pts"].get<double>();
    EXPECT_GT(pts, last_pts);
    last_pts = pts;
    bool face = false;
    for (const auto& d : lines[i]["detections"]) {
      EXPECT_EQ(d["box"].size(), 4u);
      EXPECT_GE(d["score"].get<double>(), 0.0);
      face |= d["class"] == "face";
    }
    with_face += face;
  }
  // Two people face the camera through the whole clip.
  EXPECT_GT(with_face, frames * 9 / 10) << with_face << " of " << frames;
  // Summary line: frames, objects per class (the woman and the man), boxes, time, fps.
  EXPECT_TRUE(std::regex_search(output_, std::regex("veil: 1 file, " + std::to_string(frames) +
                                                    " frames: 2 faces and 0 plates \\(objects\\); \\d+ boxes in \\d+ frames"
                                                    "( \\(\\d+ from tracking\\))?, [0-9.]+ s, [0-9.]+ fps")))
      << output_;
  // The provenance header: which Veil, models, options and input made it.
  const nlohmann::ordered_json header = read_header(side);
  EXPECT_EQ(header.begin().key(), "veil");
  EXPECT_EQ(header["file"], kFaceClip.filename().string());
  EXPECT_EQ(header["input"]["frames"], frames);
  EXPECT_EQ(header["input"]["bytes"], std::int64_t(fs::file_size(kFaceClip)));
  EXPECT_EQ(header["input"]["width"], 480);
  EXPECT_EQ(header["options"]["mode"], "fill");
  EXPECT_EQ(header["options"]["sweep"], 8);
  ASSERT_EQ(header["models"].size(), 5u);  // two face, two plate models and the scene context model
  EXPECT_EQ(header["models"][0]["name"], "yunet-face");
  EXPECT_EQ(header["models"][4]["name"], "yolox-nano");
  EXPECT_EQ(header["options"]["context"]["mode"], "on");
  EXPECT_EQ(header["options"]["context"]["weak_face"], 0.7);
  EXPECT_EQ(header["models"][0]["sha256"].get<std::string>().size(), 64u);
  EXPECT_FALSE(header["models"][0]["licence"].get<std::string>().empty());

  // --json: the same counts as one object on stdout.
  ASSERT_EQ(veil("anonymize " + q(kFaceClip) + " -o " + q(dir_ / "j.mp4") + " --mode none --preset ultrafast --json"), 0)
      << output_;
  const nlohmann::json summary = nlohmann::json::parse(output_.substr(output_.find('{')));
  EXPECT_EQ(summary["frames"], frames);
  EXPECT_EQ(summary["objects"]["face"], 2);
  EXPECT_EQ(summary["objects"]["plate"], 0);
  EXPECT_GT(summary["boxes"].get<int>(), frames);

  // The face areas really are filled in the encoded output.
  VideoSource result(out);
  Frame f;
  ASSERT_TRUE(result.read(f));
  for (const auto& d : lines[0]["detections"]) {
    cv::Rect box(d["box"][0].get<int>(), d["box"][1].get<int>(), d["box"][2].get<int>(), d["box"][3].get<int>());
    cv::Rect centre(box.x + box.width / 4, box.y + box.height / 4, box.width / 2, box.height / 2);
    centre &= cv::Rect(0, 0, f.image.cols, f.image.rows);
    if (centre.area() == 0) continue;
    cv::Scalar m = cv::mean(f.image(centre));
    EXPECT_LT(m[0] + m[1] + m[2], 3 * 25) << "detected face not hidden";
  }
}

// ONNX Runtime 1.29 and later, as Microsoft builds them (the npm package
// Veil uses), record usage events in ~/.cache/Microsoft/DeveloperTools and
// upload them unless told not to. Footage that must stay on the user's
// machines must not come with a report of its processing.
TEST_F(VeilCli, OnnxRuntimeRecordsNoTelemetry) {
  const fs::path home = dir_ / "home";
  fs::create_directories(home);
  fs::path out = dir_ / "photo.jpg";
  ASSERT_EQ(test::run_command("HOME='" + home.string() + "' VEIL_MODEL_DIR='" + test::model_dir().string() + "' '" +
                                  test::cli_path().string() + "' anonymize " + q(face_photo()) + " -o " + q(out),
                              &output_),
            0)
      << output_;
  ASSERT_TRUE(fs::exists(out));
  EXPECT_FALSE(fs::exists(home / ".cache/Microsoft")) << "ONNX Runtime wrote its telemetry cache";
}

TEST_F(VeilCli, EveryModeOnARealPhoto) {
  cv::Mat original = cv::imread(face_photo().string());
  for (std::string mode : {"blur", "pixelate", "fill", "none"}) {
    fs::path out = dir_ / (mode + ".png"), side = dir_ / (mode + ".jsonl");
    ASSERT_EQ(veil("anonymize " + q(face_photo()) + " -o " + q(out) + " --mode " + mode + " --detections " +
                   q(side)),
              0)
        << output_;
    cv::Mat result = cv::imread(out.string());
    ASSERT_EQ(result.size(), original.size());
    auto lines = read_jsonl(side);
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_TRUE(lines[0]["pts"].is_null());
    ASSERT_GE(lines[0]["detections"].size(), 3u) << mode;
    // The first annotated face, (79,105)-(109,142).
    cv::Rect face(79, 105, 30, 37);
    double changed = cv::norm(original(face), result(face), cv::NORM_L1) / face.area();
    if (mode == "none") {
      EXPECT_EQ(cv::norm(original, result, cv::NORM_L1), 0);
    } else {
      EXPECT_GT(changed, 10) << mode;
    }
    if (mode == "fill") {
      // The ellipse grown 1.3x covers the whole centre of the face box.
      cv::Scalar m = cv::mean(result(cv::Rect(face.x + 4, face.y + 4, face.width - 8, face.height - 8)));
      EXPECT_EQ(m[0] + m[1] + m[2], 0);
    }
  }
}

TEST_F(VeilCli, FolderKeepsRelativePathsAndConvertsImages) {
  fs::path in = dir_ / "in", out = dir_ / "out";
  fs::create_directories(in / "cams/front");
  fs::copy_file(face_photo(), in / "street.jpg");
  fs::copy_file(kFaceClip, in / "cams/front/walk.gif");
  fs::copy_file(test::shared_dir() / "data/plates-dev/us1.jpg", in / "cams/car.jpg");
  std::ofstream(in / "notes.txt") << "not media";
  ASSERT_EQ(veil("anonymize " + q(in) + " -o " + q(out) + " --image-format png --preset ultrafast -q"), 0)
      << output_;
  EXPECT_TRUE(fs::exists(out / "street.png"));
  EXPECT_TRUE(fs::exists(out / "cams/car.png"));
  EXPECT_TRUE(fs::exists(out / "cams/front/walk.gif"));
  EXPECT_FALSE(fs::exists(out / "notes.txt"));
  EXPECT_EQ(count_frames(out / "cams/front/walk.gif"), count_frames(kFaceClip));
  EXPECT_EQ(output_, "");  // --quiet
}

TEST_F(VeilCli, DashcamPlatesAndTargetsSelection) {
  fs::path out = dir_ / "dash.mkv", side = dir_ / "dash.jsonl";
  ASSERT_EQ(veil("anonymize " + q(kDashcam) + " -o " + q(out) + " --targets plate --detections " + q(side) +
                 " --preset ultrafast"),
            0)
      << output_;
  int by_yolo = 0;
  for (const auto& line : read_jsonl(side)) {
    for (const auto& d : line["detections"]) {
      EXPECT_EQ(d["class"], "plate");
      // Each detection names its model, one of the default plate line-up,
      // and every model's box when both found the plate.
      std::vector<std::string> models{d.value("model", "")};
      for (const auto& m : d.value("found_by", nlohmann::json::array())) models.push_back(m["model"]);
      for (const std::string& model : models) {
        EXPECT_TRUE(model == "hyperlpr3-plate-320" || model == "yolov8-plate") << d.dump();
      }
      by_yolo += std::count(models.begin(), models.end(), "yolov8-plate") > 0;
    }
  }
  EXPECT_GT(by_yolo, 0);  // the far US plates: HyperLPR3 finds none of them
  EXPECT_EQ(count_frames(out), count_frames(kDashcam));
}

TEST_F(VeilCli, BadInputsFailClearlyAndLeaveNothing) {
  struct Case {
    std::string name, args, expect_in_message;
    fs::path must_not_exist;
  };
  fs::path text = dir_ / "notes.mp4";
  std::ofstream(text) << "this is not a video\n";
  fs::path weird = dir_ / "data.xyz";
  std::ofstream(weird) << "x";
  std::vector<Case> cases = {
      {"missing input", "anonymize " + q(dir_ / "nope.mp4") + " -o " + q(dir_ / "a.mp4"), "nope.mp4", dir_ / "a.mp4"},
      {"not a video", "anonymize " + q(text) + " -o " + q(dir_ / "b.mp4"), "notes.mp4", dir_ / "b.mp4"},
      {"unknown type", "anonymize " + q(weird) + " -o " + q(dir_ / "c.mp4"), "unsupported", dir_ / "c.mp4"},
      {"unwritable output", "anonymize " + q(kFaceClip) + " -o " + q(dir_ / "no/such/dir/d.mp4"), "d.mp4",
       dir_ / "no/such/dir/d.mp4"},
      {"video to image", "anonymize " + q(kFaceClip) + " -o " + q(dir_ / "e.png"), "video output", dir_ / "e.png"},
      {"bad threshold", "anonymize " + q(kFaceClip) + " -o " + q(dir_ / "f.mp4") + " --face-threshold 3", "threshold",
       dir_ / "f.mp4"},
      {"bad colour", "anonymize " + q(face_photo()) + " -o " + q(dir_ / "g.png") + " --fill-color pink",
       "fill-color", dir_ / "g.png"},
      {"bad target", "anonymize " + q(face_photo()) + " -o " + q(dir_ / "h.png") + " --targets cat", "cat",
       dir_ / "h.png"},
      {"unknown model", "anonymize " + q(face_photo()) + " -o " + q(dir_ / "i.png") + " --plate-models nope",
       "no model named 'nope'", dir_ / "i.png"},
      {"model of the other class", "anonymize " + q(face_photo()) + " -o " + q(dir_ / "j.png") +
       " --plate-models yunet-face", "does not detect plates", dir_ / "j.png"},
  };
  for (const auto& c : cases) {
    int rc = veil(c.args);
    EXPECT_NE(rc, 0) << c.name;
    EXPECT_NE(output_.find(c.expect_in_message), std::string::npos) << c.name << ": " << output_;
    EXPECT_FALSE(fs::exists(c.must_not_exist)) << c.name;
  }
  EXPECT_EQ(temp_files_in(dir_), 0);
}

// Each exit status means one thing (README, "Exit statuses").
TEST_F(VeilCli, ExitStatusesMeanOneThingEach) {
  EXPECT_EQ(veil("anonymize " + q(face_photo()) + " -o " + q(dir_ / "ok.png") + " -q"), 0) << output_;
  EXPECT_EQ(veil("anonymize " + q(dir_ / "missing.mp4") + " -o " + q(dir_ / "a.mp4")), 1) << output_;
  EXPECT_EQ(veil("anonymize " + q(face_photo()) + " -o " + q(dir_ / "b.png") + " --face-threshold 3"), 2) << output_;
  EXPECT_EQ(veil("anonymize " + q(face_photo()) + " -o " + q(dir_ / "b.png") + " --fill-color pink"), 2) << output_;
  EXPECT_EQ(veil("anonymize --no-such-flag"), 2) << output_;
  EXPECT_EQ(veil("--help"), 0);
  fs::create_directories(dir_ / "in");
  fs::copy_file(face_photo(), dir_ / "in" / "good.jpg");
  std::ofstream(dir_ / "in" / "bad.jpg") << "not a picture";
  EXPECT_EQ(veil("anonymize " + q(dir_ / "in") + " -o " + q(dir_ / "out") + " -q"), 3) << output_;
  EXPECT_TRUE(fs::exists(dir_ / "out" / "good.jpg"));
  fs::remove(dir_ / "in" / "good.jpg");
  EXPECT_EQ(veil("anonymize " + q(dir_ / "in") + " -o " + q(dir_ / "out2") + " -q"), 1) << "nothing done: failed";
}

// A folder of symbolic links (how people gather a data set without copying
// it): each output lands under the output folder, and the linked files are
// never written.
TEST_F(VeilCli, FolderOfSymlinksWritesOnlyUnderTheOutput) {
  fs::path store = dir_ / "store", in = dir_ / "in", out = dir_ / "out";
  fs::create_directories(store);
  fs::create_directories(in / "sub");
  fs::copy_file(face_photo(), store / "a.jpg");
  fs::permissions(store / "a.jpg", fs::perms::owner_write, fs::perm_options::add);
  const auto before = fs::file_size(store / "a.jpg");
  const auto written = fs::last_write_time(store / "a.jpg");
  fs::create_symlink(store / "a.jpg", in / "link.jpg");
  fs::create_symlink(store / "a.jpg", in / "sub" / "deep.jpg");
  ASSERT_EQ(veil("anonymize " + q(in) + " -o " + q(out) + " --mode none -q"), 0) << output_;
  EXPECT_TRUE(fs::is_regular_file(out / "link.jpg"));
  EXPECT_TRUE(fs::is_regular_file(out / "sub" / "deep.jpg"));
  EXPECT_EQ(fs::file_size(store / "a.jpg"), before);
  EXPECT_EQ(fs::last_write_time(store / "a.jpg"), written);
  int files = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir_)) files += e.is_regular_file() && !e.is_symlink();
  EXPECT_EQ(files, 3);  // the stored photo and the two outputs, nothing elsewhere
}

TEST_F(VeilCli, RefusesToOverwriteItsInput) {
  fs::path copy = dir_ / "street.jpg";
  fs::copy_file(face_photo(), copy);
  auto before = fs::file_size(copy);
  EXPECT_NE(veil("anonymize " + q(copy) + " -o " + q(copy)), 0);
  EXPECT_EQ(fs::file_size(copy), before);
}

TEST_F(VeilCli, CorruptVideoNeverPassesAFrameUnanalysed) {
  fs::path bad = dir_ / "corrupt.mp4";
  fs::copy_file(kDashcam, bad);
  {
    std::fstream f(bad, std::ios::in | std::ios::out | std::ios::binary);
    auto size = static_cast<std::streamoff>(fs::file_size(bad));
    std::string junk(8192, '\xff');
    f.seekp(size / 2);
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  fs::path out = dir_ / "out.mp4", side = dir_ / "out.jsonl";
  int rc = veil("anonymize " + q(bad) + " -o " + q(out) + " --detections " + q(side) + " --preset ultrafast");
  if (rc != 0) {
    EXPECT_FALSE(fs::exists(out));
    EXPECT_NE(output_.find("corrupt.mp4"), std::string::npos) << output_;
  } else {
    // Every frame that was written went through the detectors.
    EXPECT_EQ(static_cast<std::int64_t>(read_jsonl(side).size()), count_frames(out));
  }
  EXPECT_EQ(temp_files_in(dir_), 0);
}

TEST_F(VeilCli, ModelsListsChecksumsAndRefusesATamperedMirror) {
  ASSERT_EQ(veil("models"), 0) << output_;
  EXPECT_NE(output_.find("8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4"), std::string::npos);
  EXPECT_NE(output_.find("Apache-2.0"), std::string::npos);
  EXPECT_NE(output_.find("checksum verified"), std::string::npos);
  // Licences and the default line-up are shown, the AGPL plate model among them.
  ASSERT_EQ(veil("models --json"), 0) << output_;
  nlohmann::json models = nlohmann::json::parse(output_);
  int defaults = 0;
  for (const auto& m : models) {
    EXPECT_TRUE(m.contains("commercial_use") && m.contains("family") && m.contains("license")) << m.dump();
    if (m["default"].get<bool>()) {
      ++defaults;
      EXPECT_TRUE(m["commercial_use"].get<bool>()) << m["name"];  // defaults allow any use
    }
    if (m["name"] == "yolov8-plate") EXPECT_NE(m["license"].get<std::string>().find("AGPL-3.0"), std::string::npos);
    // insightface's SCRFD weights: never a default, marked non-commercial.
    if (m["family"] == "scrfd") EXPECT_FALSE(m["commercial_use"].get<bool>() || m["default"].get<bool>()) << m["name"];
  }
  EXPECT_EQ(defaults, 4);  // YuNet, RetinaFace, HyperLPR3-320, YOLOv8

  fs::path mirror = dir_ / "mirror";
  fs::copy(test::model_dir(), mirror, fs::copy_options::recursive);
  fs::path yunet = mirror / "yunet/face_detection_yunet_2023mar.onnx";
  fs::permissions(yunet, fs::perms::owner_write, fs::perm_options::add);
  { std::ofstream(yunet, std::ios::app) << "tampered"; }
  int rc = test::run_command("VEIL_MODEL_DIR='" + mirror.string() + "' VEIL_CACHE_DIR='" + (dir_ / "cache").string() +
                                 "' '" + test::cli_path().string() + "' anonymize " + q(face_photo()) + " -o " +
                                 q(dir_ / "x.png") + " --offline",
                             &output_);
  EXPECT_NE(rc, 0);
  EXPECT_NE(output_.find("refusing"), std::string::npos) << output_;
  EXPECT_FALSE(fs::exists(dir_ / "x.png"));
}

}  // namespace
}  // namespace veil
