#include "io/video_sink.hpp"

#include "io/yuv_colour.hpp"
#include "io/yuv_patches.hpp"

#include "veil/core/error.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

namespace veil {
namespace fs = std::filesystem;

namespace {

// The video stream's side data worth keeping: how to present the picture.
// HDR side data is left out because frames pass through 8-bit BGR.
constexpr AVPacketSideDataType kPresentationSideData[] = {
    AV_PKT_DATA_DISPLAYMATRIX, AV_PKT_DATA_STEREO3D, AV_PKT_DATA_SPHERICAL};

// Container tags that describe the input's container, not its content.
constexpr const char* kContainerOnlyTags[] = {"major_brand", "minor_version", "compatible_brands",
                                              "encoder"};

bool is_yuv(AVPixelFormat fmt) {
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(fmt);
  return d && !(d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL)) && d->nb_components >= 3;
}

bool is_8bit_yuv(AVPixelFormat fmt) {
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(fmt);
  return is_yuv(fmt) && !(d->flags & AV_PIX_FMT_FLAG_ALPHA) && d->comp[0].depth == 8;
}

bool supports(const AVCodec* codec, AVPixelFormat fmt) {
  for (const AVPixelFormat* p = codec->pix_fmts; p && *p != AV_PIX_FMT_NONE; ++p) {
    if (*p == fmt) return true;
  }
  return false;
}

// x264/x265: keep the input's chroma layout when the encoder takes it (a
// yuv444p source stays sharp), else 4:2:0, which every player handles. 4:2:0
// needs even dimensions; an odd-sized input falls back to 4:4:4 rather than
// losing a pixel row.
AVPixelFormat choose_yuv_format(const AVCodec* codec, AVPixelFormat input, int width, int height) {
  AVPixelFormat fmt = AV_PIX_FMT_YUV420P;
  if (is_8bit_yuv(input) && supports(codec, input)) fmt = input;
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(fmt);
  const bool odd = (width % 2 != 0 && d->log2_chroma_w > 0) || (height % 2 != 0 && d->log2_chroma_h > 0);
  if (odd && supports(codec, AV_PIX_FMT_YUV444P)) fmt = AV_PIX_FMT_YUV444P;
  return fmt;
}

// GIF and other palette/RGB encoders: the closest format swscale can produce.
AVPixelFormat choose_any_format(const AVCodec* codec) {
  std::vector<AVPixelFormat> usable;
  for (const AVPixelFormat* p = codec->pix_fmts; p && *p != AV_PIX_FMT_NONE; ++p) {
    if (sws_isSupportedOutput(*p)) usable.push_back(*p);
  }
  if (usable.empty()) return AV_PIX_FMT_NONE;
  usable.push_back(AV_PIX_FMT_NONE);
  return avcodec_find_best_pix_fmt_of_list(usable.data(), AV_PIX_FMT_BGR24, 0, nullptr);
}

// YUV output: the input's colour tags, so that the sink's BGR->YUV matrix
// is the inverse of the source's. RGB or palette input (GIF): sRGB pixels,
// tagged so that players agree on them.
void set_colour_tags(AVCodecContext* enc, const AVCodecParameters* par) {
  const auto input = static_cast<AVPixelFormat>(par->format);
  if (is_yuv(static_cast<AVPixelFormat>(av::without_jpeg_range(input)))) {
    // Values outside their enums (a damaged or crafted file) become "unspecified".
    const AVColorRange range = av::valid_or(par->color_range, AVCOL_RANGE_NB, AVCOL_RANGE_UNSPECIFIED);
    const bool full = av::without_jpeg_range(input) != input || range == AVCOL_RANGE_JPEG;
    enc->color_range = full ? AVCOL_RANGE_JPEG : range;
    enc->color_primaries = av::valid_or(par->color_primaries, AVCOL_PRI_NB, AVCOL_PRI_UNSPECIFIED);
    enc->color_trc = av::valid_or(par->color_trc, AVCOL_TRC_NB, AVCOL_TRC_UNSPECIFIED);
    enc->colorspace = av::valid_or(par->color_space, AVCOL_SPC_NB, AVCOL_SPC_UNSPECIFIED);
    enc->chroma_sample_location = av::valid_or(par->chroma_location, AVCHROMA_LOC_NB, AVCHROMA_LOC_UNSPECIFIED);
  } else {
    enc->color_range = AVCOL_RANGE_MPEG;
    enc->color_primaries = AVCOL_PRI_BT709;
    enc->color_trc = AVCOL_TRC_IEC61966_2_1;
    enc->colorspace = AVCOL_SPC_BT709;
  }
}

// Whether `oformat` can store packets of this codec as they are. Muxers
// without a codec table cannot tell; they get the stream when they have a
// default codec of its kind (mpegts takes AAC, gif takes no audio at all).
bool container_accepts(const AVOutputFormat* oformat, const AVCodecParameters* par) {
  const int answer = avformat_query_codec(oformat, par->codec_id, FF_COMPLIANCE_NORMAL);
  if (answer >= 0) return answer == 1;
  switch (par->codec_type) {
    case AVMEDIA_TYPE_AUDIO: return oformat->audio_codec != AV_CODEC_ID_NONE;
    case AVMEDIA_TYPE_SUBTITLE: return oformat->subtitle_codec != AV_CODEC_ID_NONE;
    default: return false;
  }
}

// The output file's messages may name only the folder; the user looks for
// the file they asked for.
std::unique_ptr<OutputFile> open_output(const std::string& output, const StorageOptions& storage) {
  try {
    return open_output_file(output, storage);
  } catch (const Error& e) {
    const std::string what = e.what();
    if (what.rfind(output, 0) == 0) throw;
    throw Error(output + ": " + what);
  }
}

void copy_side_data(const AVStream* in, AVStream* out, AVPacketSideDataType type) {
  size_t size = 0;
  const uint8_t* data = av_stream_get_side_data(in, type, &size);
  if (!data) return;
  uint8_t* copy = av_stream_new_side_data(out, type, size);
  if (copy) std::memcpy(copy, data, size);
}

}  // namespace

