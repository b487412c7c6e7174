#include "veil/models/model_store.hpp"

#include "models/sha256.hpp"
#include "test_paths.hpp"
#include "veil/core/error.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace veil {
namespace fs = std::filesystem;

TEST(ModelStore, EveryManifestModelIsInTheMirrorWithItsChecksum) {
  ModelStore store({test::model_dir(), test::make_temp_dir("cache"), false});
  for (const auto& e : ModelManifest::builtin().entries()) {
    ResolvedModel m = store.resolve(e);
    EXPECT_EQ(m.origin, "VEIL_MODEL_DIR");
    EXPECT_EQ(sha256_file(m.path), e.sha256) << e.name;
  }
}

TEST(ModelStore, RefusesAFileWhoseChecksumDiffers) {
  fs::path mirror = test::make_temp_dir("mirror");
  const ModelEntry& e = ModelManifest::builtin().find("yunet-face");
  fs::create_directories((mirror / e.file).parent_path());
  fs::copy_file(test::model_dir() / e.file, mirror / e.file);
  {  // flip one byte of the real weights
    std::fstream f(mirror / e.file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(1000);
    f.put('\x5a');
  }
  ModelStore store({mirror, mirror / "cache", false});
  try {
    store.resolve(e);
    FAIL() << "a tampered model was accepted";
  } catch (const Error& ex) {
    EXPECT_NE(std::string(ex.what()).find("refusing"), std::string::npos) << ex.what();
  }
  fs::remove_all(mirror);
}

TEST(ModelStore, MissingModelWithoutDownloadIsAClearError) {
  fs::path empty = test::make_temp_dir("empty");
  ModelStore store({empty, empty / "cache", false});
  EXPECT_THROW(store.resolve("yunet-face"), Error);
  fs::remove_all(empty);
}

TEST(ModelStore, FailedDownloadLeavesNoFileInTheCache) {
  fs::path empty = test::make_temp_dir("nodl");
  ModelEntry e = ModelManifest::builtin().find("yunet-face");
  e.sources = {"http://127.0.0.1:9/not-there.onnx"};  // discard port: refused at once
  ModelStore store({empty, empty / "cache", true});
  EXPECT_THROW(store.resolve(e), Error);
  EXPECT_FALSE(fs::exists(empty / "cache" / e.file));
  fs::remove_all(empty);
}

TEST(ModelManifest, RejectsMalformedJson) {
  EXPECT_THROW(ModelManifest::parse("{\"models\": [{\"name\": 1}]}"), Error);
  EXPECT_THROW(ModelManifest::parse("not json"), Error);
}

TEST(Sha256, MatchesAKnownDigest) {
  fs::path dir = test::make_temp_dir("sha");
  std::ofstream(dir / "abc") << "abc";
  EXPECT_EQ(sha256_file(dir / "abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  fs::remove_all(dir);
}

}  // namespace veil
