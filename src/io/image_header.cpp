#include "io/image_header.hpp"

#include <algorithm>
#include <csetjmp>
#include <cstdio>
#include <cstring>

// libjpeg's header needs FILE and size_t declared first.
#include <jpeglib.h>
#include <openjpeg.h>
#include <png.h>
#include <tiffio.h>
#include <webp/decode.h>

namespace veil {
namespace {

bool starts_with(const std::uint8_t* data, std::size_t size, const char* magic, std::size_t n) {
  return size >= n && std::memcmp(data, magic, n) == 0;
}

// Bytes in memory read front to back, for the libraries that pull their input.
struct Cursor {
  const std::uint8_t* data;
  std::size_t size;
  std::size_t at = 0;

  std::size_t read(void* out, std::size_t n) {
    n = std::min(n, size - at);
    std::memcpy(out, data + at, n);
    at += n;
    return n;
  }
  bool seek(std::uint64_t to) {
    if (to > size) return false;
    at = std::size_t(to);
    return true;
  }
};

// libjpeg reports errors through error_exit, which must not return: it jumps
// back to jpeg_size. Nothing between the setjmp and the jump has a destructor.
struct JpegErrors {
  jpeg_error_mgr manager;
  std::jmp_buf jump;
};

void jpeg_failed(j_common_ptr info) { std::longjmp(reinterpret_cast<JpegErrors*>(info->err)->jump, 1); }
void jpeg_quiet(j_common_ptr) {}

bool jpeg_size(const std::uint8_t* data, std::size_t size, DeclaredImage& out) {
  jpeg_decompress_struct info;
  std::memset(&info, 0, sizeof info);
  JpegErrors errors;
  info.err = jpeg_std_error(&errors.manager);
  errors.manager.error_exit = jpeg_failed;
  errors.manager.output_message = jpeg_quiet;
  if (setjmp(errors.jump)) {
    jpeg_destroy_decompress(&info);
    return false;
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, data, static_cast<unsigned long>(size));
  jpeg_read_header(&info, TRUE);
  out.width = info.image_width;
  out.height = info.image_height;
  jpeg_destroy_decompress(&info);
  return true;
}

// libpng's errors, likewise, jump back through png_jmpbuf.
void png_failed(png_structp png, png_const_charp) { png_longjmp(png, 1); }
void png_quiet(png_structp, png_const_charp) {}
void png_read_memory(png_structp png, png_bytep out, png_size_t n) {
  if (static_cast<Cursor*>(png_get_io_ptr(png))->read(out, n) != n) png_error(png, "truncated");
}

bool png_size(const std::uint8_t* data, std::size_t size, DeclaredImage& out) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, png_failed, png_quiet);
  if (!png) return false;
  png_infop info = png_create_info_struct(png);
  Cursor cursor{data, size};
  if (!info || setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, info ? &info : nullptr, nullptr);
    return false;
  }
  png_set_read_fn(png, &cursor, png_read_memory);
  png_read_info(png, info);
  out.width = png_get_image_width(png, info);
  out.height = png_get_image_height(png, info);
  png_destroy_read_struct(&png, &info, nullptr);
  return true;
}

bool webp_size(const std::uint8_t* data, std::size_t size, DeclaredImage& out) {
  int width = 0, height = 0;
  if (!WebPGetInfo(data, size, &width, &height)) return false;
  out.width = width;
  out.height = height;
  return true;
}

// BMP's size sits at fixed offsets: the 12-byte OS/2 header holds 16-bit
// fields, every later header 32-bit ones (a negative height means top-down).
bool bmp_size(const std::uint8_t* data, std::size_t size, DeclaredImage& out) {
  auto u16 = [&](std::size_t at) { return std::uint32_t(data[at]) | std::uint32_t(data[at + 1]) << 8; };
  auto u32 = [&](std::size_t at) { return u16(at) | u16(at + 2) << 16; };
  if (size < 26) return false;
  if (u32(14) == 12) {
    out.width = u16(18);
    out.height = u16(20);
    return true;
  }
  const auto width = std::int32_t(u32(18));
  const auto height = std::int32_t(u32(22));
  out.width = width;
  out.height = height < 0 ? -std::int64_t(height) : height;
  return true;
}

int tiff_quiet(TIFF*, void*, const char*, const char*, va_list) { return 1; }  // 1: not the global handler either

