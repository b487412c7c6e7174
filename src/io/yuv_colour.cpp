#include "io/yuv_colour.hpp"

extern "C" {
#include <libavutil/pixfmt.h>
#include <libswscale/swscale.h>
}

namespace veil::av {

int to_bgr_sws_flags() { return SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT; }
int from_bgr_sws_flags() { return SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INP; }

void set_yuv_matrix(SwsContext* sws, int colorspace, bool yuv_full_range, bool yuv_is_source) {
  int cs = SWS_CS_DEFAULT;  // BT.601, what swscale assumes when nothing is said
  switch (colorspace) {
    case AVCOL_SPC_BT709: cs = SWS_CS_ITU709; break;
    case AVCOL_SPC_FCC: cs = SWS_CS_FCC; break;
    case AVCOL_SPC_BT470BG:
    case AVCOL_SPC_SMPTE170M: cs = SWS_CS_ITU601; break;
    case AVCOL_SPC_SMPTE240M: cs = SWS_CS_SMPTE240M; break;
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL: cs = SWS_CS_BT2020; break;
    default: break;
  }
  const int* coefficients = sws_getCoefficients(cs);
  const int src_range = yuv_is_source ? yuv_full_range : 1;
  const int dst_range = yuv_is_source ? 1 : yuv_full_range;
  sws_setColorspaceDetails(sws, coefficients, src_range, coefficients, dst_range, 0, 1 << 16, 1 << 16);
}

int without_jpeg_range(int pix_fmt) {
  switch (pix_fmt) {
    case AV_PIX_FMT_YUVJ420P: return AV_PIX_FMT_YUV420P;
    case AV_PIX_FMT_YUVJ422P: return AV_PIX_FMT_YUV422P;
    case AV_PIX_FMT_YUVJ444P: return AV_PIX_FMT_YUV444P;
    case AV_PIX_FMT_YUVJ440P: return AV_PIX_FMT_YUV440P;
    case AV_PIX_FMT_YUVJ411P: return AV_PIX_FMT_YUV411P;
    default: return pix_fmt;
  }
}

}  // namespace veil::av
