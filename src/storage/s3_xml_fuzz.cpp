// Fuzz target: the XML documents an S3 server sends (errors, listings,
// multipart upload ids).
#include "storage/s3_xml.hpp"
#include "veil/core/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  veil::s3::parse_error_document(body);
  veil::s3::parse_upload_id(body);
  try {
    veil::s3::parse_list_page(body);
  } catch (const veil::Error&) {
  }
  return 0;
}
