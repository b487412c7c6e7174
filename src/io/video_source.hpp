#pragma once
// Decodes the best video stream of a media file into 8-bit BGR frames.
// Internal to the library: users open media through open_source
// (veil/io/media_io.hpp), which returns this as a FrameSource.
//
// Every other packet the demuxer meets (audio, subtitles, data) is handed,
// untouched, to the passthrough callback, so that a VideoSink can copy those
// streams into the output without decoding them.
#include "io/picture_size_limit.hpp"
#include "veil/io/frame_source.hpp"
#include "veil/storage/object_store.hpp"

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

extern "C" {
struct AVCodecContext;
struct AVFormatContext;
struct AVFrame;
struct AVIOContext;
struct AVPacket;
struct SwsContext;
}

namespace veil {

// Owning pointers for libav objects, shared by VideoSource and VideoSink.
namespace av {
struct Deleter {
  void operator()(AVCodecContext* p) const;
  void operator()(AVFrame* p) const;
  void operator()(AVPacket* p) const;
  void operator()(SwsContext* p) const;
};
struct IoDeleter {
  void operator()(AVIOContext* p) const;  // frees the buffer and the callbacks' state too
};
struct InputDeleter {
  void operator()(AVFormatContext* p) const;  // avformat_close_input
};
template <typename T>
using Ptr = std::unique_ptr<T, Deleter>;
using InputPtr = std::unique_ptr<AVFormatContext, InputDeleter>;

// av_strerror as a std::string.
std::string error_text(int err);

// An enum field libav filled from the file (colour space, range, ...) may
// hold a value outside its enum when the file is crafted or damaged, and
// reading it as the enum type is undefined behaviour in C++ (found by
// fuzzing): read its bits as an int instead.
template <typename Enum>
int enum_value(const Enum& field) {
  static_assert(sizeof(Enum) == sizeof(int));
  int v;
  std::memcpy(&v, &field, sizeof v);
  return v;
}
// The same, as the enum when it is one of its first `count` values, else `fallback`.
template <typename Enum>
Enum valid_or(const Enum& field, int count, Enum fallback) {
  const int v = enum_value(field);
  return v >= 0 && v < count ? static_cast<Enum>(v) : fallback;
}

}  // namespace av

// How to open a live stream (see VideoSource's URL constructor).
struct StreamOpenOptions {
  // Demuxer and protocol options, as FFmpeg names them (rtsp_transport=tcp,
  // timeout=..., listen=1, ...).
  std::vector<std::pair<std::string, std::string>> options;
  // Polled by FFmpeg while it waits on the network; returning true aborts the
  // wait, and the call that waited throws veil::Error. Any thread's function;
  // it runs on the thread that calls the constructor or read().
  std::function<bool()> interrupt;
};

class VideoSource : public FrameSource {
 public:
  // Receives a non-video packet; pkt->stream_index is the input stream index
  // and timestamps are in that input stream's time base. The callback may
  // take the packet's contents (e.g. av_interleaved_write_frame); the source
  // unreferences the packet afterwards either way.
  using Passthrough = std::function<void(AVPacket* pkt)>;

  // Frames above this many pixels (8192x8192) are refused before any is
  // decoded: a crafted header must not make Veil allocate gigabytes.
  static constexpr std::int64_t kMaxFramePixels = kMaxPicturePixels;

  // Throws veil::Error naming `input` when it is missing, not a video, uses
  // a codec that cannot be decoded, or claims frames above kMaxFramePixels.
  explicit VideoSource(const std::filesystem::path& input);
  // Decodes a stored object as it is read (ranged reads, no download first).
  // Throws veil::Error naming the object's URL.
  explicit VideoSource(std::unique_ptr<ObjectReader> object);
  // Reads a stream from any URL FFmpeg's protocols open (rtsp, srt, udp,
  // tcp, http, hls, rtmp). Throws veil::Error naming the URL.
  VideoSource(const std::string& url, const StreamOpenOptions& options);
  ~VideoSource() override;
  VideoSource(const VideoSource&) = delete;
  VideoSource& operator=(const VideoSource&) = delete;

  // Frame::pts is in the video stream's time base and strictly increasing;
  // Frame::pts_seconds is the same instant in seconds.
  bool read(Frame& out) override;
  const SourceInfo& info() const override { return info_; }
  std::int64_t frames_missing() const override;

  // false: read() leaves Frame::image empty when Frame::decoded is planar
  // YUV (the usual case), for a caller that converts only the areas it
  // changes (veil render); other pictures are still converted. Default true.
  void set_bgr(bool bgr) { bgr_ = bgr; }
  // Planar YUV pictures get a fast, less exact YUV->BGR conversion (about
  // 5x faster at 1080p) and Frame::image_approximate, for a caller that only
  // detects on the image: redact_frame() then converts the areas it hides
  // from the decoded picture accurately, so the output's pixels are the
  // same either way (anonymize, eval, live). Call before the first read().
  void prefer_fast_image() override { fast_bgr_ = true; }

  // Must be set before the first read(): without a callback then, the other
  // streams are not read at all. Pass nullptr to stop delivering.
  void set_passthrough(Passthrough callback) { passthrough_ = std::move(callback); }
  // True once read() has pulled packets from the file.
  bool started() const { return started_; }

  AVFormatContext* format_context() const { return input_.get(); }
  int video_stream_index() const { return video_index_; }
  AVCodecContext* decoder() const { return decoder_.get(); }
  // Duration of the frame most recently returned by read(), in the stream's
  // time base (the container's value, else one nominal frame; at least 1).
  std::int64_t last_frame_duration() const { return last_duration_; }

 private:
  // Reads packets until one video packet went to the decoder (or the decoder
  // was told the input ended), passing the others through.
  void feed_decoder();
  void open_streams();  // after avformat_open_input
  void convert(const AVFrame* frame, Frame& out);
  [[noreturn]] void fail(const std::string& what, int err = 0) const;

  std::string name_;  // the path or URL, for messages
  std::function<bool()> interrupt_;  // a stream's; FFmpeg polls it through interrupt_callback
  SourceInfo info_;
  // Declared before input_: the demuxer must close before its I/O goes.
  std::unique_ptr<ObjectReader> object_;
  std::unique_ptr<AVIOContext, av::IoDeleter> io_;
  av::InputPtr input_;
  av::Ptr<AVCodecContext> decoder_;
  av::Ptr<AVFrame> frame_;
  av::Ptr<AVPacket> packet_;
  av::Ptr<SwsContext> sws_;
  int video_index_ = -1;
  Passthrough passthrough_;
  bool bgr_ = true;
  bool fast_bgr_ = false;
  bool started_ = false;
  bool input_ended_ = false;  // the decoder has been sent its flush packet
  bool warned_damage_ = false;

  std::int64_t next_index_ = 0;
  std::int64_t last_pts_ = 0;
  std::int64_t last_duration_ = 1;
  std::int64_t nominal_duration_ = 0;  // one frame at avg_frame_rate, or 0
  std::int64_t indexed_frames_ = 0;    // frames the container's index lists, or 0
  bool ended_ = false;                 // read() has returned false

  // What sws_ was configured for; rebuilt when a frame differs.
  int sws_width_ = 0, sws_height_ = 0, sws_format_ = -1, sws_colorspace_ = -1, sws_range_ = -1;
};

}  // namespace veil
