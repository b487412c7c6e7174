// The sidecar's edits (exclusions, manual keyframes) and its error messages.
#include "veil/sidecar/sidecar.hpp"

#include "veil/core/error.hpp"

#include "test_paths.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace veil {
namespace {

Sidecar parse(const std::string& text) {
  std::istringstream in(text);
  return Sidecar::parse(in, "s.jsonl");
}

// The message parse() throws for `text`.
std::string error_for(const std::string& text) {
  try {
    parse(text);
  } catch (const Error& ex) {
    return ex.what();
  }
  return "(no error)";
}

std::string frame_line(int index, const std::string& detections) {
  return R"({"file":"c.mp4","index":)" + std::to_string(index) + R"(,"pts":)" + std::to_string(index * 0.04) +
         R"(,"detections":[)" + detections + "]}\n";
}

TEST(Sidecar, ExcludedObjectsAndTracksAreNotHidden) {
  const std::string face3 = R"({"class":"face","score":0.9,"box":[10,10,20,20],"track":3})";
  const std::string face4 = R"({"class":"face","score":0.8,"box":[50,10,20,20],"track":4})";
  const std::string plate = R"({"class":"plate","score":0.7,"box":[90,60,40,12],"excluded":true})";
  Sidecar s = parse(frame_line(0, face3 + "," + face4 + "," + plate) + frame_line(1, face3 + "," + face4) +
                    R"({"file":"c.mp4","track":4,"excluded":true})" + "\n");
  const SidecarMedia* m = s.find("c.mp4");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->frames().size(), 2u);
  EXPECT_TRUE(m->track_excluded(4));
  for (int i : {0, 1}) {
    Detections hide = m->to_hide(i);
    ASSERT_EQ(hide.size(), 1u) << "frame " << i;
    EXPECT_EQ(hide[0].track_id, 3);
  }
  EXPECT_EQ(s.find("other.mp4"), nullptr);
}

TEST(Sidecar, ManualKeyframesAreInterpolatedBetweenFirstAndLast) {
  std::string text;
  for (int i = 0; i <= 30; ++i) {
    std::string d;
    if (i == 10) d = R"({"class":"plate","box":[100,50,40,10],"track":900,"source":"manual"})";
    if (i == 20) d = R"({"class":"plate","box":[200,150,60,30],"track":900,"source":"manual"})";
    text += frame_line(i, d);
  }
  Sidecar s = parse(text);
  const SidecarMedia& m = *s.find("c.mp4");
  EXPECT_TRUE(m.to_hide(9).empty());
  EXPECT_TRUE(m.to_hide(21).empty());
  ASSERT_EQ(m.to_hide(10).size(), 1u);
  EXPECT_EQ(m.to_hide(10)[0].box, cv::Rect2f(100, 50, 40, 10));
  const Detections mid = m.to_hide(15);
  ASSERT_EQ(mid.size(), 1u);
  EXPECT_EQ(mid[0].cls, ObjectClass::kPlate);
  EXPECT_EQ(mid[0].model, "manual");
  EXPECT_EQ(mid[0].box, cv::Rect2f(150, 100, 50, 20));
  EXPECT_EQ(m.to_hide(20)[0].box, cv::Rect2f(200, 150, 60, 30));

  // Excluding the manual track removes all of it.
  Sidecar excluded = parse(text + R"({"file":"c.mp4","track":900,"excluded":true})" + "\n");
  for (int i = 0; i <= 30; ++i) EXPECT_TRUE(excluded.find("c.mp4")->to_hide(i).empty());
}

TEST(Sidecar, ErrorsNameTheLineAndTheField) {
  const std::string ok = frame_line(0, "");
  EXPECT_EQ(error_for(ok + "{\"file\":\"c.mp4\",\"index\":1,\n"), "s.jsonl:2: not valid JSON (at byte 27)");
  EXPECT_EQ(error_for(ok + frame_line(1, R"({"class":"face","box":[1,2,3]})")),
            "s.jsonl:2: detections[0].box: expected [x, y, width, height], got [1,2,3]");
  EXPECT_EQ(error_for(ok + frame_line(1, R"({"class":"face","box":[1,2,3,4]},{"class":"car","box":[1,2,3,4]})")),
            "s.jsonl:2: detections[1].class: expected \"face\" or \"plate\", got \"car\"");
  EXPECT_EQ(error_for(ok + frame_line(1, R"({"class":"face","box":[1,2,0,4]})")),
            "s.jsonl:2: detections[0].box: width and height must be above 0, got [1,2,0,4]");
  EXPECT_EQ(error_for(ok + frame_line(1, R"({"class":"face","box":[1,2,3,4],"source":"manual"})")),
            "s.jsonl:2: detections[0].track: a manual object needs a track id (its keyframes share it)");
  EXPECT_EQ(error_for(ok + frame_line(1, R"({"class":"face","box":[1,2,3,4],"excluded":"yes"})")),
            "s.jsonl:2: detections[0].excluded: expected true or false, got \"yes\"");
  EXPECT_EQ(error_for(ok + ok), "s.jsonl:2: index: frame 0 of c.mp4 is already on line 1");
  EXPECT_EQ(error_for(ok + R"({"index":1,"detections":[]})" + "\n"), "s.jsonl:2: file: missing");
  EXPECT_EQ(error_for(ok + R"({"file":"c.mp4","track":-2,"excluded":true})" + "\n"),
            "s.jsonl:2: track: expected a track id (an integer >= 0), got -2");
  EXPECT_EQ(error_for("\n"), "s.jsonl: empty: no frames listed");
  // Found by fuzzing (sidecar_fuzz): it ended the process instead.
  EXPECT_EQ(error_for(ok + R"({"file":"c.mp4","index":1,"pts":1e999,"detections":[]})" + "\n"),
            "s.jsonl:2: not valid JSON (a number out of range)");
}

