#include "storage/s3_xml.hpp"

#include "veil/core/error.hpp"

#include <pugixml.hpp>

#include <charconv>
#include <sstream>

namespace veil::s3 {

namespace {

bool load(pugi::xml_document& doc, std::string_view body) {
  return !body.empty() && doc.load_buffer(body.data(), body.size());
}

// A size as S3 writes it; 0 when it is not a number >= 0.
std::int64_t size_of(const char* text) {
  std::int64_t v = 0;
  const char* end = text + std::char_traits<char>::length(text);
  auto [ptr, ec] = std::from_chars(text, end, v);
  return ec == std::errc() && ptr == end && v >= 0 ? v : 0;
}

}  // namespace

ErrorDocument parse_error_document(std::string_view body) {
  ErrorDocument e;
  pugi::xml_document doc;
  if (load(doc, body)) {
    pugi::xml_node err = doc.child("Error");
    e.code = err.child_value("Code");
    e.message = err.child_value("Message");
    e.region = err.child_value("Region");
  }
  return e;
}

ListPage parse_list_page(std::string_view body) {
  pugi::xml_document doc;
  if (!load(doc, body)) throw Error("the store's object listing is not valid XML");
  ListPage page;
  pugi::xml_node result = doc.child("ListBucketResult");
  for (pugi::xml_node c : result.children("Contents")) {
    page.objects.push_back({c.child_value("Key"), size_of(c.child_value("Size")), c.child_value("ETag")});
  }
  if (std::string_view(result.child_value("IsTruncated")) == "true") {
    page.next_token = result.child_value("NextContinuationToken");
  }
  return page;
}

std::string parse_upload_id(std::string_view body) {
  pugi::xml_document doc;
  if (!load(doc, body)) return "";
  return doc.child("InitiateMultipartUploadResult").child_value("UploadId");
}

std::string complete_upload_body(const std::vector<std::string>& etags) {
  pugi::xml_document doc;
  pugi::xml_node root = doc.append_child("CompleteMultipartUpload");
  for (std::size_t i = 0; i < etags.size(); ++i) {
    pugi::xml_node part = root.append_child("Part");
    part.append_child("PartNumber").text().set(std::to_string(i + 1).c_str());
    part.append_child("ETag").text().set(etags[i].c_str());
  }
  std::ostringstream xml;
  doc.save(xml, "", pugi::format_raw | pugi::format_no_declaration);
  return xml.str();
}

}  // namespace veil::s3
