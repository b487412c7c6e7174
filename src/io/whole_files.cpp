#include "io/whole_files.hpp"

#include "io/output_file.hpp"
#include "veil/core/error.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace veil {
namespace fs = std::filesystem;

std::optional<std::string> read_whole_file(const std::string& location, const StorageOptions& storage) {
  if (!is_object_url(location)) {
    std::error_code ec;
    if (!fs::exists(location, ec)) return std::nullopt;
    std::ifstream in(location, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in) throw Error(location + ": cannot read (" + std::strerror(errno) + ")");
    return text.str();
  }
  ObjectLocation where = open_object_location(location, storage);
  if (!where.store->stat(where.key)) return std::nullopt;
  std::unique_ptr<ObjectReader> reader = where.store->open(where.key);
  std::string text(std::size_t(reader->size()), '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    const std::size_t n = reader->read_at(std::int64_t(got), text.data() + got, text.size() - got);
    if (n == 0) throw Error(location + ": the object ended early");
    got += n;
  }
  return text;
}

void write_whole_file(const std::string& location, const std::string& content, const StorageOptions& storage) {
  std::unique_ptr<OutputFile> out = open_output_file(location, storage);
  {
    std::ofstream f(out->temp_path(), std::ios::binary | std::ios::trunc);
    f.write(content.data(), std::streamsize(content.size()));
    f.close();
    if (!f) throw Error(location + ": cannot write (" + std::strerror(errno) + ")");
  }
  out->commit();
}

void remove_file(const std::string& location, const StorageOptions& storage) {
  if (is_object_url(location)) {
    ObjectLocation where = open_object_location(location, storage);
    where.store->remove(where.key);
    return;
  }
  std::error_code ec;
  fs::remove(location, ec);
  if (ec) throw Error(location + ": cannot delete (" + ec.message() + ")");
}

}  // namespace veil
