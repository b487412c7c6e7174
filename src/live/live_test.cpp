// Live mode end to end: the ffmpeg program plays a real clip as a camera
// would (MPEG-TS over UDP on loopback, at real-time speed), `veil anonymize
// --live` reads it and writes HLS, and the tests check what a viewer would
// get: every frame, faces hidden as a file run hides them, a bounded delay,
// survival of a stalled source, and whole-frame hiding when detection cannot
// keep up.
#include "frame_checks.hpp"
#include "local_servers.hpp"
#include "test_paths.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <opencv2/imgproc.hpp>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

namespace veil {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

// A UDP port nobody uses now.
int free_udp_port() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// The clip as a camera would send it: H.264 in MPEG-TS, a keyframe a second;
// with its audio as AAC when `audio_seconds` > 0, cut to that length.
fs::path camera_recording(const fs::path& dir, const fs::path& clip, const std::string& filter = "",
                          double audio_seconds = 0) {
  const fs::path ts = dir / "camera.ts";
  const std::string vf = filter.empty() ? "" : " -vf " + filter;
  const std::string audio = audio_seconds > 0 ? " -t " + std::to_string(audio_seconds) + " -c:a aac" : " -an";
  const std::string cmd = "ffmpeg -v error -y -i " + test::quoted(clip) + vf + audio +
                          " -c:v libx264 -preset ultrafast -g 12 -pix_fmt yuv420p -f mpegts " + test::quoted(ts);
  EXPECT_EQ(test::run_command(cmd), 0) << cmd;
  return ts;
}

// Plays `ts` to the port at real-time speed; returns when it has all gone.
void play_live(const fs::path& ts, int port, const fs::path& log) {
  test::ChildProcess ffmpeg({"ffmpeg", "-v", "error", "-re", "-i", ts.string(), "-c", "copy", "-f", "mpegts",
                             "udp://127.0.0.1:" + std::to_string(port) + "?pkt_size=1316"},
                            log);
  ASSERT_EQ(ffmpeg.wait(120), 0) << ffmpeg.output();
}

// `veil anonymize --live` as a user starts it, stopped by SIGTERM.
class LiveVeil {
 public:
  LiveVeil(int port, const fs::path& dir, const std::vector<std::string>& options)
      : LiveVeil("udp://127.0.0.1:" + std::to_string(port), dir, options) {}
  LiveVeil(const std::string& input, const fs::path& dir, const std::vector<std::string>& options)
      : dir_(dir), process_(argv(input, dir, options), dir / "veil.log") {
    // The camera starts once Veil has loaded its models and opens the
    // stream (binds the port, listens): a slow build takes seconds to get
    // there.
    for (int i = 0; i < 600 && process_.output().find("opening the stream") == std::string::npos; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  // SIGTERM once the last frames had time to leave; returns the exit status.
  int stop(double after_seconds = 3.0) {
    std::this_thread::sleep_for(std::chrono::duration<double>(after_seconds));
    process_.signal(SIGTERM);
    const std::optional<int> status = process_.wait(60);
    return status.value_or(-1);
  }
  std::string log() const { return process_.output(); }
  fs::path playlist() const { return dir_ / "hls" / "live.m3u8"; }
  std::vector<json> stats() const { return test::read_jsonl(dir_ / "stats.jsonl"); }
  json end_event() const {
    for (const json& r : stats()) {
      if (r.value("event", "") == "end") return r;
    }
    return json();
  }

 private:
  static std::vector<std::string> argv(const std::string& input, const fs::path& dir,
                                       const std::vector<std::string>& options) {
    fs::create_directories(dir / "hls");
    std::vector<std::string> a = {"env",
                                  "VEIL_MODEL_DIR=" + test::model_dir().string(),
                                  test::cli_path().string(),
                                  "anonymize",
                                  input,
                                  "-o",
                                  (dir / "hls" / "live.m3u8").string(),
                                  "--live",
                                  "--stats",
                                  (dir / "stats.jsonl").string()};
    a.insert(a.end(), options.begin(), options.end());
    return a;
  }
  fs::path dir_;
  test::ChildProcess process_;
};

// What a file run of `ts` finds in each frame: its sidecar, dir/file.jsonl.
bool file_run_sidecar(const fs::path& ts, const fs::path& dir) {
  return test::run_command(test::veil_command("anonymize " + test::quoted(ts) + " -o " +
                                              test::quoted(dir / "file.mp4") + " --mode none --detections " +
                                              test::quoted(dir / "file.jsonl") + " -q"),
                           nullptr) == 0;
}

bool hidden_whole(const cv::Mat& frame) {  // fill mode, black: the whole picture filled
  return test::mean_level(frame, cv::Rect(0, 0, frame.cols, frame.rows)) < 4.0;
}

// For each frame of `live` not hidden whole: of the file run's boxes (at
// least `min_height` tall), how many are filled (black) there too.
struct Coverage {
  int frames_hidden_whole = 0, boxes = 0, boxes_filled = 0;
};
Coverage compare_with_file_run(const std::vector<cv::Mat>& live, const std::vector<json>& file_sidecar,
                               int min_height) {
  Coverage c;
  for (const json& line : file_sidecar) {
    if (!line.contains("index")) continue;
    const size_t index = line["index"].get<size_t>();
    if (index >= live.size()) continue;
    const cv::Mat& frame = live[index];
    if (hidden_whole(frame)) {
      ++c.frames_hidden_whole;
      continue;
    }
    for (const json& d : line["detections"]) {
      const auto b = d["box"].get<std::vector<double>>();
      if (b[3] < min_height) continue;
      // The core of the box: the ellipse and the encoder blur its edges.
      const cv::Rect core = cv::Rect(int(b[0] + b[2] * 0.3), int(b[1] + b[3] * 0.3), int(b[2] * 0.4),
                                     int(b[3] * 0.4)) &
                            cv::Rect(0, 0, frame.cols, frame.rows);
      if (core.area() == 0) continue;
      ++c.boxes;
      if (test::mean_level(frame, core) < 25.0) ++c.boxes_filled;
    }
  }
  return c;
}

double max_latency(const std::vector<json>& stats) {
  double m = 0;
  for (const json& r : stats) {
    if (r.value("type", "") == "status") m = std::max(m, r["latency_max_s"].get<double>());
  }
  return m;
}

TEST(Live, UdpCameraToHlsHidesEveryFaceAsAFileRunDoes) {
  const fs::path dir = test::make_temp_dir("live-udp");
  const fs::path ts = camera_recording(dir, test::video_dir() / "head-pose-face-detection-female-and-male.gif");
  const std::vector<cv::Mat> sent = test::decode_frames(ts);
  ASSERT_GT(sent.size(), 40u);

  // What a file run hides in each frame.
  ASSERT_TRUE(file_run_sidecar(ts, dir));

  // A budget longer than the clip's backlog could grow on a slow machine
  // (a sanitizer build): frames then wait for analysis instead of being
  // hidden whole, which would leave the face check little to check.
  const int port = free_udp_port();
  const double latency = 4.0;
  LiveVeil veil(port, dir, {"--latency", "4s", "--mode", "fill", "--shape", "box"});
  play_live(ts, port, dir / "ffmpeg.log");
  ASSERT_EQ(veil.stop(), 0) << veil.log();

  // Every frame arrives, in order, and the playlist was closed properly.
  const std::vector<cv::Mat> got = test::decode_frames(veil.playlist());
  EXPECT_EQ(got.size(), sent.size()) << veil.log();
  std::ifstream playlist(veil.playlist());
  const std::string text((std::istreambuf_iterator<char>(playlist)), {});
  EXPECT_NE(text.find("#EXT-X-ENDLIST"), std::string::npos) << text;

  // Faces are hidden where the file run hides them.
  const Coverage c = compare_with_file_run(got, test::read_jsonl(dir / "file.jsonl"), 16);
  EXPECT_GT(c.boxes, 40);
  EXPECT_GE(c.boxes_filled, c.boxes * 0.97) << c.boxes_filled << " of " << c.boxes;
  const json end = veil.end_event();
  ASSERT_FALSE(end.is_null()) << veil.log();
  EXPECT_EQ(end["hidden_whole"].get<int>(), c.frames_hidden_whole);
  EXPECT_LE(c.frames_hidden_whole, int(sent.size()) / 4) << "the face check needs analysed frames";
  EXPECT_EQ(end["frames_out"].get<size_t>(), sent.size());

  // Each frame left within the latency asked for, plus one HLS segment.
  EXPECT_LE(max_latency(veil.stats()), latency + 1.0);
  EXPECT_GT(max_latency(veil.stats()), 0.0);
  fs::remove_all(dir);
}

TEST(Live, RtspCameraPushingToVeilListening) {
  // FFmpeg's RTSP listen mode: Veil is the server a camera publishes to
  // (ANNOUNCE/RECORD), as with a relay, but with no relay to install.
  const fs::path dir = test::make_temp_dir("live-rtsp");
  const fs::path ts = camera_recording(dir, test::video_dir() / "head-pose-face-detection-female-and-male.gif");
  const size_t frames = test::decode_frames(ts).size();
  // A free TCP port: the UDP one's number is as good as any.
  const std::string url = "rtsp://127.0.0.1:" + std::to_string(free_udp_port()) + "/camera";
  LiveVeil veil(url, dir, {"--input-option", "rtsp_flags=listen", "--latency", "1s", "--mode", "fill"});
  test::ChildProcess camera({"ffmpeg", "-v", "error", "-re", "-i", ts.string(), "-c", "copy", "-f", "rtsp", url},
                            dir / "ffmpeg.log");
  ASSERT_EQ(camera.wait(120), 0) << camera.output() << veil.log();
  ASSERT_EQ(veil.stop(), 0) << veil.log();
  EXPECT_EQ(test::decode_frames(veil.playlist()).size(), frames) << veil.log();
  const json end = veil.end_event();
  ASSERT_FALSE(end.is_null()) << veil.log();
  EXPECT_EQ(end["frames_out"].get<size_t>(), frames);
  fs::remove_all(dir);
}

// How long the stream of `type` (audio, video) in `media` lasts, by its packets.
double stream_seconds(const fs::path& media, const std::string& type) {
  std::string out;
  EXPECT_EQ(test::run_command("ffprobe -v error -select_streams " + type.substr(0, 1) +
                                  " -show_entries packet=pts_time,duration_time -of csv=p=0 " + test::quoted(media),
                              &out),
            0);
  double first = 1e9, last = -1e9;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    double pts = 0, duration = 0;
    if (std::sscanf(line.c_str(), "%lf,%lf", &pts, &duration) != 2) continue;
    first = std::min(first, pts);
    last = std::max(last, pts + duration);
  }
  return last - first;
}

TEST(Live, SourceThatStallsAndResumesIsReconnectedAndTheOutputGoesOn) {
  const fs::path dir = test::make_temp_dir("live-stall");
  // A street clip with its sound: the audio must go on after the stall too.
  const fs::path ts = camera_recording(dir, test::video_dir() / "car-detection.mp4", "", 4.0);
  const size_t frames = test::decode_frames(ts).size();
  const double clip_seconds = frames / 12.5;  // the clip runs at 12.5 fps
  const int port = free_udp_port();
  LiveVeil veil(port, dir, {"--latency", "1s", "--stall-timeout", "1s", "--mode", "fill"});
  play_live(ts, port, dir / "ffmpeg1.log");
  std::this_thread::sleep_for(std::chrono::seconds(3));  // the camera stalls
  play_live(ts, port, dir / "ffmpeg2.log");
  ASSERT_EQ(veil.stop(), 0) << veil.log();

  const json end = veil.end_event();
  ASSERT_FALSE(end.is_null()) << veil.log();
  EXPECT_GE(end["reconnects"].get<int>(), 1) << veil.log();
  EXPECT_GT(end["gap_s"].get<double>(), 1.0);
  EXPECT_EQ(end["frames_out"].get<size_t>(), 2 * frames) << veil.log();
  bool lost = false, reconnected = false;
  for (const json& r : veil.stats()) {
    lost = lost || r.value("event", "") == "input_lost";
    reconnected = reconnected || r.value("event", "") == "reconnected";
  }
  EXPECT_TRUE(lost && reconnected);

  // One playlist with both parts, one timeline: no hole where the stall was.
  const std::vector<cv::Mat> got = test::decode_frames(veil.playlist());
  EXPECT_EQ(got.size(), 2 * frames);
  std::string out;
  ASSERT_EQ(test::run_command("ffprobe -v error -show_entries format=duration -of csv=p=0 " +
                                  test::quoted(veil.playlist()),
                              &out),
            0);
  EXPECT_NEAR(std::stod(out), 2 * clip_seconds, 0.5) << out;
  // The sound of both parts, on the same timeline as the pictures.
  EXPECT_NEAR(stream_seconds(veil.playlist(), "audio"), 2 * clip_seconds, 0.5);
  EXPECT_NEAR(stream_seconds(veil.playlist(), "audio"), stream_seconds(veil.playlist(), "video"), 0.3);
  fs::remove_all(dir);
}

TEST(Live, DetectionSlowerThanTheStreamHidesWholeFramesAndKeepsLatencyBounded) {
  const fs::path dir = test::make_temp_dir("live-slow");
  // 1080p at 12 fps, one detection thread: far slower than real time.
  const fs::path ts = camera_recording(dir, test::video_dir() / "head-pose-face-detection-female-and-male.gif",
                                       "scale=1920:1080");
  const size_t frames = test::decode_frames(ts).size();
  ASSERT_TRUE(file_run_sidecar(ts, dir));
  const int port = free_udp_port();
  const double latency = 1.0;
  LiveVeil veil(port, dir, {"--latency", "1s", "--threads", "1", "--mode", "fill", "--shape", "box"});
  play_live(ts, port, dir / "ffmpeg.log");
  ASSERT_EQ(veil.stop(4.0), 0) << veil.log();

  const json end = veil.end_event();
  ASSERT_FALSE(end.is_null()) << veil.log();
  EXPECT_EQ(end["frames_out"].get<size_t>(), frames);
  EXPECT_GT(end["hidden_whole"].get<int>(), 0) << "detection kept up; the test needs it slower";
  // Bounded: the latency asked for, plus the time to encode a frame.
  EXPECT_LE(max_latency(veil.stats()), latency + 0.5);

  // No frame left unanalysed: each is hidden whole, or has every face the
  // file run found hidden.
  const std::vector<cv::Mat> got = test::decode_frames(veil.playlist());
  ASSERT_EQ(got.size(), frames);
  const Coverage c = compare_with_file_run(got, test::read_jsonl(dir / "file.jsonl"), 40);
  EXPECT_EQ(c.frames_hidden_whole, end["hidden_whole"].get<int>());
  EXPECT_GE(c.boxes_filled, c.boxes * 0.95) << c.boxes_filled << " of " << c.boxes;
  fs::remove_all(dir);
}

TEST(Live, BadStreamsAndOptionsFailClearly) {
  const fs::path dir = test::make_temp_dir("live-bad");
  std::string out;
  // A stream without --live: a usage error that says what to add.
  EXPECT_EQ(test::run_command(test::veil_command("anonymize udp://127.0.0.1:9 -o " + test::quoted(dir / "a.m3u8")), &out), 2);
  EXPECT_NE(out.find("--live"), std::string::npos) << out;
  // Nobody listening on a TCP port: refused at once, not retried forever.
  EXPECT_EQ(test::run_command(test::veil_command("anonymize tcp://127.0.0.1:1 --live -o " + test::quoted(dir / "a.m3u8")),
                              &out),
            1);
  EXPECT_NE(out.find("tcp://127.0.0.1:1"), std::string::npos) << out;
  // An output folder that does not exist, an unknown format or duration.
  EXPECT_EQ(test::run_command(test::veil_command("anonymize udp://127.0.0.1:9 --live -o " + test::quoted(dir / "no" / "a.m3u8")),
                              &out),
            1);
  EXPECT_NE(out.find("does not exist"), std::string::npos) << out;
  EXPECT_EQ(test::run_command(test::veil_command("anonymize udp://127.0.0.1:9 --live -f nosuch -o udp://127.0.0.1:10"), &out), 1);
  EXPECT_NE(out.find("nosuch"), std::string::npos) << out;
  EXPECT_EQ(test::run_command(test::veil_command("anonymize udp://127.0.0.1:9 --live --latency soon -o " +
                                                 test::quoted(dir / "a.m3u8")),
                              &out),
            2);
  EXPECT_NE(out.find("--latency"), std::string::npos) << out;
  // An input option no demuxer or protocol takes.
  const std::string clip = "file://" + (test::video_dir() / "car-detection.mp4").string();
  EXPECT_EQ(test::run_command(test::veil_command("anonymize " + clip + " --live --input-option nosuch_option=1 -o " +
                                                 test::quoted(dir / "a.m3u8")),
                              &out),
            1);
  EXPECT_NE(out.find("nosuch_option"), std::string::npos) << out;
  EXPECT_TRUE(fs::is_empty(dir)) << "nothing is written for a run that could not start";
  fs::remove_all(dir);
}

}  // namespace
}  // namespace veil
