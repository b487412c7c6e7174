#include "io/video_source.hpp"

#include "io/yuv_colour.hpp"
#include "io/yuv_patches.hpp"

#include "veil/core/error.hpp"

#include <spdlog/spdlog.h>

#include <cstring>
#include <system_error>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/dict.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

namespace veil {
namespace fs = std::filesystem;

namespace av {
void Deleter::operator()(AVCodecContext* p) const { avcodec_free_context(&p); }
void Deleter::operator()(AVFrame* p) const { av_frame_free(&p); }
void Deleter::operator()(AVPacket* p) const { av_packet_free(&p); }
void Deleter::operator()(SwsContext* p) const { sws_freeContext(p); }
void InputDeleter::operator()(AVFormatContext* p) const { avformat_close_input(&p); }

std::string error_text(int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(err, buf, sizeof(buf));
  return buf;
}

}  // namespace av

namespace {

// Demuxers that accept almost anything or a single still picture. A text file
// opens as "tty" video and a JPEG as a one-frame "image2" stream; neither is a
// video, and still images have their own source.
bool is_non_video_demuxer(const char* name) {
  const std::string n = name;
  const bool image_pipe = n.size() > 5 && n.compare(n.size() - 5, 5, "_pipe") == 0;
  return n == "tty" || n == "image2" || n == "image2pipe" || (image_pipe && n != "gif_pipe");
}

bool is_yuv(AVPixelFormat fmt) {
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(fmt);
  return d && !(d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL)) && d->nb_components >= 3;
}

}  // namespace

namespace {

// libav's custom I/O callbacks over an ObjectReader: reads at a position,
// seeks by moving it. The reader's read-ahead keeps the network busy while
// the decoder works.
struct ObjectIo {
  ObjectReader* reader;
  std::int64_t position = 0;
  std::string error;  // the reader's message, reported instead of libav's EIO
};

int read_object(void* opaque, uint8_t* buf, int size) {
  auto* io = static_cast<ObjectIo*>(opaque);
  try {
    const std::size_t n = io->reader->read_at(io->position, buf, std::size_t(size));
    if (n == 0) return AVERROR_EOF;
    io->position += std::int64_t(n);
    return int(n);
  } catch (const std::exception& ex) {
    io->error = ex.what();
    return AVERROR(EIO);
  }
}

int64_t seek_object(void* opaque, int64_t offset, int whence) {
  auto* io = static_cast<ObjectIo*>(opaque);
  const std::int64_t size = io->reader->size();
  switch (whence & ~AVSEEK_FORCE) {
    case AVSEEK_SIZE: return size;
    case SEEK_SET: io->position = offset; break;
    case SEEK_CUR: io->position += offset; break;
    case SEEK_END: io->position = size + offset; break;
    default: return AVERROR(EINVAL);
  }
  return io->position;
}

}  // namespace

void av::IoDeleter::operator()(AVIOContext* p) const {
  if (!p) return;
  av_freep(&p->buffer);
  delete static_cast<ObjectIo*>(p->opaque);
  avio_context_free(&p);
}

VideoSource::VideoSource(const fs::path& input) : name_(input.string()) {
  std::error_code ec;
  if (!fs::exists(input, ec)) fail("file not found");
  if (!fs::is_regular_file(input, ec)) fail("not a regular file");
  AVFormatContext* ic = nullptr;
  int err = avformat_open_input(&ic, input.c_str(), nullptr, nullptr);
  if (err < 0) fail("not a readable media file", err);
  input_.reset(ic);
  open_streams();
  const auto bytes = fs::file_size(input, ec);
  if (!ec) info_.bytes = std::int64_t(bytes);
}

VideoSource::VideoSource(std::unique_ptr<ObjectReader> object) : name_(object->url()), object_(std::move(object)) {
  // 256 KiB per read call; the reader fetches larger ranges behind it.
  constexpr int kBufferSize = 256 << 10;
  auto* buffer = static_cast<unsigned char*>(av_malloc(kBufferSize));
  if (!buffer) fail("out of memory");
  auto* io = new ObjectIo{object_.get(), 0, {}};
  io_.reset(avio_alloc_context(buffer, kBufferSize, 0, io, read_object, nullptr, seek_object));
  if (!io_) {
    av_free(buffer);
    delete io;
    fail("out of memory");
  }
  AVFormatContext* ic = avformat_alloc_context();
  if (!ic) fail("out of memory");
  ic->pb = io_.get();
  ic->flags |= AVFMT_FLAG_CUSTOM_IO;
  // The key's name lets the demuxer use its extension as a hint.
  int err = avformat_open_input(&ic, name_.c_str(), nullptr, nullptr);  // frees ic on failure
  if (err < 0) fail("not a readable media file", err);
  input_.reset(ic);
  open_streams();
  info_.bytes = object_->size();
}