void VideoSink::OutputDeleter::operator()(AVFormatContext* p) const {
  if (p && !(p->oformat->flags & AVFMT_NOFILE)) avio_closep(&p->pb);
  avformat_free_context(p);
}

VideoSink::VideoSink(const std::string& output, VideoSource& source, const VideoEncodeOptions& options,
                     const StorageOptions& storage)
    : source_(&source),
      file_(options.live ? open_live_output(output) : open_output(output, storage)),
      strip_metadata_(options.strip_metadata),
      copy_streams_(options.copy_other_streams) {
  if (copy_streams_ && source_->started()) {
    fail("the sink must be created before the first frame is read, or packets of the "
         "copied streams would be lost");
  }
  open_container(options);
  add_video_stream(options);
  video_in_index_ = source_->video_stream_index();
  stream_map_.assign(source_->format_context()->nb_streams, -1);
  stream_map_[source_->video_stream_index()] = video_out_->index;
  if (copy_streams_) add_copied_streams();
  if (!strip_metadata_) copy_metadata();

  AVFormatContext* oc = output_.get();
  AVDictionary* mux_options = nullptr;
  if (options.live && std::string(oc->oformat->name) == "hls") {
    // One-second segments (a keyframe starts each), every segment kept
    // listed: a player or a recorder sees the whole stream. A feed that runs
    // for days wants hls_list_size=N and hls_flags=delete_segments.
    av_dict_set(&mux_options, "hls_time", "1", 0);
    av_dict_set(&mux_options, "hls_list_size", "0", 0);
  }
  for (const auto& [key, value] : options.muxer_options) av_dict_set(&mux_options, key.c_str(), value.c_str(), 0);
  int err = 0;
  if (!(oc->oformat->flags & AVFMT_NOFILE)) {
    err = avio_open2(&oc->pb, file_->temp_path().c_str(), AVIO_FLAG_WRITE, nullptr, &mux_options);
    if (err < 0) {
      av_dict_free(&mux_options);
      fail(options.live ? "cannot open the output" : "cannot create the file", err);
    }
  }
  if (strip_metadata_) {
    oc->flags |= AVFMT_FLAG_BITEXACT;  // no muxer version or creation time either
  } else {
    // mov/mp4 only write a few well-known tags unless told to store all of
    // them as metadata keys (GPS "location", Apple's ISO6709 key, ...).
    // Other muxers ignore the option.
    av_dict_set(&mux_options, "movflags", "use_metadata_tags", 0);
  }
  err = avformat_write_header(oc, &mux_options);
  std::string unused;
  for (const AVDictionaryEntry* e = nullptr; (e = av_dict_get(mux_options, "", e, AV_DICT_IGNORE_SUFFIX));) {
    if (std::string(e->key) != "movflags") unused += (unused.empty() ? "" : ", ") + std::string(e->key);
  }
  av_dict_free(&mux_options);
  if (err < 0) fail("cannot write the container header", err);
  if (!unused.empty()) fail("unknown output option " + unused + " for the " + oc->oformat->name + " format");

  if (copy_streams_) {
    source_->set_passthrough([this](AVPacket* pkt) { on_passthrough(pkt); });
  }
}

