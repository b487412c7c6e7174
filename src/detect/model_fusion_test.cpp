// Fusion across models: the rule on made-up boxes, and on what YuNet and
// RetinaFace really report on crowded faces-dev photos.
#include "detect/model_fusion.hpp"

#include "veil/models/model_store.hpp"
#include "veil/pipeline/frame_analyzer.hpp"
#include "veil/redact/redactor.hpp"

#include "test_paths.hpp"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include <filesystem>

namespace veil {
namespace {

Detection face(const std::string& model, float score, cv::Rect2f box) {
  Detection d;
  d.cls = ObjectClass::kFace;
  d.model = model;
  d.score = score;
  d.box = box;
  return d;
}

TEST(ModelFusion, OneObjectPerOverlappingPairOfModels) {
  const Detections fused = fuse_models({
      face("yunet-face", 0.6f, {100, 100, 40, 50}),
      face("retinaface-face", 0.9f, {96, 92, 48, 60}),   // the same face, a larger box
      face("retinaface-face", 0.8f, {300, 100, 40, 50}),  // another face, one model only
      face("yunet-face", 0.7f, {145, 100, 40, 50}),       // a neighbour: touches, not the same
  });
  ASSERT_EQ(fused.size(), 3u);
  EXPECT_EQ(fused[0].model, "retinaface-face");  // the best-scoring member leads
  EXPECT_EQ(fused[0].box, cv::Rect2f(96, 92, 48, 60));
  ASSERT_EQ(fused[0].found_by.size(), 2u);
  EXPECT_EQ(fused[0].found_by[1].model, "yunet-face");
  EXPECT_EQ(fused[0].found_by[1].box, cv::Rect2f(100, 100, 40, 50));
  EXPECT_TRUE(fused[1].found_by.empty());
  EXPECT_TRUE(fused[2].found_by.empty());
}

TEST(ModelFusion, NeverJoinsTwoClassesNorChainsThroughAMember) {
  Detection plate = face("yolov8-plate", 0.5f, {100, 100, 40, 50});
  plate.cls = ObjectClass::kPlate;
  const Detections fused = fuse_models({
      face("yunet-face", 0.9f, {100, 100, 40, 50}),
      plate,
      face("retinaface-face", 0.8f, {120, 100, 40, 50}),  // IoU 0.33 with the seed: joins
      face("yunet-face", 0.7f, {140, 100, 40, 50}),       // IoU 0.33 with that member, none with the seed
  });
  ASSERT_EQ(fused.size(), 3u);  // best score first
  EXPECT_EQ(fused[0].found_by.size(), 2u);
  EXPECT_EQ(fused[1].box, cv::Rect2f(140, 100, 40, 50));
  EXPECT_TRUE(fused[1].found_by.empty());
  EXPECT_EQ(fused[2].cls, ObjectClass::kPlate);
  EXPECT_TRUE(fused[2].found_by.empty());
}

// A model's second box on one face (YuNet: a box shifted by part of a face,
// IoU 0.30-0.38, just past its NMS) joins the object too: otherwise it would
// be a second track on the face.
TEST(ModelFusion, AModelsSecondBoxOnTheObjectJoinsIt) {
  const Detections fused = fuse_models({face("retinaface-face", 0.9f, {100, 100, 40, 50}),
                                        face("yunet-face", 0.8f, {100, 102, 40, 50}),
                                        face("yunet-face", 0.5f, {100, 118, 40, 50})});
  ASSERT_EQ(fused.size(), 1u);
  EXPECT_EQ(fused[0].found_by.size(), 3u);
}

TEST(ModelFusion, TheFusedMaskIsTheUnionOfTheMembersMasks) {
  Detections fused = fuse_models({face("yunet-face", 0.9f, {100, 100, 30, 40}),
                                  face("retinaface-face", 0.8f, {104, 90, 34, 56})});
  ASSERT_EQ(fused.size(), 1u);
  const Redactor redactor({});
  cv::Mat all = cv::Mat::zeros(300, 300, CV_8U), union_of_members = all.clone();
  redactor.draw_mask(all, fused[0]);
  for (const Sighting& s : fused[0].found_by) {
    cv::Mat one = cv::Mat::zeros(all.size(), CV_8U);
    redactor.draw_mask(one, face(s.model, s.score, s.box));
    union_of_members |= one;
  }
  EXPECT_EQ(cv::countNonZero(union_of_members & ~all), 0) << "a member's pixel is left visible";
  EXPECT_GT(cv::countNonZero(all), cv::countNonZero(union_of_members) * 0.99);
}

// Real outputs: every box each model finds on its own comes out of the
// default line-up as a member of exactly one detection, the faces both
// models find become one detection, and the line-up hides every pixel
// either model alone would hide.
TEST(ModelFusion, YuNetAndRetinaFaceBoxesOfOneFaceBecomeOneDetection) {
  ModelStore store({test::model_dir(), test::make_temp_dir("fusion") / "cache", false});
  DetectionOptions both, yunet, retina;
  both.targets = yunet.targets = retina.targets = {ObjectClass::kFace};
  // Fusion alone: scene context would drop weak boxes of one model.
  both.context = yunet.context = retina.context = ContextMode::kOff;
  yunet.face_models = {"yunet-face"};
  retina.face_models = {"retinaface-face"};
  FrameAnalyzer a_both(both, store), a_yunet(yunet, store), a_retina(retina, store);
  const Redactor redactor({});
  std::size_t fused_pairs = 0;
  for (const char* photo : {"maksssksksss105.jpg", "maksssksksss0.jpg", "maksssksksss102.jpg"}) {
    const cv::Mat img = cv::imread((test::shared_dir() / "data/faces-dev/images" / photo).string());
    ASSERT_FALSE(img.empty()) << photo;
    const Detections fused = a_both.analyze(img);
    Detections alone = a_yunet.analyze(img);
    const Detections r = a_retina.analyze(img);
    alone.insert(alone.end(), r.begin(), r.end());

    std::size_t sightings = 0;
    cv::Mat hidden = cv::Mat::zeros(img.size(), CV_8U);
    for (const Detection& d : fused) {
      sightings += d.found_by.empty() ? 1 : d.found_by.size();
      if (d.found_by.size() == 2) {
        ++fused_pairs;
        EXPECT_NE(d.found_by[0].model, d.found_by[1].model);
      }
      redactor.draw_mask(hidden, d);
    }
    EXPECT_EQ(sightings, alone.size()) << photo << ": every model's box is in exactly one detection";
    EXPECT_LT(fused.size(), alone.size()) << photo;
    for (const Detection& d : alone) {
      cv::Mat one = cv::Mat::zeros(img.size(), CV_8U);
      redactor.draw_mask(one, d);
      EXPECT_EQ(cv::countNonZero(one & ~hidden), 0) << photo << ": " << d.model << " box at " << d.box << " uncovered";
    }
  }
  EXPECT_GE(fused_pairs, 10u);
}

}  // namespace
}  // namespace veil
