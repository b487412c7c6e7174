#pragma once
// The largest picture Veil decodes, for video frames and still images alike:
// a crafted header must not make Veil allocate gigabytes. No camera Veil
// serves comes near it (8K video is 33 megapixels).
#include <cstdint>
#include <string>

namespace veil {

inline constexpr std::int64_t kMaxPicturePixels = std::int64_t(8192) * 8192;

// "larger than Veil handles (at most 67 megapixels)", for error messages.
inline std::string over_picture_limit_text() {
  return "larger than Veil handles (at most " + std::to_string(kMaxPicturePixels / 1000000) + " megapixels)";
}

}  // namespace veil
