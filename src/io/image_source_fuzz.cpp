// Fuzz target: still images through Veil's image reader, from memory.
#include "io/image_io.hpp"
#include "memory_object_reader.hpp"
#include "veil/core/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    veil::test::MemoryObjectReader object(data, size, "fuzz://image.jpg");
    veil::ImageSource source(object);
    veil::Frame frame;
    source.read(frame);
  } catch (const veil::Error&) {
  }
  return 0;
}
