// Still images: the size a header declares is read before decoding, for every
// format Veil takes, and a crafted header claiming a huge picture is refused
// with a clear error instead of an allocation of gigabytes.
#include "io/image_header.hpp"
#include "io/image_io.hpp"
#include "veil/core/error.hpp"

#include "test_paths.hpp"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <zlib.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

namespace veil {
namespace {
namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

// A real photograph from the dev set, at an odd size so that width and height differ.
cv::Mat photo() {
  fs::path dir = test::shared_dir() / "data" / "faces-dev" / "images";
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  cv::Mat image = cv::imread(files.at(0).string());
  cv::resize(image, image, cv::Size(333, 217));
  return image;
}

Bytes encode(const cv::Mat& image, const std::string& extension) {
  std::vector<uchar> out;
  if (!cv::imencode(extension, image, out)) throw std::runtime_error("cannot encode " + extension);
  return Bytes(out.begin(), out.end());
}

void put_be32(Bytes& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = std::uint8_t(v >> (24 - 8 * i));
}
void put_le32(Bytes& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = std::uint8_t(v >> (8 * i));
}

// Writes `bytes` as a file and opens it the way `veil anonymize` does.
std::string open_error(const Bytes& bytes, const std::string& name) {
  const fs::path dir = test::make_temp_dir("image-header");
  const fs::path path = dir / name;
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  std::string error;
  try {
    ImageSource source(path);
  } catch (const Error& e) {
    error = e.what();
  }
  fs::remove_all(dir);
  return error;
}

TEST(ImageHeader, EveryFormatVeilTakesDeclaresItsSizeAndDecodes) {
  const cv::Mat image = photo();
  const std::vector<std::pair<std::string, ImageFormat>> formats = {
      {".jpg", ImageFormat::kJpeg}, {".png", ImageFormat::kPng},   {".webp", ImageFormat::kWebp},
      {".bmp", ImageFormat::kBmp},  {".tif", ImageFormat::kTiff}, {".jp2", ImageFormat::kJpeg2000}};
  for (const auto& [extension, format] : formats) {
    SCOPED_TRACE(extension);
    const Bytes bytes = encode(image, extension);
    const auto header = read_image_header(bytes.data(), bytes.size());
    ASSERT_TRUE(header.has_value());
    EXPECT_EQ(header->format, format);
    EXPECT_EQ(header->width, 333);
    EXPECT_EQ(header->height, 217);
    EXPECT_EQ(open_error(bytes, "photo" + extension), "");
  }
}

TEST(ImageHeader, CraftedHugeSizesAreRefusedBeforeDecoding) {
  const cv::Mat image = photo();
  std::vector<std::pair<std::string, Bytes>> crafted;

  Bytes jpeg = encode(image, ".jpg");  // SOF0: FF C0, length, precision, height, width
  for (std::size_t i = 0; i + 8 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0) {
      jpeg[i + 5] = jpeg[i + 6] = jpeg[i + 7] = jpeg[i + 8] = 0xFD;  // 64957 x 64957
      break;
    }
  }
  crafted.emplace_back("huge.jpg", jpeg);

  Bytes png = encode(image, ".png");  // IHDR at 8: length, type, width, height, ..., CRC at 29
  put_be32(png, 16, 100000);
  put_be32(png, 20, 100000);
  put_be32(png, 29, std::uint32_t(crc32(0, png.data() + 12, 17)));
  crafted.emplace_back("huge.png", png);

  Bytes bmp = encode(image, ".bmp");
  put_le32(bmp, 18, 100000);
  put_le32(bmp, 22, 100000);
  crafted.emplace_back("huge.bmp", bmp);

  // A TIFF whose first directory claims 100000 x 100000 and one strip.
  Bytes tiff = {'I', 'I', 42, 0, 8, 0, 0, 0, 4, 0};
  auto entry = [&](std::uint16_t tag, std::uint16_t type, std::uint32_t value) {
    const Bytes e = {std::uint8_t(tag), std::uint8_t(tag >> 8), std::uint8_t(type), 0, 1, 0, 0, 0};
    tiff.insert(tiff.end(), e.begin(), e.end());
    tiff.resize(tiff.size() + 4);
    put_le32(tiff, tiff.size() - 4, value);
  };
  entry(256, 4, 100000);  // ImageWidth, LONG
  entry(257, 4, 100000);  // ImageLength
  entry(273, 4, 64);      // StripOffsets
  entry(279, 4, 16);      // StripByteCounts
  tiff.resize(tiff.size() + 4 + 16);
  crafted.emplace_back("huge.tif", tiff);

  for (const auto& [name, bytes] : crafted) {
    SCOPED_TRACE(name);
    const auto header = read_image_header(bytes.data(), bytes.size());
    ASSERT_TRUE(header.has_value());
    EXPECT_GT(header->width * header->height, ImageSource::kMaxImagePixels);
    const std::string error = open_error(bytes, name);
    EXPECT_NE(error.find("is larger than Veil handles"), std::string::npos) << error;
  }
}

TEST(ImageHeader, FormatsVeilDoesNotTakeAndDamagedHeadersAreNotImages) {
  const cv::Mat image = photo();
  // OpenCV would decode a PPM; Veil takes only the formats whose header it checks.
  const Bytes ppm = encode(image, ".ppm");
  EXPECT_FALSE(sniff_image_format(ppm.data(), ppm.size()).has_value());
  EXPECT_NE(open_error(ppm, "photo.jpg").find("not a readable image"), std::string::npos);

  for (const std::string extension : {".jpg", ".png", ".webp", ".tif", ".jp2"}) {
    SCOPED_TRACE(extension);
    Bytes cut = encode(image, extension);
    cut.resize(20);  // the signature, but not the size
    EXPECT_FALSE(read_image_header(cut.data(), cut.size()).has_value());
    EXPECT_NE(open_error(cut, "cut" + extension).find("not a readable image"), std::string::npos);
  }
  const Bytes empty;
  EXPECT_NE(open_error(empty, "empty.jpg").find("not a readable image"), std::string::npos);
}

// The reader decodes from memory now (cv::imdecode, not cv::imread): the EXIF
// orientation must still turn the picture upright.
TEST(ImageHeader, ExifOrientationStillApplies) {
  cv::Mat image(100, 200, CV_8UC3, cv::Scalar(0, 0, 0));
  Bytes jpeg = encode(image, ".jpg");
  // APP1 Exif: a big-endian TIFF block with one entry, Orientation = 6 (rotate 90).
  const Bytes app1 = {0xFF, 0xE1, 0x00, 0x22, 'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0, 42, 0, 0, 0, 8,
                      0,    1,    0x01, 0x12, 0,   3,   0,   0,   0, 1, 0,   6,   0, 0, 0,  0, 0, 0};
  jpeg.insert(jpeg.begin() + 2, app1.begin(), app1.end());
  const fs::path dir = test::make_temp_dir("image-exif");
  const fs::path path = dir / "rotated.jpg";
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(jpeg.data()), std::streamsize(jpeg.size()));
  ImageSource source(path);
  EXPECT_EQ(source.info().width, 100);
  EXPECT_EQ(source.info().height, 200);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace veil
