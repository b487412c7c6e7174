#pragma once
// Encodes frames from a VideoSource into a new file that mirrors the input:
// same size, aspect ratio, colour tags, the exact presentation time of every
// frame, and (unless told otherwise) the metadata, rotation and the other
// streams, copied byte for byte.
//
// Usage: create the sink right after the source and before the first
// source.read(); it registers itself as the source's passthrough so that
// audio/subtitle packets flow straight into the output while frames are read.
// The source must outlive the sink. write() may run on another thread than
// read(): muxing is serialised internally.
#include "io/output_file.hpp"
#include "io/video_source.hpp"
#include "veil/io/frame_sink.hpp"
#include "veil/io/media_io.hpp"

#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

extern "C" {
#include <libavutil/rational.h>
struct AVStream;
}

namespace veil {

class VideoSink : public FrameSink {
 public:
  // Opens the encoder and writes the container header. `output` is a path
  // or an object URL (see open_output_file). Throws veil::Error naming
  // `output` when it cannot be written or the options are invalid.
  VideoSink(const std::string& output, VideoSource& source, const VideoEncodeOptions& options,
            const StorageOptions& storage = {});
  ~VideoSink() override;
  VideoSink(const VideoSink&) = delete;
  VideoSink& operator=(const VideoSink&) = delete;

  // `frame.pts` must be the source's pts (strictly increasing). The image
  // must be 8-bit BGR; another size than the input's is scaled back to it.
  void write(const Frame& frame) override;
  void finish() override;

  // Stops using the source, which may then go (a live input reconnecting
  // through a new source). Later frames may come from another source; their
  // pts must then be in time_base(). The last frame lasts as long as the
  // step before it.
  void release_source();
  // The time base of Frame::pts given to write(): the first source's video
  // stream's.
  AVRational time_base() const;
  // After release_source(): muxes a packet of another stream as the copy
  // of the first source's stream `first_source_stream` (ignored when that
  // stream is not copied). Its timestamps are in `time_base`, on the
  // output's timeline. Any thread; takes the packet's contents.
  void write_copied(AVPacket* pkt, int first_source_stream, AVRational time_base);
  // Whether the first source's stream `index` is copied into the output.
  bool copies_stream(int index) const;

 private:
  struct OutputDeleter {
    void operator()(AVFormatContext* p) const;  // closes the file too
  };

  void open_container(const VideoEncodeOptions& options);
  void add_video_stream(const VideoEncodeOptions& options);
  void add_copied_streams();
  void copy_metadata();
  void on_passthrough(AVPacket* pkt);
  // Sends `frame` (nullptr flushes) and queues every packet the encoder emits.
  void encode(AVFrame* frame);
  cv::Mat whole_picture(const Frame& frame) const;
  void convert(const cv::Mat& image);  // BGR into frame_
  // Muxes queued packets whose duration is known (all of them at the end).
  void send_ready_packets(bool at_end);
  void mux(AVPacket* pkt);  // caller holds mux_mutex_
  [[noreturn]] void fail(const std::string& what, int err = 0) const;

  VideoSource* source_;  // null after release_source()
  std::unique_ptr<OutputFile> file_;
  bool strip_metadata_;
  bool copy_streams_;
  std::unique_ptr<AVFormatContext, OutputDeleter> output_;
  av::Ptr<AVCodecContext> encoder_;
  av::Ptr<AVFrame> frame_;
  av::Ptr<AVPacket> packet_;
  av::Ptr<SwsContext> sws_;
  AVStream* video_out_ = nullptr;
  std::vector<int> stream_map_;  // input stream index -> output index, or -1
  int video_in_index_ = -1;      // the first source's video stream

  // Each frame's duration, known once the next frame arrives; keyed by pts
  // and consumed when the encoder returns that frame's packet. Only matters
  // for the last frame in mp4, but mkv and gif use every value.
  std::map<std::int64_t, std::int64_t> durations_;
  std::deque<av::Ptr<AVPacket>> waiting_;  // encoded, in dts order
  std::int64_t last_pts_ = 0;
  std::int64_t last_step_ = 1;
  std::int64_t frames_written_ = 0;
  int sws_width_ = 0, sws_height_ = 0;

  std::mutex mux_mutex_;
  bool finished_ = false;
};

}  // namespace veil
