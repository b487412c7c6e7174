// `veil review` on a real clip: the server's access rules and edit checks
// over HTTP, then the page in real Chromium (review_page_test.js) and a
// render of what was saved there.
#include "frame_checks.hpp"
#include "io/video_source.hpp"
#include "local_servers.hpp"
#include "test_paths.hpp"
#include "veil/core/error.hpp"
#include "veil/review/review_server.hpp"
#include "veil/sidecar/sidecar.hpp"

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

namespace veil {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const fs::path kFaceClip = test::video_dir() / "head-pose-face-detection-female-and-male.gif";

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

cv::Rect2f box_of(const json& d) {
  const auto& b = d["box"];
  return cv::Rect2f(b[0].get<float>(), b[1].get<float>(), b[2].get<float>(), b[3].get<float>());
}

cv::Rect inner_half(const cv::Rect2f& r) {
  return cv::Rect(int(r.x + r.width / 4), int(r.y + r.height / 4), int(r.width / 2), int(r.height / 2));
}

class Review : public ::testing::Test {
 protected:
  // The clip analysed once for the whole suite: --mode none, sidecar only.
  static void SetUpTestSuite() {
    analysed_ = test::make_temp_dir("review-analysed");
    std::string out;
    const int rc = test::run_command(test::veil_command("anonymize " + test::quoted(kFaceClip) + " -o " +
                                                        test::quoted(analysed_ / "n.mp4") + " --detections " +
                                                        test::quoted(analysed_ / "s.jsonl") +
                                                        " --mode none --preset ultrafast -q"),
                                     &out);
    ASSERT_EQ(rc, 0) << out;
  }
  static void TearDownTestSuite() { fs::remove_all(analysed_); }
  void SetUp() override {
    dir_ = test::make_temp_dir("review");
    fs::copy_file(analysed_ / "s.jsonl", dir_ / "s.jsonl");
  }
  void TearDown() override { fs::remove_all(dir_); }

  static fs::path analysed_;
  fs::path dir_;
};
fs::path Review::analysed_;

// A ReviewServer on a thread, stopped and joined on destruction.
class RunningServer {
 public:
  explicit RunningServer(ReviewOptions o) : server_(std::move(o)), thread_([this] { server_.run(); }) {}
  ~RunningServer() {
    while (!done()) {
      server_.stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    thread_.join();
  }
  ReviewServer& operator*() { return server_; }
  ReviewServer* operator->() { return &server_; }

 private:
  bool done() {
    httplib::Client probe("127.0.0.1", server_.port());
    probe.set_connection_timeout(0, 200000);
    return !probe.Get("/");  // no answer: the server has stopped
  }
  ReviewServer server_;
  std::thread thread_;
};

TEST_F(Review, RefusesRequestsWithoutTheTokenOrFromAForeignHost) {
  RunningServer server(ReviewOptions{kFaceClip.string(), (dir_ / "s.jsonl").string()});
  const std::string url = server->url();
  const std::string token = url.substr(url.find("token=") + 6);
  ASSERT_EQ(token.size(), 32u);
  httplib::Client c("127.0.0.1", server->port());
  EXPECT_EQ(c.Get("/")->status, 403);
  EXPECT_EQ(c.Get("/api/sidecar")->status, 403);
  const std::string wrong = token.substr(0, 31) + (token.back() == '0' ? "1" : "0");
  EXPECT_EQ(c.Get("/api/frame/0?token=" + wrong)->status, 403);
  // A page on another site whose name was rebound to 127.0.0.1.
  EXPECT_EQ(c.Get("/api/info?token=" + token, {{"Host", "attacker.example:" + std::to_string(server->port())}})->status,
            403);
  auto page = c.Get("/?token=" + token);
  ASSERT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("<title>Veil review</title>"), std::string::npos);
  // The page's own requests carry the token in a SameSite cookie.
  const std::string cookie = page->get_header_value("Set-Cookie");
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos) << cookie;
  EXPECT_EQ(c.Get("/app.js", {{"Cookie", cookie.substr(0, cookie.find(';'))}})->status, 200);
  // Nothing but the page, the input's frames and the sidecar is served.
  EXPECT_EQ(c.Get("/../../etc/passwd?token=" + token)->status, 404);
  EXPECT_EQ(c.Get("/api/frame/56?token=" + token)->status, 500);  // past the end: the decoder says so
  auto frame = c.Get("/api/frame/55?token=" + token);
  ASSERT_EQ(frame->status, 200);
  EXPECT_EQ(frame->get_header_value("Content-Type"), "image/jpeg");
}

