#include "veil/io/media_io.hpp"

#include "io/image_io.hpp"
#include "io/video_sink.hpp"
#include "io/video_source.hpp"
#include "veil/core/error.hpp"

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

std::string without_credentials(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const auto host = scheme + 3;
  const auto end = url.find_first_of("/?#", host);
  const auto at = url.rfind('@', end == std::string::npos ? std::string::npos : end);
  if (at == std::string::npos || at < host) return url;
  return url.substr(0, host) + url.substr(at + 1);
}

bool is_stream_url(const std::string& location) {
  const auto colon = location.find("://");
  if (colon == std::string::npos || colon == 0 || is_object_url(location)) return false;
  return std::all_of(location.begin(), location.begin() + colon,
                     [](unsigned char c) { return std::isalnum(c) || c == '+' || c == '-' || c == '.'; });
}

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

std::unique_ptr<FrameSource> open_source(const std::string& input, const StorageOptions& storage) {
  std::error_code ec;
  if (!is_object_url(input) && !fs::exists(input, ec)) throw Error(input + ": no such file");
  const MediaKind kind = media_kind_for_path(input);
  if (kind == MediaKind::kUnknown) {
    throw Error(input + ": unsupported file type '" + fs::path(input).extension().string() +
                "' (expected a video such as .mp4/.mov/.mkv/.avi or an image such as .jpg/.png)");
  }
  if (is_object_url(input)) {
    ObjectLocation loc = open_object_location(input, storage);
    std::unique_ptr<ObjectReader> reader = loc.store->open(loc.key);
    if (kind == MediaKind::kImage) return std::make_unique<ImageSource>(*reader);
    return std::make_unique<VideoSource>(std::move(reader));
  }
  if (kind == MediaKind::kImage) return std::make_unique<ImageSource>(input);
  return std::make_unique<VideoSource>(fs::path(input));
}

std::unique_ptr<FrameSink> open_sink(const std::string& output, FrameSource& source,
                                     const VideoEncodeOptions& options, const StorageOptions& storage) {
  MediaKind out_kind = media_kind_for_path(output);
  if (out_kind == MediaKind::kUnknown) {
    throw Error(output + ": unsupported output type '" + fs::path(output).extension().string() + "'");
  }
  if (auto* video = dynamic_cast<VideoSource*>(&source)) {
    if (out_kind != MediaKind::kVideo) {
      throw Error(output + ": a video input needs a video output (.mp4, .mov, .mkv, ...)");
    }
    return std::make_unique<VideoSink>(output, *video, options, storage);
  }
  if (out_kind != MediaKind::kImage) {
    throw Error(output + ": an image input needs an image output (.jpg, .png, ...)");
  }
  return std::make_unique<ImageSink>(output, storage);
}

}  // namespace veil
