// Locations as Veil names them in messages.
#include "veil/io/media_io.hpp"

#include <gtest/gtest.h>

namespace veil {
namespace {

TEST(WithoutCredentials, DropsTheUserAndPasswordOfAUrlOnly) {
  EXPECT_EQ(without_credentials("rtsp://admin:s3cret@10.0.0.7:554/stream1"), "rtsp://10.0.0.7:554/stream1");
  EXPECT_EQ(without_credentials("nats://token@nats.veil.svc:4222"), "nats://nats.veil.svc:4222");
  EXPECT_EQ(without_credentials("srt://cam:9000?passphrase=x"), "srt://cam:9000?passphrase=x");
  EXPECT_EQ(without_credentials("http://cam/a@b.mp4"), "http://cam/a@b.mp4") << "an @ in the path is not a user";
  EXPECT_EQ(without_credentials("s3://bucket/key"), "s3://bucket/key");
  EXPECT_EQ(without_credentials("/videos/me@home.mp4"), "/videos/me@home.mp4");
}

}  // namespace
}  // namespace veil