VideoSink::~VideoSink() {
  // Nothing more may arrive at a sink that is gone. The temporary file is
  // closed by output_ and then removed by file_ unless finish() committed it.
  release_source();
}

void VideoSink::release_source() {
  if (!source_) return;
  source_->set_passthrough(nullptr);
  source_ = nullptr;
}

AVRational VideoSink::time_base() const { return encoder_->time_base; }

void VideoSink::fail(const std::string& what, int err) const {
  std::string msg = file_->destination() + ": " + what;
  if (err < 0) msg += " (" + av::error_text(err) + ")";
  throw Error(msg);
}

// The container a stream URL carries when the user names none.
static const char* default_stream_format(const std::string& url) {
  const std::string scheme = url.substr(0, url.find("://"));
  if (scheme == "udp" || scheme == "srt" || scheme == "tcp" || scheme == "rist" || scheme == "rtp") return "mpegts";
  if (scheme == "rtmp" || scheme == "rtmps") return "flv";
  if (scheme == "rtsp") return "rtsp";
  return nullptr;
}

void VideoSink::open_container(const VideoEncodeOptions& options) {
  // Guess from the destination: the temporary name ends in ".tmp.mp4" too,
  // but the destination is what the user asked for.
  const std::string& destination = file_->destination();
  const AVOutputFormat* format = nullptr;
  if (!options.format.empty()) {
    format = av_guess_format(options.format.c_str(), nullptr, nullptr);
    if (!format) fail("unknown output format '" + options.format + "'");
  } else {
    const std::string path = is_stream_url(destination) ? destination.substr(0, destination.find('?')) : destination;
    format = av_guess_format(nullptr, fs::path(path).filename().string().c_str(), nullptr);
    if (!format && is_stream_url(destination) && default_stream_format(destination)) {
      format = av_guess_format(default_stream_format(destination), nullptr, nullptr);
    }
    if (!format) {
      fail(is_stream_url(destination) ? "cannot tell the container from this URL: name it with -f (mpegts, hls, flv, ...)"
                                      : "unknown container for this file extension");
    }
  }
  AVFormatContext* oc = nullptr;
  int err = avformat_alloc_output_context2(&oc, format, nullptr, file_->temp_path().c_str());
  if (err < 0 || !oc) fail("cannot set up the container", err);
  output_.reset(oc);
}

