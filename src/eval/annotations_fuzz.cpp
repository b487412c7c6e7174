// Fuzz target: every annotation format of `veil eval` (VOC XML, OpenALPR,
// WIDER, COCO, Veil's sidecar). The first byte picks the format; the rest
// is written where the loader looks (a file, or a file in a folder).
#include "veil/core/error.hpp"
#include "veil/eval/ground_truth.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace {
fs::path work_dir() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("veil-fuzz-annotations-" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
  }();
  return dir;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static const struct {
    veil::AnnotationFormat format;
    const char* file;  // relative to the path given to the loader
    bool folder;
  } kinds[] = {{veil::AnnotationFormat::kVoc, "a.xml", true},
               {veil::AnnotationFormat::kOpenAlpr, "a.txt", true},
               {veil::AnnotationFormat::kWider, "bbx_gt.txt", false},
               {veil::AnnotationFormat::kCoco, "a.json", false},
               {veil::AnnotationFormat::kVeil, "a.jsonl", false}};
  const auto& kind = kinds[data[0] % 5];
  const fs::path folder = work_dir() / "ann";
  fs::remove_all(folder);
  fs::create_directories(folder);
  const fs::path file = folder / kind.file;
  std::ofstream(file, std::ios::binary).write(reinterpret_cast<const char*>(data + 1), std::streamsize(size - 1));
  try {
    veil::load_ground_truth(kind.folder ? folder : file, kind.format);
  } catch (const veil::Error&) {
  }
  return 0;
}
