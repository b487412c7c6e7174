// Fuzz target: container demux and video decode through Veil's VideoSource,
// from memory (the custom I/O path S3 inputs take), the first frames of
// whatever the bytes are. Seeds: short cuts of the clips in ../shared.
#include "io/video_source.hpp"
#include "memory_object_reader.hpp"
#include "veil/core/error.hpp"

extern "C" {
#include <libavutil/log.h>
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  av_log_set_level(AV_LOG_QUIET);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    veil::VideoSource source(std::make_unique<veil::test::MemoryObjectReader>(data, size, "fuzz://video"));
    source.set_passthrough([](AVPacket*) {});
    veil::Frame frame;
    for (int i = 0; i < 30 && source.read(frame); ++i) {
    }
  } catch (const veil::Error&) {
  }
  return 0;
}
