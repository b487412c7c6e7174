#pragma once
// Opens the right source and sink for a location: a local path or an object
// URL (s3://bucket/key). New kinds of input and output (live streams) plug
// in here without touching the pipeline.
#include "veil/io/frame_sink.hpp"
#include "veil/io/frame_source.hpp"
#include "veil/storage/object_store.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace veil {

enum class MediaKind { kVideo, kImage, kUnknown };

// By extension (case-insensitive): mp4 mov mkv avi m4v webm gif ... are
// videos; jpg jpeg png bmp tif tiff webp are images.
MediaKind media_kind_for_path(const std::filesystem::path& path);

struct VideoEncodeOptions {
  std::string codec = "h264";         // "h264" (libx264) or "h265" (libx265)
  std::optional<int> crf;             // none: the codec's default chosen by Veil
  std::string preset = "medium";      // x264/x265 preset
  bool strip_metadata = false;        // drop container/stream tags and side data
  bool copy_other_streams = true;     // audio, subtitles, data

  // A live output (a stream URL or an HLS playlist): written as frames come,
  // with no temporary file, a keyframe every `keyframe_seconds`, and an
  // encoder that holds no frames back (x264/x265 tune zerolatency).
  bool live = false;
  double keyframe_seconds = 1.0;
  // The container by FFmpeg's name (mpegts, hls, flv, rtsp, ...); empty:
  // from the destination's extension, or for a stream URL its scheme
  // (udp, srt, tcp: mpegts; rtmp: flv; rtsp: rtsp).
  std::string format;
  // Muxer and protocol options, as FFmpeg names them (hls_time=2, ...).
  std::vector<std::pair<std::string, std::string>> muxer_options;
};

// True for a URL with a scheme FFmpeg opens itself (rtsp://, udp://, srt://,
// http://, ...); false for local paths and object URLs (s3://).
bool is_stream_url(const std::string& location);

// `url` for messages, logs and probes: "rtsp://user:secret@cam/x" gives
// "rtsp://cam/x". Anything that is not a URL is returned as it is.
std::string without_credentials(const std::string& url);

// Throws veil::Error naming the input when it is missing or unreadable.
std::unique_ptr<FrameSource> open_source(const std::string& input, const StorageOptions& storage = {});

// The sink for `output`, configured from the source it mirrors (size, timing,
// and for video the streams to copy). Nothing appears at `output` until the
// sink's finish(). Throws veil::Error.
std::unique_ptr<FrameSink> open_sink(const std::string& output, FrameSource& source,
                                     const VideoEncodeOptions& options, const StorageOptions& storage = {});

}  // namespace veil
