// Faults a user's machine throws at `veil anonymize`: the process killed at
// any moment (power cut, OOM killer, kill -9) and a full disk. Nothing may
// appear at the output path, and what a killed run leaves behind is tidied
// by the next run.
#include "io/video_source.hpp"
#include "local_servers.hpp"
#include "test_paths.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <random>
#include <thread>

namespace veil {
namespace fs = std::filesystem;

namespace {

const fs::path kDashcam = test::video_dir() / "CarND-Vehicle-Detection_test_video.mp4";

class VeilFaults : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = test::make_temp_dir("faults"); }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<std::string> veil_argv(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {"env", "VEIL_MODEL_DIR=" + test::model_dir().string(), test::cli_path().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  static int temp_files_in(const fs::path& folder) {
    int n = 0;
    for (const auto& e : fs::recursive_directory_iterator(folder)) {
      n += e.path().filename().string().find(".veil-") != std::string::npos;
    }
    return n;
  }
  static bool wait_for_temp_file(const fs::path& folder, double seconds) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < until) {
      if (fs::exists(folder) && temp_files_in(folder) > 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  // Starts `args`, kills it with SIGKILL at a random moment while it
  // writes into `folder`, and checks that nothing appeared at `outputs`.
  void kill_while_writing(const std::vector<std::string>& args, const fs::path& folder,
                          const std::vector<fs::path>& outputs, unsigned seed) {
    test::ChildProcess run(veil_argv(args), dir_ / "run.log");
    ASSERT_TRUE(wait_for_temp_file(folder, 120)) << run.output();
    std::mt19937 rng(seed);
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 1500)(rng)));
    run.signal(SIGKILL);
    ASSERT_TRUE(run.wait(10));
    for (const auto& out : outputs) {
      if (fs::exists(out)) {
        // Killed after this file was finished: it must then be whole.
        VideoSource finished(out);
        continue;
      }
    }
    EXPECT_FALSE(fs::exists(outputs.back())) << "the file being written was killed, yet appeared";
  }

  fs::path dir_;
};

TEST_F(VeilFaults, AKilledVideoRunLeavesNothingAtTheOutputAndTheNextRunTidiesUp) {
  const fs::path out_dir = dir_ / "out";
  fs::create_directories(out_dir);
  const fs::path out = out_dir / "clip.mp4";
  const std::vector<std::string> args = {"anonymize", kDashcam.string(), "-o", out.string(), "--preset", "ultrafast",
                                         "-q"};
  for (unsigned seed : {1u, 2u}) {
    kill_while_writing(args, out_dir, {out}, seed);
    EXPECT_GE(temp_files_in(out_dir), 1) << "a killed process cannot remove its own temporary file";
  }
  test::ChildProcess again(veil_argv(args), dir_ / "again.log");
  ASSERT_EQ(again.wait(300), 0) << again.output();
  EXPECT_TRUE(fs::exists(out));
  EXPECT_EQ(temp_files_in(out_dir), 0) << "the next run removes what killed runs left";
}

TEST_F(VeilFaults, AKilledFolderRunLeavesOnlyWholeFiles) {
  fs::create_directories(dir_ / "in");
  for (int i = 0; i < 3; ++i) fs::copy_file(kDashcam, dir_ / "in" / ("c" + std::to_string(i) + ".mp4"));
  const fs::path out_dir = dir_ / "out";
  kill_while_writing({"anonymize", (dir_ / "in").string(), "-o", out_dir.string(), "--preset", "ultrafast", "-q"},
                     out_dir, {out_dir / "c0.mp4", out_dir / "c1.mp4", out_dir / "c2.mp4"}, 3);
  for (const auto& e : fs::directory_iterator(out_dir)) {
    const std::string name = e.path().filename().string();
    if (name[0] == '.') continue;  // the killed file's temporary
    VideoSource whole(e.path());  // throws if truncated
    Frame f;
    int frames = 0;
    while (whole.read(f)) ++frames;
    EXPECT_EQ(frames, 38) << name;
  }
}

