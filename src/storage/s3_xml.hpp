#pragma once
// The XML documents S3 sends and takes, read and written with pugixml.
// Everything here parses what a (possibly hostile or broken) server sent:
// it never throws anything but veil::Error, and fuzz/ fuzzes it.
#include "veil/storage/object_store.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace veil::s3 {

// <Error><Code/><Message/><Region/></Error>; fields empty when absent or
// when `body` is not XML.
struct ErrorDocument {
  std::string code, message, region;
};
ErrorDocument parse_error_document(std::string_view body);

// One page of ListObjectsV2. Throws veil::Error when `body` is not XML.
struct ListPage {
  std::vector<ObjectInfo> objects;
  std::string next_token;  // empty on the last page
};
ListPage parse_list_page(std::string_view body);

// InitiateMultipartUploadResult's UploadId, or empty.
std::string parse_upload_id(std::string_view body);

// The CompleteMultipartUpload body for parts 1..n with these ETags.
std::string complete_upload_body(const std::vector<std::string>& etags);

}  // namespace veil::s3