VideoSource::VideoSource(const std::string& url, const StreamOpenOptions& options)
    : name_(url), interrupt_(options.interrupt) {
  AVFormatContext* ic = avformat_alloc_context();
  if (!ic) fail("out of memory");
  if (interrupt_) {
    ic->interrupt_callback.callback = [](void* self) -> int {
      return static_cast<VideoSource*>(self)->interrupt_() ? 1 : 0;
    };
    ic->interrupt_callback.opaque = this;
  }
  AVDictionary* dict = nullptr;
  for (const auto& [key, value] : options.options) av_dict_set(&dict, key.c_str(), value.c_str(), 0);
  int err = avformat_open_input(&ic, url.c_str(), nullptr, &dict);  // frees ic on failure
  // An option no demuxer or protocol took is a typo the user should hear of.
  std::string unused;
  for (const AVDictionaryEntry* e = nullptr; (e = av_dict_get(dict, "", e, AV_DICT_IGNORE_SUFFIX));) {
    unused += (unused.empty() ? "" : ", ") + std::string(e->key);
  }
  av_dict_free(&dict);
  if (err < 0) fail("cannot open the stream", err);
  input_.reset(ic);
  if (!unused.empty()) fail("unknown input option " + unused + " for this stream");
  open_streams();
}

void VideoSource::open_streams() {
  info_.description = name_;
  info_.is_video = true;
  AVFormatContext* ic = input_.get();
  int err = 0;
  if (is_non_video_demuxer(ic->iformat->name)) {
    fail(std::string("not a video file (detected as '") + ic->iformat->name + "')");
  }
  // Finding the stream information decodes the first frames; their decoders
  // get the same size limit as ours below, so that a crafted frame is not
  // allocated while Veil is only looking.
  std::vector<AVDictionary*> probe_options(ic->nb_streams, nullptr);
  for (AVDictionary*& o : probe_options) av_dict_set_int(&o, "max_pixels", kMaxFramePixels, 0);
  err = avformat_find_stream_info(ic, probe_options.empty() ? nullptr : probe_options.data());
  for (AVDictionary*& o : probe_options) av_dict_free(&o);
  if (err < 0) fail("cannot read stream information", err);

  video_index_ = av_find_best_stream(ic, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  // Cover art in an audio file is a "video stream" of one picture.
  if (video_index_ < 0 || (ic->streams[video_index_]->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
    fail("contains no video stream");
  }
  AVStream* st = ic->streams[video_index_];
  const AVCodec* codec = avcodec_find_decoder(st->codecpar->codec_id);
  if (!codec) {
    fail(std::string("unsupported video codec '") + avcodec_get_name(st->codecpar->codec_id) + "'");
  }
  if (st->codecpar->width <= 0 || st->codecpar->height <= 0) {
    // Also what a first frame above the limit leaves: the probe refused to
    // decode it (FFmpeg's message above names its size).
    fail("cannot determine the video's frame size: damaged, or its pictures are " + over_picture_limit_text());
  }
  // A 60-byte GIF may claim 16000x16000: every frame of it would take 768 MB
  // as BGR, and the look-ahead holds several (such a file once took 24 GB).
  // No camera Veil serves comes near the limit (8K video is 33 megapixels).
  const std::int64_t pixels = std::int64_t(st->codecpar->width) * st->codecpar->height;
  if (pixels > kMaxFramePixels) {
    fail("frame size " + std::to_string(st->codecpar->width) + "x" + std::to_string(st->codecpar->height) +
         " is " + over_picture_limit_text());
  }

  decoder_.reset(avcodec_alloc_context3(codec));
  if (!decoder_) fail("out of memory");
  err = avcodec_parameters_to_context(decoder_.get(), st->codecpar);
  if (err < 0) fail("cannot configure the video decoder", err);
  decoder_->pkt_timebase = st->time_base;
  decoder_->thread_count = 0;  // one per core
  if (interrupt_) {
    // Live: frame threads hold one frame each before the first comes out;
    // slice threads add no delay.
    decoder_->thread_type = FF_THREAD_SLICE;
    decoder_->flags |= AV_CODEC_FLAG_LOW_DELAY;
  }
  // By default H.264 drops frames it cannot fully reconstruct (e.g. before
  // the first keyframe). Dropping would shift the timeline silently; a
  // damaged frame is better: the detector sees exactly what will be written.
  decoder_->flags |= AV_CODEC_FLAG_OUTPUT_CORRUPT;
  // The header's size was checked above, but a stream may change size at
  // any keyframe (VP8, H.264 and others): fuzzing found a 2 KB WebM whose
  // 96x54 header led to a 8413x13824 frame. The decoder refuses such a frame
  // before allocating it; read() then fails, and convert() checks again.
  decoder_->max_pixels = kMaxFramePixels;
  err = avcodec_open2(decoder_.get(), codec, nullptr);
  if (err < 0) fail(std::string("cannot open the ") + codec->name + " decoder", err);

  frame_.reset(av_frame_alloc());
  packet_.reset(av_packet_alloc());
  if (!frame_ || !packet_) fail("out of memory");

  info_.width = st->codecpar->width;
  info_.height = st->codecpar->height;
  const AVRational fps = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
  if (fps.num > 0 && fps.den > 0) {
    nominal_duration_ = av_rescale_q(1, av_inv_q(fps), st->time_base);
  }
  if (st->duration > 0) {
    info_.duration_seconds = st->duration * av_q2d(st->time_base);
  } else if (ic->duration > 0) {
    info_.duration_seconds = ic->duration / static_cast<double>(AV_TIME_BASE);
  }
  if (st->nb_frames > 0) {
    info_.frame_count = st->nb_frames;
    indexed_frames_ = st->nb_frames;
  } else if (fps.num > 0 && fps.den > 0) {
    double seconds = 0;
    if (st->duration > 0) {
      seconds = st->duration * av_q2d(st->time_base);
    } else if (ic->duration > 0) {
      seconds = ic->duration / static_cast<double>(AV_TIME_BASE);
    }
    if (seconds > 0) info_.frame_count = static_cast<std::int64_t>(seconds * av_q2d(fps) + 0.5);
  }
}

VideoSource::~VideoSource() = default;

std::int64_t VideoSource::frames_missing() const {
  if (!ended_ || indexed_frames_ <= 0) return 0;
  return std::max<std::int64_t>(0, indexed_frames_ - next_index_);
}

void VideoSource::fail(const std::string& what, int err) const {
  std::string msg = name_ + ": " + what;
  const std::string io_error = io_ ? static_cast<const ObjectIo*>(io_->opaque)->error : "";
  if (!io_error.empty()) {
    msg += " (" + io_error + ")";
  } else if (err < 0) {
    msg += " (" + av::error_text(err) + ")";
  }
  throw Error(msg);
}

bool VideoSource::read(Frame& out) {
  if (!started_) {
    started_ = true;
    // Nobody wants the other streams: let the demuxer skip them.
    if (!passthrough_) {
      for (unsigned i = 0; i < input_->nb_streams; ++i) {
        if (static_cast<int>(i) != video_index_) input_->streams[i]->discard = AVDISCARD_ALL;
      }
    }
  }
  for (;;) {
    int err = avcodec_receive_frame(decoder_.get(), frame_.get());
    if (err == 0) {
      convert(frame_.get(), out);
      av_frame_unref(frame_.get());
      return true;
    }
    if (err == AVERROR_EOF) {
      ended_ = true;
      return false;
    }
    // Anything but "send more input" means a frame was lost: stop.
    if (err != AVERROR(EAGAIN)) fail("cannot decode video frame " + std::to_string(next_index_), err);
    if (input_ended_) fail("video decoder stalled after the end of input");
    feed_decoder();
  }
}

void VideoSource::feed_decoder() {
  AVPacket* pkt = packet_.get();
  for (;;) {
    int err = av_read_frame(input_.get(), pkt);
    if (err == AVERROR_EOF && io_ && !static_cast<const ObjectIo*>(io_->opaque)->error.empty()) {
      // Demuxers report a failed read as the end of the file; a stream that
      // ended early must fail, not end the output early.
      fail("cannot read the object");
    }
    // A stream that breaks off (its wait interrupted: stalled or stopping;
    // or the connection lost) ends here like a file, so that the frames
    // the decoder holds still come out; the caller reconnects.
    if (err < 0 && err != AVERROR_EOF && interrupt_) {
      spdlog::debug("{}: the stream broke off ({})", name_, av::error_text(err));
      err = AVERROR_EOF;
    }
    if (err == AVERROR_EOF) {
      // Flush: the decoder still holds frames (reordering, threads).
      input_ended_ = true;
      err = avcodec_send_packet(decoder_.get(), nullptr);
      if (err < 0 && err != AVERROR_EOF) fail("cannot flush the video decoder", err);
      return;
    }
    if (err < 0) fail("cannot read from the file (truncated or corrupt?)", err);
    // Unreferenced however we leave, a throwing passthrough included.
    struct Unref {
      AVPacket* p;
      ~Unref() { av_packet_unref(p); }
    } unref{pkt};

    if (pkt->stream_index == video_index_) {
      err = avcodec_send_packet(decoder_.get(), pkt);
      // EAGAIN cannot happen: read() drained every frame before feeding.
      if (err < 0) fail("cannot decode video near frame " + std::to_string(next_index_), err);
      return;
    }
    if (passthrough_) passthrough_(pkt);
  }
}

void VideoSource::convert(const AVFrame* f, Frame& out) {
  const AVStream* st = input_->streams[video_index_];

  std::int64_t duration = f->pkt_duration > 0 ? f->pkt_duration : nominal_duration_;
  if (duration <= 0) duration = 1;
  std::int64_t pts = f->best_effort_timestamp;
  if (next_index_ > 0) {
    // Missing: one frame after the previous. Repeated or going backwards
    // (broken muxers): the smallest step that keeps the order.
    if (pts == AV_NOPTS_VALUE) {
      pts = last_pts_ + last_duration_;
    } else if (pts <= last_pts_) {
      pts = last_pts_ + 1;
    }
  } else if (pts == AV_NOPTS_VALUE) {
    pts = st->start_time != AV_NOPTS_VALUE ? st->start_time : 0;
  }
  last_pts_ = pts;
  last_duration_ = duration;

  if (std::int64_t(f->width) * f->height > kMaxFramePixels) {
    fail("video frame " + std::to_string(next_index_) + " is " + std::to_string(f->width) + "x" +
         std::to_string(f->height) + ", " + over_picture_limit_text());
  }
  if (!warned_damage_ && ((f->flags & AV_FRAME_FLAG_CORRUPT) || f->decode_error_flags)) {
    spdlog::warn("{}: video frame {} is damaged; it is kept with the decoder's concealment",
                 name_, next_index_);
    warned_damage_ = true;  // once: a damaged stream would flood the log
  }

  out.index = next_index_++;
  out.pts = pts;
  out.pts_seconds = pts * av_q2d(st->time_base);
  out.changes_listed = false;
  out.image_approximate = false;
  out.patches.clear();
  // A new reference to the decoder's buffer, not a copy.
  AVFrame* kept = av_frame_clone(f);
  if (!kept) fail("out of memory");
  out.decoded = std::shared_ptr<const AVFrame>(kept, [](const AVFrame* p) {
    AVFrame* q = const_cast<AVFrame*>(p);
    av_frame_free(&q);
  });
  if (!bgr_ && patchable(f)) {
    out.image = cv::Mat();
    return;
  }

  const bool fast = fast_bgr_ && patchable(f);
  const auto fmt = static_cast<AVPixelFormat>(av::without_jpeg_range(f->format));
  const int range = fmt != f->format ? AVCOL_RANGE_JPEG : av::enum_value(f->color_range);
  const int colorspace = av::enum_value(f->colorspace);
  if (!sws_ || f->width != sws_width_ || f->height != sws_height_ || f->format != sws_format_ ||
      colorspace != sws_colorspace_ || range != sws_range_) {
    sws_.reset(sws_getContext(f->width, f->height, fmt, f->width, f->height, AV_PIX_FMT_BGR24,
                              fast ? SWS_BILINEAR : av::to_bgr_sws_flags(), nullptr, nullptr, nullptr));
    if (!sws_) {
      fail(std::string("cannot convert pixel format ") +
           (av_get_pix_fmt_name(fmt) ? av_get_pix_fmt_name(fmt) : "?") + " to BGR");
    }
    if (is_yuv(fmt)) av::set_yuv_matrix(sws_.get(), colorspace, range == AVCOL_RANGE_JPEG, true);
    sws_width_ = f->width;
    sws_height_ = f->height;
    sws_format_ = f->format;
    sws_colorspace_ = colorspace;
    sws_range_ = range;
  }

  // A fresh buffer every frame: the pipeline may still hold earlier frames.
  cv::Mat image(f->height, f->width, CV_8UC3);
  uint8_t* dst[4] = {image.data, nullptr, nullptr, nullptr};
  int dst_stride[4] = {static_cast<int>(image.step), 0, 0, 0};
  sws_scale(sws_.get(), f->data, f->linesize, 0, f->height, dst, dst_stride);

  out.image = image;
  out.image_approximate = fast;
}

}  // namespace veil
