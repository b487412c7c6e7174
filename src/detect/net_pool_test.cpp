// The shared network pool, on the real YuNet model: leases per shape, a
// bound on what is kept, and detectors that are safe to run from several
// threads at once.
#include "veil/detect/net_pool.hpp"

#include "test_paths.hpp"
#include "veil/core/error.hpp"
#include "veil/detect/onnx_model.hpp"
#include "veil/detect/yunet_face_detector.hpp"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include <future>

namespace veil {
namespace {

std::filesystem::path yunet() { return test::model_dir() / "yunet" / "face_detection_yunet_2023mar.onnx"; }

TEST(NetPool, LeasesAreReturnedAndBounded) {
  NetPool pool(read_model_bytes(yunet(), "face model"), "face model", 2);
  EXPECT_EQ(pool.idle(), 1u);  // built one at start-up
  {
    NetPool::Lease a = pool.borrow({320, 320});
    NetPool::Lease b = pool.borrow({320, 320});  // a second, while the first is out
    NetPool::Lease c = pool.borrow({640, 480});
    EXPECT_EQ(pool.idle(), 0u);
    cv::Mat blob(std::vector<int>{1, 3, 320, 320}, CV_32F, cv::Scalar(0));
    a.net().setInput(blob);
    b.net().setInput(blob);
    EXPECT_FALSE(a.net().forward().empty());
    EXPECT_FALSE(b.net().forward().empty());
    NetPool::Lease moved = std::move(c);  // given back once, by `moved`
  }
  EXPECT_EQ(pool.idle(), 2u);  // three came back, two are kept
}

TEST(NetPool, BadModelFailsAtOnce) {
  std::vector<uchar> junk = {'n', 'o', 't', ' ', 'o', 'n', 'n', 'x'};
  EXPECT_THROW(NetPool(junk, "face model", 2), Error);
}

// One detector instance, four threads, the same photo: every thread gets
// what a lone call gets.
TEST(NetPool, DetectorRunsFromManyThreadsAtOnce) {
  cv::Mat img = cv::imread((test::shared_dir() / "data/faces-dev/images/maksssksksss105.jpg").string());
  ASSERT_FALSE(img.empty());
  YuNetFaceDetector det(yunet(), YuNetOptions{});
  size_t alone = det.detect(img).size();
  ASSERT_GT(alone, 3u);
  std::vector<std::future<size_t>> runs;
  for (int i = 0; i < 4; ++i) {
    runs.push_back(std::async(std::launch::async, [&] {
      size_t n = 0;
      for (int k = 0; k < 3; ++k) n = det.detect(img).size();
      return n;
    }));
  }
  for (auto& r : runs) EXPECT_EQ(r.get(), alone);
}

}  // namespace
}  // namespace veil
