#pragma once
// Reads the size a still image declares from its header, without decoding the
// picture, through the same libraries OpenCV decodes with (libjpeg, libpng,
// libwebp, libtiff, openjpeg; BMP's fixed header directly).
//
// Why: OpenCV allocates whatever size a header claims, up to 2^30 pixels
// (3 GB as BGR), and reads its limit from the environment only when the
// library loads. Checking the header first lets Veil refuse a crafted file
// before any allocation, at the same limit as video frames.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace veil {

enum class ImageFormat { kJpeg, kPng, kWebp, kBmp, kTiff, kJpeg2000 };

struct DeclaredImage {
  ImageFormat format;
  std::int64_t width = 0;
  std::int64_t height = 0;
};

// The format told by the first bytes, or nullopt for anything else (OpenCV
// would also sniff EXR, HDR, PNM and Sun raster; Veil does not decode those).
std::optional<ImageFormat> sniff_image_format(const std::uint8_t* data, std::size_t size);

// The format and the size its header declares. nullopt when the format is not
// one of the above or its header cannot be read (truncated, damaged): such
// bytes are not an image Veil decodes. Thread-safe; never throws.
std::optional<DeclaredImage> read_image_header(const std::uint8_t* data, std::size_t size);

}  // namespace veil
