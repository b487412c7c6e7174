// `veil models`: the models Veil knows, their checksums, licences and where
// each was found.
#include "commands.hpp"
#include "options.hpp"
#include "veil/models/model_manifest.hpp"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <iostream>
#include <memory>

namespace veil::cli {
namespace {

int run_models(bool json, bool no_download) {
  ModelStore store = model_store(no_download);
  nlohmann::json out = nlohmann::json::array();
  int status = 0;
  for (const auto& e : ModelManifest::builtin().entries()) {
    const DetectionOptions defaults;
    const bool is_default = std::count(defaults.face_models.begin(), defaults.face_models.end(), e.name) +
                                std::count(defaults.plate_models.begin(), defaults.plate_models.end(), e.name) >
                            0;
    nlohmann::json j = {{"name", e.name},     {"file", e.file},
                        {"sha256", e.sha256}, {"license", e.license},
                        {"commercial_use", e.commercial_use}, {"family", e.family},
                        {"role", e.role},     {"default", is_default}};
    try {
      ResolvedModel m = store.resolve(e);
      j["path"] = m.path.string();
      j["origin"] = m.origin;
      j["verified"] = true;
    } catch (const Error& ex) {
      j["error"] = ex.what();
      j["verified"] = false;
      status = 1;
    }
    out.push_back(j);
  }
  if (json) {
    std::cout << out.dump(2) << "\n";
  } else {
    for (const auto& j : out) {
      fmt::print("{}  ({}{})\n  file     {}\n  sha256   {}\n  licence  {}{}\n", j["name"].get<std::string>(),
                 j["role"].get<std::string>(), j["default"].get<bool>() ? "; used by default" : "",
                 j["file"].get<std::string>(), j["sha256"].get<std::string>(), j["license"].get<std::string>(),
                 j["commercial_use"].get<bool>() ? "" : " (NON-COMMERCIAL USE ONLY)");
      if (j["verified"].get<bool>()) {
        fmt::print("  found    {} ({}, checksum verified)\n\n", j["path"].get<std::string>(),
                   j["origin"].get<std::string>());
      } else {
        fmt::print("  MISSING  {}\n\n", j["error"].get<std::string>());
      }
    }
  }
  return status;
}

}  // namespace

void add_models_command(CLI::App& app, Run& run) {
  auto json = std::make_shared<bool>(false);
  auto offline = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("models", "list the models, their checksums, licences and locations");
  cmd->add_flag("--json", *json, "machine-readable output");
  cmd->add_flag("--offline", *offline, "never download; report what is missing");
  cmd->callback([json, offline, &run] { run = [json, offline] { return run_models(*json, *offline); }; });
}

}  // namespace veil::cli