std::string header_line(const std::string& input) {
  return R"({"veil":"0.1.0","file":"c.mp4","written":"2026-12-04T14:00:00Z","models":[{"name":"yunet-face",)"
         R"("file":"yunet/face_detection_yunet_2023mar.onnx","sha256":")" + std::string(64, 'a') +
         R"(","licence":"MIT"}],"options":{"sweep":4},"input":)" + input + "}\n";
}

const std::string kFusedFace =
    R"({"class":"face","score":0.9,"box":[10,10,20,20],"track":3,"model":"yunet-face","found_by":[)"
    R"({"model":"yunet-face","score":0.9,"box":[10,10,20,20]},{"model":"retinaface-face","score":0.8,"box":[8,9,24,25]}]})";

TEST(Sidecar, HeaderAndFusedObjectsAreRead) {
  Sidecar s = parse(header_line(R"({"name":"c.mp4","bytes":1234,"width":64,"height":48,"frames":2,"duration":0.08})") +
                    frame_line(0, kFusedFace) + frame_line(1, ""));
  const SidecarMedia& m = *s.find("c.mp4");
  ASSERT_TRUE(m.header());
  EXPECT_EQ(m.header()->veil, "0.1.0");
  EXPECT_EQ(m.header()->bytes, 1234);
  EXPECT_EQ(m.header()->frames, 2);
  EXPECT_EQ(m.frames().size(), 2u);
  const Detections hide = m.to_hide(0);
  ASSERT_EQ(hide.size(), 1u);
  ASSERT_EQ(hide[0].found_by.size(), 2u);
  EXPECT_EQ(hide[0].found_by[1].model, "retinaface-face");
  EXPECT_FLOAT_EQ(hide[0].found_by[1].score, 0.8f);
  EXPECT_EQ(hide[0].found_by[1].box, cv::Rect2f(8, 9, 24, 25));

  // A sidecar made before headers has none, and reads as before.
  EXPECT_FALSE(parse(frame_line(0, "")).find("c.mp4")->header());
  EXPECT_EQ(error_for(header_line(R"({"name":"c.mp4","frames":-3})") + frame_line(0, "")),
            "s.jsonl:1: input.frames: expected an integer >= 0 or null, got -3");
  EXPECT_EQ(error_for(header_line(R"({"name":"c.mp4"})") + header_line(R"({"name":"c.mp4"})")),
            "s.jsonl:2: veil: a second header line for c.mp4 (the first is on line 1)");
  EXPECT_EQ(error_for(frame_line(0, R"({"class":"face","box":[1,2,3,4],"found_by":[{"model":"a","box":[1,2,3,4]}]})")),
            "s.jsonl:1: detections[0].found_by: expected a list of two or more models' sightings, got "
            R"([{"box":[1,2,3,4],"model":"a"}])");
}

// People and vehicles are read for review, never hidden by render.
TEST(Sidecar, ContextIsReadAndNotHidden) {
  Sidecar s = parse(std::string(R"({"file":"c.mp4","index":0,"pts":0,"detections":[{"class":"face","box":[10,10,20,20]}],)"
                                R"("context":[{"class":"person","score":0.8,"box":[1,2,30,60]},{"class":"vehicle","box":[5,5,40,20]}]})") +
                    "\n");
  const SidecarMedia& m = *s.find("c.mp4");
  const SidecarFrame& f = m.frames().at(0);
  ASSERT_EQ(f.context.size(), 2u);
  EXPECT_EQ(f.context[0].cls, ObjectClass::kPerson);
  EXPECT_FLOAT_EQ(f.context[0].score, 0.8f);
  EXPECT_EQ(f.context[1].cls, ObjectClass::kVehicle);
  EXPECT_EQ(f.context[1].box, cv::Rect2f(5, 5, 40, 20));
  const Detections hide = m.to_hide(0);
  ASSERT_EQ(hide.size(), 1u);
  EXPECT_EQ(hide[0].cls, ObjectClass::kFace);
  EXPECT_EQ(error_for(std::string(R"({"file":"c.mp4","index":0,"detections":[],"context":[{"class":"face","box":[1,2,3,4]}]})") + "\n"),
            R"(s.jsonl:1: context[0].class: expected "person" or "vehicle", got "face")");
}

