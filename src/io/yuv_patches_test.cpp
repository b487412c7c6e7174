// Patches of a decoded picture: converted alone, they must give the same
// BGR as the whole picture's conversion, and writing one back must leave
// every other pixel of the picture as it was.
#include "io/yuv_patches.hpp"

#include "io/video_source.hpp"
#include "test_paths.hpp"

#include <gtest/gtest.h>

extern "C" {
#include <libavutil/frame.h>
}

namespace veil {
namespace {

TEST(YuvPatches, AnAreaConvertsAsTheWholePictureDoes) {
  VideoSource source(test::video_dir() / "CarND-Vehicle-Detection_test_video.mp4");
  Frame frame;
  ASSERT_TRUE(source.read(frame));
  ASSERT_TRUE(patchable(frame.decoded.get()));
  const cv::Size size = frame.image.size();
  for (const cv::Rect area : {cv::Rect(0, 0, 64, 48), cv::Rect(100, 202, 38, 20), cv::Rect(640, 360, 200, 120),
                              cv::Rect(size.width - 50, size.height - 30, 50, 30), cv::Rect(0, 0, size.width, size.height)}) {
    const cv::Mat patch = bgr_of_area(frame.decoded.get(), area);
    cv::Mat diff;
    cv::absdiff(patch, frame.image(area), diff);
    double worst = 0;
    cv::Point where;
    cv::minMaxLoc(diff.reshape(1), nullptr, &worst, nullptr, &where);
    EXPECT_EQ(worst, 0) << "area " << area << ": differs at " << where;
  }
}

}  // namespace
}  // namespace veil