TEST_F(VeilFaults, AFullDiskIsAClearErrorWithNothingLeft) {
  const fs::path out = dir_ / "out.mp4";
  // A 256 KiB file-size limit stands in for a full disk: the encoded clip
  // is 1.5 MB, so a write fails part-way (EFBIG, as ENOSPC would).
  std::string output;
  const int code = test::run_command("sh -c 'ulimit -f 512; exec env VEIL_MODEL_DIR=" + test::model_dir().string() +
                                         " " + test::cli_path().string() + " anonymize " + kDashcam.string() +
                                         " -o " + out.string() + " --preset ultrafast -q'",
                                     &output);
  EXPECT_EQ(code, 1) << output;
  EXPECT_NE(output.find(out.string()), std::string::npos) << output;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_EQ(temp_files_in(dir_), 0) << output;
}

// A 60-byte GIF whose header claims a 16000x16000 screen once made Veil use
// 24 GB: it is refused before a frame is decoded.
TEST_F(VeilFaults, AnAbsurdFrameSizeIsRefusedBeforeAllocating) {
  auto u16 = [](int v) { return std::string{char(v & 0xff), char(v >> 8)}; };
  std::string gif = "GIF89a" + u16(16000) + u16(16000) + std::string("\x80\x00\x00", 3) +
                    std::string("\x00\x00\x00\xff\xff\xff", 6);
  for (int i = 0; i < 2; ++i) {
    gif += "\x2c" + u16(i) + u16(i) + u16(1) + u16(1) + std::string("\x00\x02\x02\x44\x01\x00", 6);
  }
  gif += "\x3b";
  const fs::path input = dir_ / "huge.gif", out = dir_ / "out.gif";
  std::ofstream(input, std::ios::binary) << gif;
  std::string output;
  const auto start = std::chrono::steady_clock::now();
  const int code = test::run_command("env VEIL_MODEL_DIR=" + test::model_dir().string() + " " +
                                         test::cli_path().string() + " anonymize " + input.string() + " -o " +
                                         out.string() + " -q",
                                     &output);
  EXPECT_EQ(code, 1) << output;
  // The probe that reads the stream information refuses to decode the
  // first picture (FFmpeg's own message names its size), so Veil cannot say
  // the size itself.
  EXPECT_NE(output.find("larger than Veil handles"), std::string::npos) << output;
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 30.0);
  EXPECT_FALSE(fs::exists(out));
}

// A dashcam that loses power leaves a file cut mid-way. Its index (an MP4
// "moov" written first) still lists every frame: Veil anonymizes every frame
// that can be read, writes them, says how many were lost, and exits 4.
TEST_F(VeilFaults, ATruncatedRecordingIsAnonymizedAsFarAsItGoes) {
  const fs::path clip = test::video_dir() / "car-detection.mp4";  // moov first, 377 frames
  const fs::path cut = dir_ / "cut.mp4", out = dir_ / "out.mp4";
  {
    std::ifstream in(clip, std::ios::binary);
    std::string head(1500000, '\0');
    in.read(head.data(), std::streamsize(head.size()));
    std::ofstream(cut, std::ios::binary).write(head.data(), std::streamsize(head.size()));
  }
  std::string output;
  const int code = test::run_command("env VEIL_MODEL_DIR=" + test::model_dir().string() + " " +
                                         test::cli_path().string() + " anonymize " + cut.string() + " -o " +
                                         out.string() + " --preset ultrafast -q",
                                     &output);
  EXPECT_EQ(code, 4) << output;
  EXPECT_NE(output.find("of the 377 frames"), std::string::npos) << output;
  VideoSource cut_source(cut);
  Frame f;
  int readable = 0;
  while (cut_source.read(f)) ++readable;
  EXPECT_GT(readable, 100);
  EXPECT_LT(readable, 377);
  EXPECT_EQ(cut_source.frames_missing(), 377 - readable);
  VideoSource written(out);
  int frames = 0;
  while (written.read(f)) ++frames;
  EXPECT_EQ(frames, readable);
  EXPECT_NE(output.find(std::to_string(readable) + " of the 377"), std::string::npos) << output;
}

}  // namespace
}  // namespace veil