TEST_F(Review, ChecksEditsPreviewsThemAndSavesWithABackup) {
  const std::string original = read_text(dir_ / "s.jsonl");
  RunningServer server(ReviewOptions{kFaceClip.string(), (dir_ / "s.jsonl").string()});
  const std::string url = server->url();
  const httplib::Headers auth = {{"X-Veil-Token", url.substr(url.find("token=") + 6)}};
  httplib::Client c("127.0.0.1", server->port());

  auto lines = json::parse(c.Get("/api/sidecar", auth)->body);
  ASSERT_EQ(lines.size(), 57u);  // the provenance header and 56 frames
  ASSERT_TRUE(lines[0].contains("veil"));
  // A malformed edit is refused with its line and field, and changes nothing.
  json bad = lines;
  bad[4]["detections"][0]["box"] = {1, 2};
  auto refused = c.Put("/api/sidecar", auth, bad.dump(), "application/json");
  EXPECT_EQ(refused->status, 400);
  EXPECT_NE(refused->body.find("edited sidecar:5: detections[0].box: expected [x, y, width, height]"), std::string::npos)
      << refused->body;

  // Exclude every track: the preview of frame 20 is then the frame itself.
  json edited = lines;
  std::set<int> tracks;
  for (const auto& l : lines)
    if (l.contains("detections"))
      for (const auto& d : l["detections"]) tracks.insert(d["track"].get<int>());
  for (int t : tracks) edited.push_back({{"file", kFaceClip.filename().string()}, {"track", t}, {"excluded", true}});
  const std::string hidden = c.Get("/api/preview/20", auth)->body;
  const std::string plain = c.Get("/api/frame/20", auth)->body;
  EXPECT_NE(hidden, plain);
  ASSERT_EQ(c.Put("/api/sidecar", auth, edited.dump(), "application/json")->status, 200);
  EXPECT_EQ(c.Get("/api/preview/20", auth)->body, plain);
  EXPECT_EQ(read_text(dir_ / "s.jsonl"), original) << "an edit was saved before Save";

  auto saved = c.Post("/api/save", auth, "", "application/json");
  ASSERT_EQ(saved->status, 200) << saved->body;
  EXPECT_EQ(read_text(dir_ / "s.jsonl.bak"), original);
  const Sidecar reread = Sidecar::load((dir_ / "s.jsonl").string());
  for (int t : tracks) EXPECT_TRUE(reread.find(kFaceClip.filename().string())->track_excluded(t));
  EXPECT_TRUE(reread.find(kFaceClip.filename().string())->header()) << "the provenance header survives a save";
}

TEST_F(Review, RefusesAPortInUse) {
  RunningServer first(ReviewOptions{kFaceClip.string(), (dir_ / "s.jsonl").string()});
  ReviewOptions o{kFaceClip.string(), (dir_ / "s.jsonl").string()};
  o.port = first->port();
  EXPECT_THROW(ReviewServer second(o), Error);
}

TEST_F(Review, RefusesASidecarOfAnotherInput) {
  try {
    ReviewServer server(ReviewOptions{(test::video_dir() / "face-demographics-walking.gif").string(),
                                      (dir_ / "s.jsonl").string()});
    FAIL() << "opened";
  } catch (const Error& ex) {
    EXPECT_NE(std::string(ex.what()).find("has no frames of face-demographics-walking.gif"), std::string::npos)
        << ex.what();
  }
}

