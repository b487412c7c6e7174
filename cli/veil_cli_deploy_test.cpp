// deploy/ follows the veil it ships: deploy/check_manifests.py runs each
// Kubernetes manifest's flags past `veil <command> --help`, checks the probes
// against --metrics, and that no pod holds keys and the IAM policy grants
// only what Veil uses.
#include "test_paths.hpp"

#include <gtest/gtest.h>

namespace veil {
namespace {

TEST(DeployManifests, UseRealFlagsProbesAndRolesNotKeys) {
  const std::filesystem::path script = std::filesystem::path(VEIL_SOURCE_DIR) / "deploy" / "check_manifests.py";
  std::string out;
  EXPECT_EQ(test::run_command("/usr/bin/python3 " + test::quoted(script) + " " + test::quoted(test::cli_path()), &out), 0)
      << out;
}

}  // namespace
}  // namespace veil
