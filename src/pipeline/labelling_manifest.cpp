#include "pipeline/labelling_manifest.hpp"

#include "io/whole_files.hpp"
#include "veil/core/error.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <sstream>

namespace veil {

LabellingManifest::LabellingManifest(std::string location, StorageOptions storage)
    : location_(std::move(location)), storage_(storage) {
  const std::optional<std::string> existing = read_whole_file(location_, storage_);
  if (!existing) return;
  std::istringstream in(*existing);
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.empty()) continue;
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("source-ref") || !j["source-ref"].is_string()) {
      throw Error(location_ + ": line " + std::to_string(number) +
                  " is not a manifest line ({\"source-ref\": ...}); not adding to a file Veil did not write");
    }
    if (refs_.insert(j["source-ref"].get<std::string>()).second) lines_.push_back(line);
  }
}

void LabellingManifest::add(const std::string& output) {
  const std::string ref =
      is_object_url(output) ? output : std::filesystem::absolute(output).lexically_normal().string();
  if (!refs_.insert(ref).second) return;
  lines_.push_back(nlohmann::json{{"source-ref", ref}}.dump());
  changed_ = true;
}

void LabellingManifest::write() {
  if (!changed_) return;
  std::string text;
  for (const auto& line : lines_) text += line + "\n";
  write_whole_file(location_, text, storage_);
  changed_ = false;
}

}  // namespace veil
