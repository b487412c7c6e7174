#include "storage/s3_client.hpp"

#include "storage/s3_xml.hpp"

#include "models/sha256.hpp"
#include "veil/core/error.hpp"
#include "veil/core/stop.hpp"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <random>
#include <thread>

namespace veil::s3 {

namespace {

void init_curl_once() {
  static const bool done = [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return true;
  }();
  (void)done;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  std::string line(data, size * count);
  const auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string value = line.substr(colon + 1);
    const auto b = value.find_first_not_of(" \t");
    const auto e = value.find_last_not_of(" \t\r\n");
    (*static_cast<std::map<std::string, std::string>*>(user))[name] =
        b == std::string::npos ? "" : value.substr(b, e - b + 1);
  }
  return size * count;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const bool ignore_stop = *static_cast<const bool*>(user);
  return !ignore_stop && stop_requested() ? 1 : 0;
}

// S3's XML error document, and the region header that may replace its Region.
struct S3Error {
  std::string code, message, region;
};

S3Error parse_error(const Response& r) {
  const ErrorDocument doc = parse_error_document(r.body);
  S3Error e{doc.code, doc.message, doc.region};
  if (auto it = r.headers.find("x-amz-bucket-region"); it != r.headers.end()) e.region = it->second;
  return e;
}

bool retryable_status(long status, const S3Error& e) {
  return status >= 500 || status == 429 || e.code == "SlowDown" || e.code == "RequestTimeout" ||
         e.code == "InternalError";
}

bool retryable_transport(int code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR: return true;
    default: return false;
  }
}

std::string what_was_wrong(long status, const S3Error& e) {
  if (e.code == "SignatureDoesNotMatch") {
    return "the secret access key does not match the access key ID (check AWS_SECRET_ACCESS_KEY or the profile)";
  }
  if (e.code == "InvalidAccessKeyId") return "the access key ID is not known to this store";
  if (e.code == "ExpiredToken" || e.code == "TokenRefreshRequired") return "the session token has expired";
  if (e.code == "NoSuchBucket") return "no such bucket";
  if (e.code == "NoSuchKey" || (status == 404 && e.code.empty())) return "no such object";
  if (e.code == "AccessDenied" || (status == 403 && e.code.empty())) return "access denied";
  std::string s = e.code.empty() ? "HTTP " + std::to_string(status) : e.code;
  if (!e.message.empty()) s += ": " + e.message;
  return s;
}