void VideoSink::add_video_stream(const VideoEncodeOptions& options) {
  AVFormatContext* oc = output_.get();
  AVFormatContext* ic = source_->format_context();
  const AVStream* in = ic->streams[source_->video_stream_index()];
  const AVCodecParameters* par = in->codecpar;

  // A .gif destination means the GIF encoder whatever options.codec says.
  const bool gif = oc->oformat->video_codec == AV_CODEC_ID_GIF;
  const AVCodec* codec = nullptr;
  bool x265 = false;
  if (gif) {
    codec = avcodec_find_encoder(AV_CODEC_ID_GIF);
  } else if (options.codec == "h264" || options.codec == "libx264") {
    codec = avcodec_find_encoder_by_name("libx264");
  } else if (options.codec == "h265" || options.codec == "hevc" || options.codec == "libx265") {
    codec = avcodec_find_encoder_by_name("libx265");
    x265 = true;
  } else {
    fail("unknown video codec '" + options.codec + "' (expected h264 or h265)");
  }
  if (!codec) fail("this FFmpeg build has no encoder for " + (gif ? std::string("gif") : options.codec));
  if (avformat_query_codec(oc->oformat, codec->id, FF_COMPLIANCE_NORMAL) == 0) {
    fail(std::string("the ") + oc->oformat->name + " container cannot hold " + codec->name + " video");
  }

  encoder_.reset(avcodec_alloc_context3(codec));
  if (!encoder_) fail("out of memory");
  AVCodecContext* enc = encoder_.get();
  enc->width = par->width;
  enc->height = par->height;
  const auto input_format = static_cast<AVPixelFormat>(av::without_jpeg_range(par->format));
  enc->pix_fmt = gif ? choose_any_format(codec) : choose_yuv_format(codec, input_format, par->width, par->height);
  if (enc->pix_fmt == AV_PIX_FMT_NONE) fail(std::string("no usable pixel format for ") + codec->name);
  // The source's pts go in unchanged: every frame keeps its exact time and
  // variable frame rate stays variable. The frame rate is only a hint.
  enc->time_base = in->time_base;
  const AVRational fps = in->avg_frame_rate.num > 0 ? in->avg_frame_rate : in->r_frame_rate;
  if (fps.num > 0 && fps.den > 0) enc->framerate = fps;
  AVRational sar = av_guess_sample_aspect_ratio(ic, const_cast<AVStream*>(in), nullptr);
  enc->sample_aspect_ratio = sar.num > 0 ? sar : AVRational{0, 1};
  if (is_8bit_yuv(enc->pix_fmt)) set_colour_tags(enc, par);
  enc->thread_count = 0;
  if (options.live && fps.num > 0 && fps.den > 0) {
    // A viewer joining, or an HLS segment, starts at a keyframe.
    enc->gop_size = std::max(1, int(av_q2d(fps) * options.keyframe_seconds + 0.5));
  }
  if (oc->oformat->flags & AVFMT_GLOBALHEADER) enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;

  AVDictionary* codec_options = nullptr;
  if (!gif) {
    // Close to the source's quality: the input is already lossy.
    const int crf = options.crf.value_or(x265 ? 20 : 18);
    av_dict_set(&codec_options, "preset", options.preset.c_str(), 0);
    av_dict_set_int(&codec_options, "crf", crf, 0);
    // B-frames and rate-control look-ahead hold tens of frames back.
    if (options.live) av_dict_set(&codec_options, "tune", "zerolatency", 0);
    // x265 prints its banner and statistics to stderr, over our progress bar.
    if (x265) av_dict_set(&codec_options, "x265-params", "log-level=error", 0);
  }
  int err = avcodec_open2(enc, codec, &codec_options);
  av_dict_free(&codec_options);
  if (err < 0) {
    fail(std::string("cannot open the ") + codec->name + " encoder (preset '" + options.preset +
             "', pixel format " + av_get_pix_fmt_name(enc->pix_fmt) + ")",
         err);
  }

  video_out_ = avformat_new_stream(oc, nullptr);
  if (!video_out_) fail("out of memory");
  err = avcodec_parameters_from_context(video_out_->codecpar, enc);
  if (err < 0) fail("cannot set up the video stream", err);
  // HEVC in mp4/mov defaults to the 'hev1' tag, which Apple players refuse;
  // 'hvc1' (parameter sets in the header only, as x265 writes them) plays
  // everywhere.
  const unsigned hvc1 = MKTAG('h', 'v', 'c', '1');
  const AVCodecTag* const* tags = oc->oformat->codec_tag;
  if (codec->id == AV_CODEC_ID_HEVC && tags && av_codec_get_id(tags, hvc1) == AV_CODEC_ID_HEVC) {
    video_out_->codecpar->codec_tag = hvc1;
  }
  video_out_->time_base = enc->time_base;  // a request; the muxer may pick another
  video_out_->avg_frame_rate = enc->framerate;
  video_out_->sample_aspect_ratio = enc->sample_aspect_ratio;
  video_out_->disposition = in->disposition;
  if (!strip_metadata_) {
    for (AVPacketSideDataType type : kPresentationSideData) copy_side_data(in, video_out_, type);
  }

  frame_.reset(av_frame_alloc());
  packet_.reset(av_packet_alloc());
  if (!frame_ || !packet_) fail("out of memory");
  frame_->format = enc->pix_fmt;
  frame_->width = enc->width;
  frame_->height = enc->height;
  err = av_frame_get_buffer(frame_.get(), 0);
  if (err < 0) fail("out of memory", err);
}

