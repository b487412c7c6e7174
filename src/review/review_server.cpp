#include "veil/review/review_server.hpp"

#include "io/output_file.hpp"
#include "review/frame_reader.hpp"
#include "review/review_page.hpp"
#include "veil/core/error.hpp"
#include "veil/sidecar/sidecar.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <opencv2/imgcodecs.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include <sys/socket.h>

namespace veil {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string random_token() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw Error("cannot draw a random access token");
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

bool same_secret(const std::string& given, const std::string& token) {
  return given.size() == token.size() && CRYPTO_memcmp(given.data(), token.data(), token.size()) == 0;
}

std::string jsonl(const std::vector<json>& lines) {
  std::string out;
  for (const auto& l : lines) out += l.dump() + "\n";
  return out;
}

// The value of cookie `name` in a Cookie header ("a=1; b=2"), or "".
std::string cookie_value(const std::string& header, const std::string& name) {
  std::size_t pos = 0;
  while (pos < header.size()) {
    std::size_t end = header.find(';', pos);
    if (end == std::string::npos) end = header.size();
    std::string item = header.substr(pos, end - pos);
    item.erase(0, item.find_first_not_of(' '));
    if (item.rfind(name + "=", 0) == 0) return item.substr(name.size() + 1);
    pos = end + 1;
  }
  return "";
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(json{{"error", message}}.dump(), "application/json");
}

}  // namespace

struct ReviewServer::State {
  ReviewOptions options;
  std::string label;  // the input's name, as the sidecar's "file" spells it
  std::string token;
  int port = 0;
  httplib::Server http;
  FrameReader frames;
  Redactor redactor;

  std::mutex mutex;  // guards what follows
  // The sidecar's lines: those of other files (a folder run's sidecar) stay
  // as they were, before and after this input's lines.
  std::vector<json> before, mine, after;
  Sidecar working;  // `mine` parsed: what the preview hides

  explicit State(ReviewOptions o)
      : options(std::move(o)), label(fs::path(options.input).filename().string()), frames(options.input),
        redactor(options.redact) {}

  void load_sidecar();
  Sidecar check(const std::vector<json>& lines) const;
  void route();
  void save(httplib::Response& res);
};

void ReviewServer::State::load_sidecar() {
  const Sidecar sidecar = Sidecar::load(options.sidecar);
  label = sidecar.media_for(label, options.input, options.sidecar).file();
  std::ifstream in(options.sidecar);
  for (std::string text; std::getline(in, text);) {
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    json line = json::parse(text);  // Sidecar::load has checked every line
    if (line["file"] == label) {
      mine.push_back(std::move(line));
    } else {
      (mine.empty() ? before : after).push_back(std::move(line));
    }
  }
  working = check(mine);
}

// Throws veil::Error (naming the line) unless `lines` are a valid sidecar of
// this input alone.
Sidecar ReviewServer::State::check(const std::vector<json>& lines) const {
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (!lines[i].is_object() || !lines[i].contains("file") || lines[i]["file"] != label) {
      throw Error("line " + std::to_string(i + 1) + ": file: every line must be about " + label);
    }
  }
  std::istringstream in(jsonl(lines));
  return Sidecar::parse(in, "edited sidecar");
}

void ReviewServer::State::save(httplib::Response& res) {
  const fs::path path = options.sidecar;
  const fs::path backup = path.string() + ".bak";
  std::string text;
  {
    std::lock_guard lock(mutex);
    text = jsonl(before) + jsonl(mine) + jsonl(after);
  }
  auto out = open_output_file(path.string());
  {
    std::ofstream f(out->temp_path(), std::ios::binary);
    f << text;
    f.close();
    if (!f) throw Error("cannot write " + out->temp_path().string());
  }
  // The previous version stays beside it, so that a wrong save can be undone.
  std::error_code ec;
  fs::copy_file(path, backup, fs::copy_options::overwrite_existing, ec);
  if (ec) throw Error("cannot keep a backup of " + path.string() + ": " + ec.message());
  out->commit();
  spdlog::info("saved {} (previous version: {})", path.string(), backup.string());
  res.set_content(json{{"saved", path.string()}, {"backup", backup.string()}}.dump(), "application/json");
}