// The whole workflow as a person does it: `veil review`, the page in
// Chromium (exclude a person by clicking, draw a missed object on two
// frames, save), then `veil render` of the saved sidecar.
TEST_F(Review, InTheBrowserThenRender) {
  const auto lines = test::read_sidecar_frames(dir_ / "s.jsonl");
  const int frame = 12, step = 8;
  // The person on the right at `frame`: every detector box on them.
  const json* right = nullptr;
  for (const auto& d : lines[frame]["detections"]) {
    if (box_of(d).x > 240 && (!right || box_of(d).area() < box_of(*right).area())) right = &d;
  }
  ASSERT_NE(right, nullptr);
  const cv::Rect2f person = box_of(*right);
  // Missed objects drawn at frame and frame + step, in the lower left
  // corner, clear of every detection.
  const cv::Rect2f drawn0(20, 200, 60, 40), drawn1(120, 210, 80, 40);

  test::ChildProcess review({test::cli_path().string(), "review", kFaceClip.string(), "--detections",
                             (dir_ / "s.jsonl").string(), "--mode", "fill", "--fill-color", "white"},
                            dir_ / "review.log");
  std::string url;
  for (int i = 0; i < 200 && url.empty(); ++i) {
    const std::string out = review.output();
    const auto at = out.find("http://127.0.0.1:");
    if (at != std::string::npos && out.find('\n', at) != std::string::npos) url = out.substr(at, out.find('\n', at) - at);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_FALSE(url.empty()) << review.output();

  const char* shot_env = std::getenv("VEIL_REVIEW_SCREENSHOT");
  const fs::path screenshot = shot_env ? fs::path(shot_env) : dir_ / "review.png";
  const json args = {{"url", url},
                     {"frame", frame},
                     {"step", step},
                     {"track", (*right)["track"]},
                     {"click", {person.x + person.width / 2, person.y + person.height / 2}},
                     {"boxes", {{drawn0.x, drawn0.y, drawn0.width, drawn0.height},
                                {drawn1.x, drawn1.y, drawn1.width, drawn1.height}}},
                     {"screenshot", screenshot.string()}};
  std::string out;
  const std::string node = "NODE_PATH=" + test::quoted(fs::path(VEIL_SOURCE_DIR) / "tests/servers/node_modules") +
                           " node " + test::quoted(fs::path(VEIL_SOURCE_DIR) / "src/review/review_page_test.js") +
                           " '" + args.dump() + "'";
  ASSERT_EQ(test::run_command(node, &out), 0) << out << "\n--- veil review:\n" << review.output();
  EXPECT_GT(fs::file_size(screenshot), 10000u);
  review.signal(SIGINT);
  EXPECT_EQ(review.wait(10), 0) << review.output();

  // What was saved: the person's tracks excluded, one manual track.
  const Sidecar saved = Sidecar::load((dir_ / "s.jsonl").string());
  const SidecarMedia& media = *saved.find(kFaceClip.filename().string());
  std::set<int> excluded;
  for (const auto& d : lines[frame]["detections"]) {
    const cv::Rect2f b = box_of(d);
    if ((b & person).area() / (b | person).area() > 0.3f) {
      EXPECT_TRUE(media.track_excluded(d["track"])) << "track " << d["track"] << " on the person";
      excluded.insert(d["track"].get<int>());
    } else {
      EXPECT_FALSE(media.track_excluded(d["track"])) << "track " << d["track"] << " is not on the person";
    }
  }
  EXPECT_GE(excluded.size(), 1u);
  EXPECT_TRUE(fs::exists(dir_ / "s.jsonl.bak"));
  // The people scene context saw (drawn on the page) are kept through the save.
  const auto saved_lines = test::read_sidecar_frames(dir_ / "s.jsonl");
  ASSERT_EQ(saved_lines.size(), lines.size());
  std::size_t with_context = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    with_context += lines[i].contains("context");
    EXPECT_EQ(saved_lines[i].value("context", json()), lines[i].value("context", json())) << "frame " << i;
  }
  EXPECT_GT(with_context, lines.size() / 2) << "the two walkers are people in most frames";
  // What the page saved follows the published schema.
  EXPECT_EQ(test::run_command("/usr/bin/python3 " + test::quoted(fs::path(VEIL_SOURCE_DIR) / "src/sidecar/check_schema.py") +
                                  " " + test::quoted(dir_ / "s.jsonl"),
                              &out),
            0)
      << out;

  // Render: the person is left as recorded, the drawn object is hidden on
  // every frame from the first keyframe to the last, the other person too.
  ASSERT_EQ(test::run_command(test::veil_command("render " + test::quoted(kFaceClip) + " --detections " +
                                                 test::quoted(dir_ / "s.jsonl") + " -o " + test::quoted(dir_ / "r.mp4") +
                                                 " --mode fill --fill-color white --shape box --crf 0 --preset ultrafast -q"),
                              &out),
            0)
      << out;
  const auto input = test::decode_frames(kFaceClip);
  const auto rendered = test::decode_frames(dir_ / "r.mp4");
  ASSERT_EQ(rendered.size(), input.size());
  EXPECT_LT(test::mean_abs_diff(rendered[frame], input[frame], inner_half(person)), 4) << "the excluded person was hidden";
  for (const auto& d : lines[frame]["detections"]) {
    if (!excluded.count(d["track"].get<int>()) && (box_of(d) & person).area() == 0) {
      EXPECT_GT(test::mean_level(rendered[frame], inner_half(box_of(d))), 240) << "the other person is not hidden";
    }
  }
  for (int i = frame; i <= frame + step; ++i) {
    const float t = float(i - frame) / step;
    const cv::Rect2f at(drawn0.x + t * (drawn1.x - drawn0.x), drawn0.y + t * (drawn1.y - drawn0.y),
                        drawn0.width + t * (drawn1.width - drawn0.width),
                        drawn0.height + t * (drawn1.height - drawn0.height));
    EXPECT_GT(test::mean_level(rendered[i], inner_half(at)), 240) << "frame " << i << ": the drawn object is not hidden";
  }
  EXPECT_LT(test::mean_abs_diff(rendered[frame - 1], input[frame - 1], inner_half(drawn0)), 4) << "hidden before its first keyframe";
}

}  // namespace
}  // namespace veil