void VideoSink::add_copied_streams() {
  AVFormatContext* oc = output_.get();
  AVFormatContext* ic = source_->format_context();
  for (unsigned i = 0; i < ic->nb_streams; ++i) {
    if (static_cast<int>(i) == source_->video_stream_index()) continue;
    const AVStream* in = ic->streams[i];
    const AVMediaType type = in->codecpar->codec_type;
    const char* codec_name = avcodec_get_name(in->codecpar->codec_id);
    // Other pictures (a second video, cover art, attached images) would reach
    // the output without being anonymized.
    if (type != AVMEDIA_TYPE_AUDIO && type != AVMEDIA_TYPE_SUBTITLE && type != AVMEDIA_TYPE_DATA) {
      spdlog::warn("{}: not copying stream {} ({} {}): only the main video is anonymized",
                   file_->destination(), i, av_get_media_type_string(type) ? av_get_media_type_string(type) : "unknown",
                   codec_name);
      continue;
    }
    if (!container_accepts(oc->oformat, in->codecpar)) {
      spdlog::warn("{}: not copying stream {} ({}): the {} container cannot hold it",
                   file_->destination(), i, codec_name, oc->oformat->name);
      continue;
    }
    AVStream* out = avformat_new_stream(oc, nullptr);
    if (!out) fail("out of memory");
    int err = avcodec_parameters_copy(out->codecpar, in->codecpar);
    if (err < 0) fail("cannot copy stream " + std::to_string(i), err);
    out->codecpar->codec_tag = 0;  // let the output container choose its own tag
    out->time_base = in->time_base;
    out->disposition = in->disposition;
    if (!strip_metadata_) {
      for (int k = 0; k < in->nb_side_data; ++k) {
        copy_side_data(in, out, in->side_data[k].type);
      }
    }
    stream_map_[i] = out->index;
  }
}

void VideoSink::copy_metadata() {
  AVFormatContext* oc = output_.get();
  AVFormatContext* ic = source_->format_context();
  av_dict_copy(&oc->metadata, ic->metadata, 0);
  for (const char* key : kContainerOnlyTags) av_dict_set(&oc->metadata, key, nullptr, 0);

  for (unsigned i = 0; i < ic->nb_streams; ++i) {
    if (stream_map_[i] < 0) continue;
    AVStream* out = oc->streams[stream_map_[i]];
    av_dict_copy(&out->metadata, ic->streams[i]->metadata, 0);
  }
  // The video was re-encoded: the old encoder's name no longer applies.
  av_dict_set(&video_out_->metadata, "encoder", nullptr, 0);

  if (ic->nb_chapters > 0) {
    oc->chapters = static_cast<AVChapter**>(av_calloc(ic->nb_chapters, sizeof(AVChapter*)));
    if (!oc->chapters) fail("out of memory");
    for (unsigned i = 0; i < ic->nb_chapters; ++i) {
      const AVChapter* in = ic->chapters[i];
      auto* c = static_cast<AVChapter*>(av_mallocz(sizeof(AVChapter)));
      if (!c) fail("out of memory");
      c->id = in->id;
      c->time_base = in->time_base;
      c->start = in->start;
      c->end = in->end;
      av_dict_copy(&c->metadata, in->metadata, 0);
      oc->chapters[oc->nb_chapters++] = c;  // freed by avformat_free_context
    }
  }
}