void ReviewServer::State::route() {
  // Every request: the loopback Host (a page on another site that rebinds its
  // name to 127.0.0.1 sends its own name) and the token.
  http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    const std::string host = req.get_header_value("Host");
    const std::string port_suffix = ":" + std::to_string(port);
    const bool loopback = host == "127.0.0.1" + port_suffix || host == "localhost" + port_suffix;
    // The token comes in the URL the user opened; the page's own requests
    // (scripts, frames) carry it in a cookie, named per port because
    // cookies are shared by every port of a host. SameSite=Strict: other
    // sites' pages cannot make the browser send it.
    const std::string cookie_name = "veil_token_" + std::to_string(port);
    std::string given = req.get_param_value("token");
    const bool from_url = !given.empty();
    if (given.empty()) given = req.get_header_value("X-Veil-Token");
    if (given.empty()) given = cookie_value(req.get_header_value("Cookie"), cookie_name);
    if (!loopback || !same_secret(given, token)) {
      send_error(res, 403, loopback ? "this page needs the token printed by veil review" : "not a loopback Host");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (from_url) res.set_header("Set-Cookie", cookie_name + "=" + token + "; Path=/; HttpOnly; SameSite=Strict");
    res.set_header("Cache-Control", "no-store");
    res.set_header("Referrer-Policy", "no-referrer");
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("X-Frame-Options", "DENY");
    res.set_header("Content-Security-Policy", "default-src 'self'; img-src 'self' blob:; frame-ancestors 'none'");
    return httplib::Server::HandlerResponse::Unhandled;
  });
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& ex) {
      send_error(res, 500, ex.what());
    } catch (...) {
      send_error(res, 500, "unknown error");
    }
  });

  for (const ReviewAsset& asset : review_assets()) {
    http.Get(asset.path, [&asset](const httplib::Request&, httplib::Response& res) {
      res.set_content(asset.content.data(), asset.content.size(), asset.content_type);
    });
  }
  http.Get("/api/info", [this](const httplib::Request&, httplib::Response& res) {
    const SourceInfo& info = frames.info();
    std::lock_guard lock(mutex);
    const SidecarMedia& media = *working.find(label);
    json j = {{"file", label},       {"input", options.input},
              {"sidecar", options.sidecar}, {"width", info.width},
              {"height", info.height},      {"is_video", info.is_video},
              {"frames", media.frames().empty() ? 0 : media.frames().rbegin()->first + 1}};
    res.set_content(j.dump(), "application/json");
  });
  http.Get("/api/sidecar", [this](const httplib::Request&, httplib::Response& res) {
    std::lock_guard lock(mutex);
    res.set_content(json(mine).dump(), "application/json");
  });
  // The page's edits, kept (not saved) so that the preview shows them.
  http.Put("/api/sidecar", [this](const httplib::Request& req, httplib::Response& res) {
    json body = json::parse(req.body, nullptr, false);
    if (!body.is_array()) return send_error(res, 400, "expected a JSON array of sidecar lines");
    std::vector<json> lines(body.begin(), body.end());
    try {
      Sidecar parsed = check(lines);
      std::lock_guard lock(mutex);
      mine = std::move(lines);
      working = std::move(parsed);
    } catch (const Error& ex) {
      return send_error(res, 400, ex.what());
    }
    res.set_content(R"({"ok":true})", "application/json");
  });
  http.Post("/api/save", [this](const httplib::Request&, httplib::Response& res) { save(res); });
  auto jpeg = [](const cv::Mat& image, httplib::Response& res) {
    std::vector<uchar> bytes;
    cv::imencode(".jpg", image, bytes, {cv::IMWRITE_JPEG_QUALITY, 92});
    res.set_content(std::string(bytes.begin(), bytes.end()), "image/jpeg");
  };
  http.Get(R"(/api/frame/(\d{1,12}))", [this, jpeg](const httplib::Request& req, httplib::Response& res) {
    const Frame f = frames.frame(std::stoll(req.matches[1]));
    res.set_header("X-Veil-Pts", f.pts_seconds ? std::to_string(*f.pts_seconds) : "null");
    jpeg(f.image, res);
  });
  // The frame as `veil render` will make it from the current edits: the
  // same SidecarMedia::to_hide and Redactor.
  http.Get(R"(/api/preview/(\d{1,12}))", [this, jpeg](const httplib::Request& req, httplib::Response& res) {
    const std::int64_t index = std::stoll(req.matches[1]);
    Frame f = frames.frame(index);
    Detections hide;
    {
      std::lock_guard lock(mutex);
      hide = working.find(label)->to_hide(index);
    }
    redactor.apply(f.image, hide);
    jpeg(f.image, res);
  });
}

ReviewServer::ReviewServer(ReviewOptions options) : state_(std::make_unique<State>(std::move(options))) {
  State& s = *state_;
  if (is_object_url(s.options.input) || is_object_url(s.options.sidecar)) {
    throw Error("veil review works on local files: copy the input and the sidecar here first");
  }
  s.load_sidecar();
  s.token = random_token();
  s.route();
  s.http.set_payload_max_length(std::size_t(512) << 20);
  // httplib's default adds SO_REUSEPORT, which lets a second server share a
  // port that is in use (each would get part of the requests): refused.
  s.http.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  s.port = s.options.port == 0 ? s.http.bind_to_any_port("127.0.0.1")
                               : (s.http.bind_to_port("127.0.0.1", s.options.port) ? s.options.port : -1);
  if (s.port <= 0) throw Error("cannot listen on 127.0.0.1:" + std::to_string(s.options.port) + " (in use?)");
}

ReviewServer::~ReviewServer() { stop(); }

std::string ReviewServer::url() const {
  return "http://127.0.0.1:" + std::to_string(state_->port) + "/?token=" + state_->token;
}

int ReviewServer::port() const { return state_->port; }

void ReviewServer::run() { state_->http.listen_after_bind(); }

void ReviewServer::stop() { state_->http.stop(); }

}  // namespace veil
