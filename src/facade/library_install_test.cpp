// `cmake --install` gives a package another CMake project can use:
// examples/detect, built against the installed prefix (not the build tree),
// finds the faces `veil anonymize` finds in a faces-dev photo.
#include "test_paths.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

namespace veil {
namespace {

namespace fs = std::filesystem;

TEST(LibraryInstall, AProgramBuiltAgainstTheInstalledPackageFindsTheFacesTheCliFinds) {
#if !VEIL_SHARED_LIBRARY
  GTEST_SKIP() << "a static libveil (the sanitizer build) is not installed as a package";
#endif
  const fs::path dir = test::make_temp_dir("install");
  const fs::path prefix = dir / "prefix";
  std::string out;
  ASSERT_EQ(test::run_command("cmake --install " + test::quoted(VEIL_BINARY_DIR) + " --prefix " + test::quoted(prefix), &out), 0)
      << out;
  // The library with its ABI version, the public headers and nothing of src/.
  EXPECT_TRUE(fs::is_symlink(prefix / "lib/libveil.so.0"));
  EXPECT_TRUE(fs::exists(prefix / "lib/libveil.so.0.1.0"));
  EXPECT_TRUE(fs::exists(prefix / "include/veil/veil.hpp"));
  EXPECT_FALSE(fs::exists(prefix / "include/detect"));
  EXPECT_FALSE(fs::exists(prefix / "include/veil/detect/nms.hpp"));
  EXPECT_TRUE(fs::exists(prefix / "lib/cmake/Veil/VeilConfig.cmake"));
  EXPECT_EQ(test::run_command(test::quoted(prefix / "bin/veil") + " --version", &out), 0) << out;

  ASSERT_EQ(test::run_command("PKG_CONFIG_PATH=" + test::quoted(prefix / "lib/pkgconfig") +
                                  " pkg-config --libs veil",
                              &out),
            0)
      << out;
  EXPECT_NE(out.find("-lveil"), std::string::npos) << out;

  const fs::path example = fs::path(VEIL_SOURCE_DIR) / "examples/detect";
  ASSERT_EQ(test::run_command("cmake -S " + test::quoted(example) + " -B " + test::quoted(dir / "build") +
                                  " -DCMAKE_PREFIX_PATH=" + test::quoted(prefix) + " && cmake --build " +
                                  test::quoted(dir / "build"),
                              &out),
            0)
      << out;
  const fs::path photo = test::shared_dir() / "data/faces-dev/images/maksssksksss0.jpg";
  const std::string env = "VEIL_MODEL_DIR=" + test::quoted(test::model_dir()) + " ";
  ASSERT_EQ(test::run_command(env + test::quoted(dir / "build/detect") + " " + test::quoted(photo), &out), 0) << out;
  const nlohmann::json printed = nlohmann::json::parse(out.substr(0, out.find('\n')));

  ASSERT_EQ(test::run_command(env + test::quoted(prefix / "bin/veil") + " anonymize " + test::quoted(photo) + " -o " +
                                  test::quoted(dir / "out.jpg") + " -q --detections " + test::quoted(dir / "s.jsonl"),
                              &out),
            0)
      << out;
  std::vector<std::vector<double>> cli, example_faces;
  std::ifstream sidecar(dir / "s.jsonl");
  for (std::string line; std::getline(sidecar, line);) {
    const nlohmann::json j = nlohmann::json::parse(line);
    if (!j.contains("detections")) continue;
    for (const auto& d : j["detections"]) {
      if (d["class"] == "face") cli.push_back(d["box"].get<std::vector<double>>());
    }
  }
  for (const auto& d : printed["detections"]) {
    if (d["class"] == "face") example_faces.push_back(d["box"].get<std::vector<double>>());
  }
  ASSERT_GE(cli.size(), 2u);
  ASSERT_EQ(example_faces.size(), cli.size()) << printed.dump();
  std::sort(cli.begin(), cli.end());
  std::sort(example_faces.begin(), example_faces.end());
  for (std::size_t i = 0; i < cli.size(); ++i) {
    for (int k = 0; k < 4; ++k) EXPECT_NEAR(example_faces[i][k], cli[i][k], 0.01) << "face " << i;
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace veil