void VideoSink::write(const Frame& frame) {
  if (finished_) fail("write() after finish()");
  if (frames_written_ > 0 && frame.pts <= last_pts_) {
    fail("frame " + std::to_string(frame.index) +
         " does not come after the previous one; frames must keep the source's pts");
  }
  AVCodecContext* enc = encoder_.get();
  const AVFrame* decoded = frame.decoded.get();
  // The decoded picture as it came, with only the listed changes converted
  // back: possible when the encoder takes the decoder's own format.
  const bool keep_decoded = frame.changes_listed && patchable(decoded) &&
                            av::without_jpeg_range(decoded->format) == enc->pix_fmt &&
                            decoded->width == enc->width && decoded->height == enc->height;
  const bool from_decoded = !keep_decoded && frame.image.empty() && frame.changes_listed && patchable(decoded);
  if (!keep_decoded && !from_decoded && (frame.image.empty() || frame.image.type() != CV_8UC3)) {
    fail("expects 8-bit BGR frames");
  }

  // This frame's arrival fixes the previous frame's duration.
  if (frames_written_ > 0) {
    last_step_ = frame.pts - last_pts_;
    durations_[last_pts_] = last_step_;
    send_ready_packets(false);
  }
  durations_[frame.pts] = 0;  // unknown until the next frame
  last_pts_ = frame.pts;

  // The encoder may still hold a reference to the previous picture.
  int err = av_frame_make_writable(frame_.get());
  if (err < 0) fail("out of memory", err);
  if (keep_decoded) {
    err = av_frame_copy(frame_.get(), decoded);
    if (err < 0) fail("cannot copy the decoded picture", err);
    for (const FramePatch& p : frame.patches) {
      write_bgr_area(frame_.get(), p.area, p.bgr, enc->colorspace, enc->color_range == AVCOL_RANGE_JPEG);
    }
  } else {
    convert(from_decoded ? whole_picture(frame) : frame.image);
  }
  frame_->pts = frame.pts;
  encode(frame_.get());
  ++frames_written_;
}

// A frame that came without its BGR image (VideoSource::set_bgr(false)) for
// an encoder in another format: the decoded picture in BGR, patches pasted.
cv::Mat VideoSink::whole_picture(const Frame& frame) const {
  const AVFrame* f = frame.decoded.get();
  cv::Mat image = bgr_of_area(f, cv::Rect(0, 0, f->width, f->height));
  for (const FramePatch& p : frame.patches) p.bgr.copyTo(image(p.area));
  return image;
}

void VideoSink::convert(const cv::Mat& image) {
  AVCodecContext* enc = encoder_.get();
  if (!sws_ || image.cols != sws_width_ || image.rows != sws_height_) {
    sws_.reset(sws_getContext(image.cols, image.rows, AV_PIX_FMT_BGR24, enc->width, enc->height,
                              enc->pix_fmt, av::from_bgr_sws_flags(), nullptr, nullptr, nullptr));
    if (!sws_) fail(std::string("cannot convert BGR to ") + av_get_pix_fmt_name(enc->pix_fmt));
    if (is_8bit_yuv(enc->pix_fmt)) {
      av::set_yuv_matrix(sws_.get(), enc->colorspace, enc->color_range == AVCOL_RANGE_JPEG, false);
    }
    sws_width_ = image.cols;
    sws_height_ = image.rows;
  }
  const uint8_t* src[4] = {image.data, nullptr, nullptr, nullptr};
  const int src_stride[4] = {static_cast<int>(image.step), 0, 0, 0};
  sws_scale(sws_.get(), src, src_stride, 0, image.rows, frame_->data, frame_->linesize);
}

