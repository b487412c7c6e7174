#include "veil/io/media_io.hpp"

#include "veil/core/error.hpp"
#include "veil/io/image_io.hpp"
#include "veil/io/video_sink.hpp"
#include "veil/io/video_source.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace veil {
namespace fs = std::filesystem;

namespace {

std::string lower_extension(const fs::path& p) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return std::tolower(c); });
  return e;
}

}  // namespace

MediaKind media_kind_for_path(const fs::path& path) {
  static const std::array<const char*, 12> videos = {".mp4", ".mov", ".mkv", ".avi", ".m4v", ".webm",
                                                     ".gif", ".ts",  ".mts", ".m2ts", ".flv", ".3gp"};
  static const std::array<const char*, 8> images = {".jpg", ".jpeg", ".png", ".bmp",
                                                    ".tif", ".tiff", ".webp", ".jp2"};
  std::string e = lower_extension(path);
  if (std::find(videos.begin(), videos.end(), e) != videos.end()) return MediaKind::kVideo;
  if (std::find(images.begin(), images.end(), e) != images.end()) return MediaKind::kImage;
  return MediaKind::kUnknown;
}

std::unique_ptr<FrameSource> open_source(const fs::path& input) {
  std::error_code ec;
  if (!fs::exists(input, ec)) throw Error(input.string() + ": no such file");
  switch (media_kind_for_path(input)) {
    case MediaKind::kImage: return std::make_unique<ImageSource>(input);
    case MediaKind::kVideo: return std::make_unique<VideoSource>(input);
    case MediaKind::kUnknown: break;
  }
  throw Error(input.string() + ": unsupported file type '" + input.extension().string() +
              "' (expected a video such as .mp4/.mov/.mkv/.avi or an image such as .jpg/.png)");
}

std::unique_ptr<FrameSink> open_sink(const fs::path& output, FrameSource& source,
                                     const VideoEncodeOptions& options) {
  MediaKind out_kind = media_kind_for_path(output);
  if (out_kind == MediaKind::kUnknown) {
    throw Error(output.string() + ": unsupported output type '" + output.extension().string() + "'");
  }
  if (auto* video = dynamic_cast<VideoSource*>(&source)) {
    if (out_kind != MediaKind::kVideo) {
      throw Error(output.string() + ": a video input needs a video output (.mp4, .mov, .mkv, ...)");
    }
    return std::make_unique<VideoSink>(output, *video, options);
  }
  if (out_kind != MediaKind::kImage) {
    throw Error(output.string() + ": an image input needs an image output (.jpg, .png, ...)");
  }
  return std::make_unique<ImageSink>(output);
}

}  // namespace veil
