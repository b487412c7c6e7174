#include "io/media_listing.hpp"

#include "veil/core/error.hpp"
#include "veil/io/media_io.hpp"

#include <algorithm>
#include <filesystem>

namespace veil {
namespace fs = std::filesystem;

namespace {

// A relative path that would climb out of the output folder ("../x.jpg",
// "/etc/x.jpg", "a/../../x.jpg"): a symlinked file, or an object key built
// to escape when written under a local folder.
std::string version_of(std::int64_t size, const std::string& tag) { return std::to_string(size) + "/" + tag; }

MediaEntry local_entry(const fs::path& path, std::string relative, std::string problem) {
  MediaEntry e{path.string(), std::move(relative), std::move(problem)};
  std::error_code ec;
  e.size = std::int64_t(fs::file_size(path, ec));
  if (ec) e.size = 0;
  const auto mtime = fs::last_write_time(path, ec);
  if (!ec) e.modified = mtime;
  e.version = version_of(e.size, ec ? "" : std::to_string(mtime.time_since_epoch().count()));
  return e;
}

MediaEntry object_entry(const std::string& url, std::string relative, std::string problem, const ObjectInfo& info) {
  MediaEntry e{url, std::move(relative), std::move(problem)};
  e.size = info.size;
  e.version = version_of(info.size, info.etag);
  return e;
}

bool escapes(const std::string& relative) {
  if (relative.empty() || relative.front() == '/') return true;
  for (const auto& part : fs::path(relative)) {
    if (part == "..") return true;
  }
  return false;
}

MediaListing list_local(const std::string& input, const std::string& exclude) {
  MediaListing listing;
  std::error_code ec;
  if (!fs::exists(input, ec)) throw Error(input + ": no such file or folder");
  if (!fs::is_directory(input, ec)) {
    listing.files.push_back(local_entry(input, fs::path(input).filename().string(), ""));
    return listing;
  }
  listing.is_folder = true;
  const fs::path dir(input);
  const fs::path ex = is_object_url(exclude) ? fs::path() : fs::weakly_canonical(exclude, ec);
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory() && !ex.empty() && fs::weakly_canonical(it->path()) == ex) {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file() || media_kind_for_path(it->path()) == MediaKind::kUnknown) continue;
    // Lexically: fs::relative resolves symlinks, and a linked file's path
    // relative to the folder then climbs out of it ("../../x.jpg"), which
    // put its output outside the output folder, over the file it was read
    // from.
    const std::string rel = it->path().lexically_relative(dir).generic_string();
    listing.files.push_back(local_entry(it->path(), rel, escapes(rel) ? it->path().string() + ": not inside " + input : ""));
  }
  if (ec) throw Error("cannot list folder " + input + ": " + ec.message());
  return listing;
}

MediaListing list_objects(const std::string& input, const std::string& exclude, const StorageOptions& storage,
                          bool allow_empty) {
  MediaListing listing;
  ObjectLocation loc = open_object_location(input, storage);
  std::string prefix = loc.key;
  if (!prefix.empty() && prefix.back() != '/') {
    if (const std::optional<ObjectInfo> info = loc.store->stat(prefix)) {
      listing.files.push_back(object_entry(input, fs::path(prefix).filename().string(), "", *info));
      return listing;
    }
    prefix += '/';
  }
  listing.is_folder = true;
  const std::vector<ObjectInfo> objects = loc.store->list(prefix);
  if (objects.empty() && !allow_empty) throw Error(input + ": no such object, and no objects under " + loc.store->url(prefix));
  // An output prefix inside the input prefix: its objects are outputs.
  std::string skip;
  if (is_object_url(exclude)) {
    skip = exclude;
    if (skip.back() != '/') skip += '/';
  }
  for (const auto& o : objects) {
    const std::string url = loc.store->url(o.key);
    if (!skip.empty() && url.rfind(skip, 0) == 0) continue;
    if (o.key.back() == '/' || media_kind_for_path(o.key) == MediaKind::kUnknown) continue;
    const std::string rel = o.key.substr(prefix.size());
    listing.files.push_back(object_entry(url, rel, escapes(rel) ? url + ": its key climbs out of the prefix ('..')" : "", o));
  }
  return listing;
}

}  // namespace

MediaListing list_media(const std::string& input, const std::string& exclude, const StorageOptions& storage,
                        bool allow_empty) {
  MediaListing listing =
      is_object_url(input) ? list_objects(input, exclude, storage, allow_empty) : list_local(input, exclude);
  std::sort(listing.files.begin(), listing.files.end(),
            [](const MediaEntry& a, const MediaEntry& b) { return a.relative < b.relative; });
  return listing;
}

std::string join_location(const std::string& folder, const std::string& relative) {
  if (is_object_url(folder)) return folder.back() == '/' ? folder + relative : folder + "/" + relative;
  return (fs::path(folder) / relative).string();
}

}  // namespace veil
