#include "veil/models/model_manifest.hpp"

#include "veil/core/error.hpp"

#include <nlohmann/json.hpp>

namespace veil {

extern const char* const kModelManifestJson;

ModelManifest ModelManifest::parse(const std::string& json_text) {
  ModelManifest m;
  try {
    auto doc = nlohmann::json::parse(json_text);
    for (const auto& j : doc.at("models")) {
      ModelEntry e;
      e.name = j.at("name").get<std::string>();
      e.file = j.at("file").get<std::string>();
      e.sha256 = j.at("sha256").get<std::string>();
      e.license = j.value("license", "");
      e.commercial_use = j.value("commercial_use", false);
      e.family = j.value("family", "");
      e.role = j.value("role", "");
      e.sources = j.value("sources", std::vector<std::string>{});
      m.entries_.push_back(std::move(e));
    }
  } catch (const nlohmann::json::exception& ex) {
    throw Error(std::string("invalid model manifest: ") + ex.what());
  }
  return m;
}

const ModelManifest& ModelManifest::builtin() {
  static const ModelManifest manifest = parse(kModelManifestJson);
  return manifest;
}

const ModelEntry& ModelManifest::find(const std::string& name) const {
  for (const auto& e : entries_) {
    if (e.name == name) return e;
  }
  throw Error("no model named '" + name + "' in the manifest");
}

}  // namespace veil
