#pragma once
// How Veil converts between a video's YUV pictures and BGR, in one place:
// the decoder's frames to BGR (VideoSource), BGR back to the encoder's
// format (VideoSink), and the same for the patches of a frame that
// redaction changes (yuv_patches) and live's hidden frames (whole_frame),
// so that a pixel converted by any of them comes out the same.
extern "C" {
struct SwsContext;
}

namespace veil::av {

// Tells `sws` which YUV matrix (an AVColorSpace) and range its YUV side uses;
// the BGR side is full range. Source and sink use the same mapping so that a
// pass-through frame keeps its colours.
void set_yuv_matrix(SwsContext* sws, int colorspace, bool yuv_full_range, bool yuv_is_source);

// The swscale flags of the decoded-frame -> BGR and BGR -> encoder
// conversions: accurate rounding and full chroma interpolation, because the
// frames are re-encoded afterwards and conversion error would be paid twice.
int to_bgr_sws_flags();
int from_bgr_sws_flags();

// yuvj420p and friends are yuv420p and friends with full range. swscale and
// encoders prefer the plain format plus a range flag. Others pass unchanged.
int without_jpeg_range(int pix_fmt);

}  // namespace veil::av