// docs/sidecar.schema.json (what other tools read) and Veil's reader accept
// and refuse the same lines.
TEST(Sidecar, PublishedSchemaAgreesWithTheReader) {
  const std::filesystem::path dir = test::make_temp_dir("schema");
  const std::string check = "/usr/bin/python3 " + test::quoted(std::filesystem::path(VEIL_SOURCE_DIR) / "src/sidecar/check_schema.py");
  auto schema_accepts = [&](const std::string& text) {
    std::ofstream(dir / "s.jsonl") << text;
    std::string out;
    const int rc = test::run_command(check + " " + test::quoted(dir / "s.jsonl"), &out);
    EXPECT_TRUE(rc == 0 || out.find("s.jsonl:") != std::string::npos) << "the checker failed: " << out;
    return rc == 0;
  };
  auto reader_accepts = [](const std::string& text) {
    try {
      parse(text);
      return true;
    } catch (const Error&) {
      return false;
    }
  };
  const std::string good =
      frame_line(0, R"({"class":"face","score":0.9,"box":[10,10,20,20],"track":3,"model":"yunet-face","predicted":true},)"
                    R"({"class":"plate","score":0.7,"box":[90,60,40,12],"corners":[[90,60],[130,60],[130,72],[90,72]],"excluded":true})") +
      frame_line(1, R"({"class":"face","box":[1,2,3,4],"track":900,"source":"manual"})") +
      R"({"file":"c.mp4","track":3,"excluded":true})" + "\n" + R"({"file":"c.mp4","index":2,"pts":null,"detections":[]})" + "\n" +
      header_line(R"({"name":"c.mp4","bytes":1234,"width":64,"height":48,"frames":3,"duration":null})") +
      frame_line(3, kFusedFace) +
      R"({"file":"c.mp4","index":4,"pts":null,"detections":[],"context":[{"class":"person","score":0.8,"box":[1,2,30,60]},{"class":"vehicle","box":[5,5,40,20]}]})" + "\n";
  EXPECT_TRUE(reader_accepts(good));
  EXPECT_TRUE(schema_accepts(good));
  for (const std::string bad : {
           frame_line(1, R"({"class":"face","box":[1,2,3]})"),
           frame_line(1, R"({"class":"car","box":[1,2,3,4]})"),
           frame_line(1, R"({"class":"face","box":[1,2,0,4]})"),
           frame_line(1, R"({"class":"face","box":[1,2,3,4],"source":"manual"})"),
           frame_line(1, R"({"class":"face","box":[1,2,3,4],"source":"robot","track":1})"),
           frame_line(1, R"({"class":"face","box":[1,2,3,4],"excluded":"yes"})"),
           frame_line(1, R"({"class":"face","box":[1,2,3,4],"score":1.5})"),
           frame_line(1, R"({"class":"plate","box":[1,2,3,4],"corners":[[1,2],[3,4]]})"),
           std::string(R"({"index":1,"detections":[]})") + "\n",
           std::string(R"({"file":"c.mp4","index":-1,"detections":[]})") + "\n",
           std::string(R"({"file":"c.mp4","track":-2,"excluded":true})") + "\n",
           std::string(R"({"file":"c.mp4","excluded":true})") + "\n",
           frame_line(1, R"({"class":"face","box":[1,2,3,4],"found_by":[{"model":"a","box":[1,2,3,4]}]})"),
           frame_line(1, R"({"class":"face","box":[1,2,3,4],"found_by":[{"box":[1,2,3,4]},{"model":"b","box":[1,2,3,4]}]})"),
           frame_line(1, R"({"class":"face","box":[1,2,3,4],"found_by":[{"model":"a","box":[1,2,3]},{"model":"b","box":[1,2,3,4]}]})"),
           std::string(R"({"file":"c.mp4","index":1,"detections":[],"context":[{"class":"face","box":[1,2,3,4]}]})") + "\n",
           std::string(R"({"file":"c.mp4","index":1,"detections":[],"context":[{"class":"person","box":[1,2,3]}]})") + "\n",
           std::string(R"({"file":"c.mp4","index":1,"detections":[],"context":{"class":"person"}})") + "\n",
           frame_line(1, R"({"class":"person","box":[1,2,3,4]})"),
           header_line(R"({"name":"c.mp4","frames":-3})"),
           header_line("[]"),
           std::string(R"({"veil":"0.1.0","file":"c.mp4","written":"x","models":[],"options":{}})") + "\n",
           std::string(R"({"veil":"0.1.0","file":"c.mp4","written":"x","models":[],"options":{},"input":{"name":"c"},"detections":[]})") + "\n",
           std::string(R"({"veil":"0.1.0","file":"c.mp4","written":"x","models":[],"options":{},"input":{"name":"c"},"track":3})") + "\n",
       }) {
    EXPECT_FALSE(reader_accepts(bad)) << bad;
    EXPECT_FALSE(schema_accepts(bad)) << bad;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace veil