bool tiff_size(const std::uint8_t* data, std::size_t size, DeclaredImage& out) {
  Cursor cursor{data, size};
  auto read = [](thandle_t h, void* buf, tmsize_t n) -> tmsize_t {
    return n < 0 ? -1 : tmsize_t(static_cast<Cursor*>(h)->read(buf, std::size_t(n)));
  };
  auto write = [](thandle_t, void*, tmsize_t) -> tmsize_t { return -1; };
  auto seek = [](thandle_t h, toff_t offset, int whence) -> toff_t {
    auto* c = static_cast<Cursor*>(h);
    std::uint64_t to = offset;
    if (whence == SEEK_CUR) to += c->at;
    if (whence == SEEK_END) to += c->size;
    return c->seek(to) ? to : toff_t(-1);
  };
  auto close = [](thandle_t) { return 0; };
  auto length = [](thandle_t h) -> toff_t { return static_cast<Cursor*>(h)->size; };
  auto map = [](thandle_t, void**, toff_t*) { return 0; };
  auto unmap = [](thandle_t, void*, toff_t) {};

  TIFFOpenOptions* options = TIFFOpenOptionsAlloc();
  if (!options) return false;
  TIFFOpenOptionsSetErrorHandlerExtR(options, tiff_quiet, nullptr);
  TIFFOpenOptionsSetWarningHandlerExtR(options, tiff_quiet, nullptr);
  // "m": no memory mapping (there is no file). Opening reads the first directory.
  TIFF* tiff = TIFFClientOpenExt("image", "rm", &cursor, read, write, seek, close, length, map, unmap, options);
  TIFFOpenOptionsFree(options);
  if (!tiff) return false;
  std::uint32_t width = 0, height = 0;
  const bool ok = TIFFGetField(tiff, TIFFTAG_IMAGEWIDTH, &width) == 1 &&
                  TIFFGetField(tiff, TIFFTAG_IMAGELENGTH, &height) == 1;
  TIFFClose(tiff);
  out.width = width;
  out.height = height;
  return ok;
}

void opj_quiet(const char*, void*) {}

bool jpeg2000_size(const std::uint8_t* data, std::size_t size, DeclaredImage& out, bool codestream) {
  Cursor cursor{data, size};
  opj_stream_t* stream = opj_stream_create(64 * 1024, OPJ_TRUE);
  if (!stream) return false;
  opj_stream_set_user_data(stream, &cursor, nullptr);
  opj_stream_set_user_data_length(stream, size);
  opj_stream_set_read_function(stream, [](void* buf, OPJ_SIZE_T n, void* c) -> OPJ_SIZE_T {
    const std::size_t got = static_cast<Cursor*>(c)->read(buf, n);
    return got ? got : OPJ_SIZE_T(-1);
  });
  opj_stream_set_skip_function(stream, [](OPJ_OFF_T n, void* c) -> OPJ_OFF_T {
    auto* cursor = static_cast<Cursor*>(c);
    if (n < 0 || !cursor->seek(cursor->at + std::uint64_t(n))) return -1;
    return n;
  });
  opj_stream_set_seek_function(stream, [](OPJ_OFF_T to, void* c) -> OPJ_BOOL {
    return to >= 0 && static_cast<Cursor*>(c)->seek(std::uint64_t(to));
  });
  opj_codec_t* codec = opj_create_decompress(codestream ? OPJ_CODEC_J2K : OPJ_CODEC_JP2);
  opj_image_t* image = nullptr;
  bool ok = false;
  if (codec) {
    opj_set_error_handler(codec, opj_quiet, nullptr);
    opj_set_warning_handler(codec, opj_quiet, nullptr);
    opj_set_info_handler(codec, opj_quiet, nullptr);
    opj_dparameters_t parameters;
    opj_set_default_decoder_parameters(&parameters);
    ok = opj_setup_decoder(codec, &parameters) && opj_read_header(stream, codec, &image) && image;
    if (ok) {
      out.width = std::int64_t(image->x1) - image->x0;
      out.height = std::int64_t(image->y1) - image->y0;
    }
    opj_image_destroy(image);
    opj_destroy_codec(codec);
  }
  opj_stream_destroy(stream);
  return ok;
}

}  // namespace

std::optional<ImageFormat> sniff_image_format(const std::uint8_t* data, std::size_t size) {
  if (starts_with(data, size, "\xFF\xD8\xFF", 3)) return ImageFormat::kJpeg;
  if (starts_with(data, size, "\x89PNG\r\n\x1A\n", 8)) return ImageFormat::kPng;
  if (starts_with(data, size, "RIFF", 4) && size >= 12 && std::memcmp(data + 8, "WEBP", 4) == 0) {
    return ImageFormat::kWebp;
  }
  if (starts_with(data, size, "BM", 2)) return ImageFormat::kBmp;
  if (starts_with(data, size, "II*\0", 4) || starts_with(data, size, "MM\0*", 4) ||
      starts_with(data, size, "II+\0", 4) || starts_with(data, size, "MM\0+", 4)) {
    return ImageFormat::kTiff;
  }
  if (starts_with(data, size, "\0\0\0\x0CjP  \r\n\x87\n", 12) || starts_with(data, size, "\xFF\x4F\xFF\x51", 4)) {
    return ImageFormat::kJpeg2000;
  }
  return std::nullopt;
}

std::optional<DeclaredImage> read_image_header(const std::uint8_t* data, std::size_t size) {
  const std::optional<ImageFormat> format = sniff_image_format(data, size);
  if (!format) return std::nullopt;
  DeclaredImage out{*format};
  bool ok = false;
  switch (*format) {
    case ImageFormat::kJpeg: ok = jpeg_size(data, size, out); break;
    case ImageFormat::kPng: ok = png_size(data, size, out); break;
    case ImageFormat::kWebp: ok = webp_size(data, size, out); break;
    case ImageFormat::kBmp: ok = bmp_size(data, size, out); break;
    case ImageFormat::kTiff: ok = tiff_size(data, size, out); break;
    case ImageFormat::kJpeg2000: ok = jpeg2000_size(data, size, out, data[0] == 0xFF); break;
  }
  if (!ok || out.width <= 0 || out.height <= 0) return std::nullopt;
  return out;
}

}  // namespace veil