void VideoSink::encode(AVFrame* frame) {
  AVCodecContext* enc = encoder_.get();
  int err = avcodec_send_frame(enc, frame);
  if (err < 0) fail("cannot encode video", err);
  for (;;) {
    err = avcodec_receive_packet(enc, packet_.get());
    if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) break;
    if (err < 0) fail("cannot encode video", err);
    av::Ptr<AVPacket> pkt(av_packet_alloc());
    if (!pkt) fail("out of memory");
    av_packet_move_ref(pkt.get(), packet_.get());
    waiting_.push_back(std::move(pkt));
  }
  send_ready_packets(frame == nullptr);
}

void VideoSink::send_ready_packets(bool at_end) {
  // Packets leave in encoder (dts) order; the head waits while its frame's
  // duration is unknown, i.e. while it is the newest frame.
  while (!waiting_.empty()) {
    AVPacket* pkt = waiting_.front().get();
    auto it = durations_.find(pkt->pts);
    std::int64_t duration = it != durations_.end() ? it->second : last_step_;
    if (duration == 0) {
      if (!at_end) return;
      duration = last_step_;
    }
    if (it != durations_.end()) durations_.erase(it);
    pkt->duration = duration;
    pkt->stream_index = video_out_->index;
    av_packet_rescale_ts(pkt, encoder_->time_base, video_out_->time_base);
    {
      std::lock_guard<std::mutex> lock(mux_mutex_);
      mux(pkt);
    }
    waiting_.pop_front();
  }
}

void VideoSink::on_passthrough(AVPacket* pkt) {
  const int in = pkt->stream_index;
  if (in < 0 || in >= static_cast<int>(stream_map_.size()) || stream_map_[in] < 0) return;
  if (in == source_->video_stream_index()) return;
  AVStream* out = output_->streams[stream_map_[in]];
  av_packet_rescale_ts(pkt, source_->format_context()->streams[in]->time_base, out->time_base);
  pkt->stream_index = out->index;
  pkt->pos = -1;
  std::lock_guard<std::mutex> lock(mux_mutex_);
  if (!finished_) mux(pkt);
}

bool VideoSink::copies_stream(int index) const {
  return index >= 0 && index < int(stream_map_.size()) && stream_map_[index] >= 0 && index != video_in_index_;
}

void VideoSink::write_copied(AVPacket* pkt, int first_source_stream, AVRational time_base) {
  if (!copies_stream(first_source_stream)) return;
  AVStream* out = output_->streams[stream_map_[first_source_stream]];
  av_packet_rescale_ts(pkt, time_base, out->time_base);
  pkt->stream_index = out->index;
  pkt->pos = -1;
  std::lock_guard<std::mutex> lock(mux_mutex_);
  if (!finished_) mux(pkt);
}

void VideoSink::mux(AVPacket* pkt) {
  // Takes the packet's contents; buffers as needed to interleave streams.
  int err = av_interleaved_write_frame(output_.get(), pkt);
  if (err < 0) fail("cannot write to the file", err);
}

void VideoSink::finish() {
  if (finished_) return;
  if (frames_written_ == 0) fail("no video frames to write");
  // The newest frame lasts as long as it did in the input.
  const std::int64_t last = source_ ? source_->last_frame_duration() : last_step_;
  durations_[last_pts_] = last > 0 ? last : last_step_;
  encode(nullptr);

  release_source();
  {
    std::lock_guard<std::mutex> lock(mux_mutex_);
    finished_ = true;
    int err = av_write_trailer(output_.get());
    if (err < 0) fail("cannot finish the file", err);
  }
  AVFormatContext* oc = output_.get();
  if (!(oc->oformat->flags & AVFMT_NOFILE)) {
    // Closing flushes the last buffered bytes; a full disk shows up here.
    int err = avio_closep(&oc->pb);
    if (err < 0) fail("cannot finish the file", err);
  }
  file_->commit();
}

}  // namespace veil