// Sleeps for the back-off before try `attempt` (1-based retries), in slices
// so that a stop request is honoured quickly.
void back_off(int attempt, bool ignore_stop) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  const double cap_ms = 5000.0;
  const double ceiling = std::min(cap_ms, 100.0 * double(1 << std::min(attempt, 16)));
  const double wait_ms = std::uniform_real_distribution<double>(ceiling / 2, ceiling)(rng);
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double, std::milli>(wait_ms);
  while (std::chrono::steady_clock::now() < until) {
    if (!ignore_stop) throw_if_stop_requested();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

std::string uri_encode(std::string_view text, bool keep_slash) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += char(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string object_url(const std::string& bucket, const std::string& key) { return "s3://" + bucket + "/" + key; }

Client::Client(Config config) : config_(std::move(config)) { init_curl_once(); }

Config Client::config() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return config_;
}

std::string request_url(const Config& c, const Request& r) {
  const std::string scheme_end = "://";
  const auto at = c.endpoint.find(scheme_end) + scheme_end.size();
  std::string url;
  std::string path;
  if (uses_path_style(c, r.bucket)) {
    url = c.endpoint;
    path = "/" + uri_encode(r.bucket, false);
    if (!r.key.empty()) path += "/" + uri_encode(r.key, true);
  } else {
    url = c.endpoint.substr(0, at) + r.bucket + "." + c.endpoint.substr(at);
    path = "/" + uri_encode(r.key, true);
  }
  if (path.empty()) path = "/";
  url += path;
  std::vector<std::pair<std::string, std::string>> query;
  for (const auto& [k, v] : r.query) query.emplace_back(uri_encode(k, false), uri_encode(v, false));
  std::sort(query.begin(), query.end());
  for (size_t i = 0; i < query.size(); ++i) url += (i ? "&" : "?") + query[i].first + "=" + query[i].second;
  return url;
}

Response Client::send_once(const Request& r, const Config& c, int* curl_code, std::string* curl_error) const {
  Response response;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) throw Error("cannot start an HTTP request (out of memory)");
  CURL* h = curl.get();
  char error_buffer[CURL_ERROR_SIZE] = {};

  const std::string url = request_url(c, r);
  const std::string sigv4 = "aws:amz:" + c.region + ":s3";

  struct curl_slist* list = nullptr;
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(nullptr, curl_slist_free_all);
  auto add = [&](const std::string& line) {
    list = curl_slist_append(list, line.c_str());
    headers.release();
    headers.reset(list);
  };
  // Each try asks for the credentials: temporary ones may have been
  // refreshed since the last (a multipart upload outlives them).
  const Credentials keys = c.credentials->get();
  add("x-amz-content-sha256: " + sha256_hex(r.body));
  if (!keys.session_token.empty()) add("x-amz-security-token: " + keys.session_token);
  add("Expect:");  // no 100-continue round trip
  for (const auto& line : r.headers) add(line);

  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_AWS_SIGV4, sigv4.c_str());
  curl_easy_setopt(h, CURLOPT_USERNAME, keys.access_key.c_str());
  curl_easy_setopt(h, CURLOPT_PASSWORD, keys.secret_key.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
  // A transfer that stalls (under 1 byte/s for 60 s) is a dropped connection.
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &response.headers);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, &r.ignore_stop);
  if (r.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (r.method == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else {
    // POSTFIELDS so that the body is in memory for the payload hash.
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, r.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(r.body.size()));
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r.method.c_str());
  }
  const CURLcode rc = curl_easy_perform(h);
  *curl_code = rc;
  if (rc != CURLE_OK) {
    *curl_error = error_buffer[0] ? error_buffer : curl_easy_strerror(rc);
    return response;
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

Response Client::send(const Request& r, bool allow_not_found) {
  const std::string name = object_url(r.bucket, r.key);
  bool redirected = false;
  Config c = config();
  for (int attempt = 1;; ++attempt) {
    if (!r.ignore_stop) throw_if_stop_requested();
    int curl_code = CURLE_OK;
    std::string curl_error;
    Response response = send_once(r, c, &curl_code, &curl_error);
    const bool last = attempt >= c.max_attempts;
    if (curl_code == CURLE_ABORTED_BY_CALLBACK) throw Error("interrupted");
    if (curl_code != CURLE_OK) {
      if (!retryable_transport(curl_code) || last) {
        throw Error(name + ": cannot reach " + c.endpoint + ": " + curl_error +
                    (last && attempt > 1 ? " (after " + std::to_string(attempt) + " tries)" : ""));
      }
      spdlog::debug("{}: {} {} (try {} of {}), retrying", name, r.method, curl_error, attempt, c.max_attempts);
      back_off(attempt, r.ignore_stop);
      continue;
    }
    // CompleteMultipartUpload may answer 200 with an error document.
    S3Error e;
    const bool error_in_200 = response.status == 200 && r.method == "POST" &&
                              response.body.find("<Error>") != std::string::npos;
    if (response.status / 100 == 2 && !error_in_200) return response;
    if (r.method == "HEAD" && response.status >= 400 && response.status != 429 && response.status < 500) {
      // A HEAD error has no body to say what was wrong (a bad signature, a
      // missing bucket, ...): ask again with a one-byte GET, whose error
      // response has one.
      Request get = r;
      get.method = "GET";
      get.headers.push_back("Range: bytes=0-0");
      int code = CURLE_OK;
      std::string ignored;
      Response detail = send_once(get, c, &code, &ignored);
      if (code == CURLE_OK && detail.status == response.status) response.body = std::move(detail.body);
    }
    if (response.status == 404 && allow_not_found) return response;
    e = parse_error(response);
    if (error_in_200 && e.code.empty()) e.code = "InternalError";

    // A bucket in another region: S3 answers 301 (or 400 for a signature
    // scoped to the wrong region) and names the right one.
    if ((response.status == 301 || response.status == 400) && !e.region.empty() && e.region != c.region) {
      if (c.endpoint_is_default && !redirected) {
        spdlog::info("{}: bucket is in region {}, not {}; following", name, e.region, c.region);
        {
          std::lock_guard<std::mutex> lock(mutex_);
          config_.region = e.region;
          config_.endpoint = endpoint_for_region(config_, e.region);
          c = config_;
        }
        redirected = true;
        --attempt;
        continue;
      }
      throw Error(name + ": the bucket is in region " + e.region + ", not " + c.region +
                  " (set AWS_REGION=" + e.region + ")");
    }
    if ((retryable_status(response.status, e) || error_in_200) && !last) {
      spdlog::debug("{}: {} answered {} {} (try {} of {}), retrying", name, r.method, response.status, e.code,
                    attempt, c.max_attempts);
      back_off(attempt, r.ignore_stop);
      continue;
    }
    std::string msg = name + ": " + what_was_wrong(response.status, e) + " (HTTP " +
                      std::to_string(response.status) + " from " + c.endpoint;
    // Which credentials were refused, so that the fix is clear; never the secret.
    if (response.status == 401 || response.status == 403) msg += "; credentials from " + c.credentials_source;
    if (attempt > 1) msg += ", after " + std::to_string(attempt) + " tries";
    throw Error(msg + ")");
  }
}

}  // namespace veil::s3
