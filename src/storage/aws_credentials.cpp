#include "storage/aws_credentials.hpp"

#include "veil/core/error.hpp"

#include <curl/curl.h>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include <sys/wait.h>

namespace veil::s3 {
namespace {

// --- HTTP to the credential endpoints (IMDS, container, STS) --------------

struct HttpResult {
  long status = 0;
  std::string body;
  std::string error;  // set when no HTTP answer came
};

size_t collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// How a request to an AWS API is signed (Signature Version 4, by libcurl).
struct Signing {
  std::string scope;  // "aws:amz:REGION:SERVICE"
  Credentials keys;
};

HttpResult http(const std::string& method, const std::string& url, std::vector<std::string> headers,
                const std::string& body, std::chrono::milliseconds timeout, const Signing* signing = nullptr) {
  HttpResult r;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) {
    r.error = "out of memory";
    return r;
  }
  CURL* h = curl.get();
  if (signing) {
    curl_easy_setopt(h, CURLOPT_AWS_SIGV4, signing->scope.c_str());
    curl_easy_setopt(h, CURLOPT_USERNAME, signing->keys.access_key.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, signing->keys.secret_key.c_str());
    if (!signing->keys.session_token.empty()) headers.push_back("X-Amz-Security-Token: " + signing->keys.session_token);
  }
  curl_slist* list = nullptr;
  for (const std::string& line : headers) list = curl_slist_append(list, line.c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> held(list, curl_slist_free_all);
  char error_buffer[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, long(timeout.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, long(timeout.count()));
  curl_easy_setopt(h, CURLOPT_NOPROXY, "*");  // link-local and loopback endpoints are never behind a proxy
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &r.body);
  if (method == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.size()));
  }
  const CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    r.error = error_buffer[0] ? error_buffer : curl_easy_strerror(rc);
    return r;
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
  return r;
}

std::string form_encode(const std::string& text) {
  std::string out;
  char buf[4];
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += char(c);
    } else {
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string read_file(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read " + what + " " + path);
  std::ostringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  return text;
}

// {"AccessKeyId", "SecretAccessKey", "Token" or "SessionToken", "Expiration"}:
// what the container endpoint, IMDS and credential_process answer.
Credentials from_json(const std::string& body, const std::string& source, const char* token_key) {
  const nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  auto text = [&](const char* key) -> std::string {
    if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return "";
    return j[key].get<std::string>();
  };
  Credentials c;
  c.access_key = text("AccessKeyId");
  c.secret_key = text("SecretAccessKey");
  c.session_token = text(token_key);
  if (c.access_key.empty() || c.secret_key.empty()) {
    throw Error(source + " answered without AccessKeyId and SecretAccessKey");
  }
  if (const std::string e = text("Expiration"); !e.empty()) {
    c.expiration = parse_iso8601(e);
    if (!c.expiration) throw Error(source + " answered an expiry time that is not ISO 8601: '" + e + "'");
  }
  return c;
}

// --- The sources -------------------------------------------------------------

class FixedSource : public CredentialSource {
 public:
  FixedSource(std::string name, Credentials c) : name_(std::move(name)), c_(std::move(c)) {}
  std::string name() const override { return name_; }
  Credentials fetch() override { return c_; }

 private:
  std::string name_;
  Credentials c_;
};

// `credential_process`: runs the command (through /bin/sh, as the AWS CLI
// does) and reads {"Version": 1, "AccessKeyId", "SecretAccessKey",
// "SessionToken", "Expiration"} from its standard output.
class ProcessSource : public CredentialSource {
 public:
  ProcessSource(std::string command, std::string where) : command_(std::move(command)), where_(std::move(where)) {}
  std::string name() const override { return "credential_process of " + where_; }
  Credentials fetch() override {
    FILE* p = ::popen(command_.c_str(), "r");
    if (!p) throw Error(name() + ": cannot start the command");
    std::string out;
    std::array<char, 4096> buf{};
    for (size_t n; (n = std::fread(buf.data(), 1, buf.size(), p)) > 0;) out.append(buf.data(), n);
    const int status = ::pclose(p);
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      throw Error(name() + ": the command failed (exit status " +
                  std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")");
    }
    const nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
    if (!j.is_object() || j.value("Version", 0) != 1) throw Error(name() + ": the command did not print Version 1 JSON");
    return from_json(out, name(), "SessionToken");
  }

 private:
  std::string command_;
  std::string where_;
};

// The credentials in STS's answer to `action` (AssumeRole,
// AssumeRoleWithWebIdentity), or an error naming `source` and STS's code.
Credentials sts_credentials(const HttpResult& r, const std::string& action, const std::string& source) {
  if (!r.error.empty()) throw Error(source + ": cannot reach STS: " + r.error);
  pugi::xml_document doc;
  doc.load_string(r.body.c_str());
  if (r.status != 200) {
    const pugi::xpath_node code = doc.select_node("//Error/Code");
    throw Error(source + ": STS refused (HTTP " + std::to_string(r.status) +
                (code ? std::string(", ") + code.node().text().get() : std::string()) + ")");
  }
  const pugi::xml_node k = doc.select_node(("//" + action + "Result/Credentials").c_str()).node();
  Credentials c;
  c.access_key = k.child("AccessKeyId").text().get();
  c.secret_key = k.child("SecretAccessKey").text().get();
  c.session_token = k.child("SessionToken").text().get();
  c.expiration = parse_iso8601(k.child("Expiration").text().get());
  if (c.access_key.empty() || c.secret_key.empty() || c.session_token.empty() || !c.expiration) {
    throw Error(source + ": STS's answer holds no complete credentials");
  }
  return c;
}

// STS AssumeRole for a profile's `role_arn`, signed with the keys of its
// `source_profile`.
class AssumeRoleSource : public CredentialSource {
 public:
  AssumeRoleSource(Credentials source_keys, std::string source_profile, std::string role_arn, std::string session,
                   std::string external_id, std::string endpoint, std::string region)
      : keys_(std::move(source_keys)), source_profile_(std::move(source_profile)), role_arn_(std::move(role_arn)),
        session_(std::move(session)), external_id_(std::move(external_id)), endpoint_(std::move(endpoint)),
        region_(std::move(region)) {}
  std::string name() const override {
    return "role " + role_arn_ + " assumed with profile " + source_profile_ + " (STS at " + endpoint_ + ")";
  }
  Credentials fetch() override {
    std::string body = "Action=AssumeRole&Version=2011-06-15&RoleArn=" + form_encode(role_arn_) +
                       "&RoleSessionName=" + form_encode(session_);
    if (!external_id_.empty()) body += "&ExternalId=" + form_encode(external_id_);
    const Signing signing{"aws:amz:" + region_ + ":sts", keys_};
    const HttpResult r = http("POST", endpoint_ + "/", {"Content-Type: application/x-www-form-urlencoded"}, body,
                              std::chrono::seconds(10), &signing);
    return sts_credentials(r, "AssumeRole", name());
  }

 private:
  Credentials keys_;
  std::string source_profile_, role_arn_, session_, external_id_, endpoint_, region_;
};

// STS AssumeRoleWithWebIdentity: the token file's JSON Web Token for the
// role's temporary credentials. Not signed; the token is read again on each
// refresh, since the platform rotates it.
class WebIdentitySource : public CredentialSource {
 public:
  WebIdentitySource(std::string token_file, std::string role_arn, std::string session, std::string endpoint)
      : token_file_(std::move(token_file)), role_arn_(std::move(role_arn)), session_(std::move(session)),
        endpoint_(std::move(endpoint)) {}
  std::string name() const override { return "web identity for " + role_arn_ + " (STS at " + endpoint_ + ")"; }
  Credentials fetch() override {
    const std::string token = read_file(token_file_, "the web identity token file");
    const std::string body = "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=" + form_encode(role_arn_) +
                             "&RoleSessionName=" + form_encode(session_) + "&WebIdentityToken=" + form_encode(token);
    const HttpResult r = http("POST", endpoint_ + "/", {"Content-Type: application/x-www-form-urlencoded",
                                                        "Accept: application/xml"},
                              body, std::chrono::seconds(10));
    return sts_credentials(r, "AssumeRoleWithWebIdentity", name());
  }

 private:
  std::string token_file_, role_arn_, session_, endpoint_;
};

// The ECS / EKS Pod Identity credential endpoint: a GET, with an
// Authorization header when a token (or token file) is given.
class ContainerSource : public CredentialSource {
 public:
  ContainerSource(std::string url, std::string token, std::string token_file)
      : url_(std::move(url)), token_(std::move(token)), token_file_(std::move(token_file)) {}
  std::string name() const override { return "container credentials at " + url_; }
  Credentials fetch() override {
    std::vector<std::string> headers{"Accept: application/json"};
    const std::string token = token_file_.empty() ? token_ : read_file(token_file_, "the container authorization token file");
    if (!token.empty()) headers.push_back("Authorization: " + token);
    const HttpResult r = http("GET", url_, headers, "", std::chrono::seconds(5));
    if (!r.error.empty()) throw Error(name() + ": no answer: " + r.error);
    if (r.status != 200) throw Error(name() + ": HTTP " + std::to_string(r.status));
    return from_json(r.body, name(), "Token");
  }

 private:
  std::string url_, token_, token_file_;
};

constexpr std::chrono::milliseconds kImdsTimeout{1000};

// The EC2 instance role over IMDSv2: PUT /latest/api/token, then the role's
// name and its credentials with that token. IMDSv1 (no token) is never used.
class ImdsSource : public CredentialSource {
 public:
  explicit ImdsSource(std::string endpoint) : endpoint_(std::move(endpoint)) {}
  std::string name() const override {
    return "EC2 instance role" + (role_.empty() ? "" : " " + role_) + " (IMDSv2 at " + endpoint_ + ")";
  }
  // Whether an instance metadata service gave a session token (false: not
  // on EC2, or IMDS turned off).
  bool reachable() const { return reachable_; }
  Credentials fetch() override {
    const HttpResult t = http("PUT", endpoint_ + "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds: 21600"},
                              "", kImdsTimeout);
    if (!t.error.empty()) throw Error(name() + ": no answer within 1 s (" + t.error + ")");
    // IMDS answers 403 when it is turned off for the instance; anything but
    // a token is no instance metadata service to Veil (IMDSv1 is not used).
    if (t.status != 200 || t.body.empty()) throw Error(name() + ": no session token (HTTP " + std::to_string(t.status) + ")");
    reachable_ = true;
    const std::string auth = "X-aws-ec2-metadata-token: " + t.body;
    const std::string base = endpoint_ + "/latest/meta-data/iam/security-credentials/";
    const HttpResult roles = http("GET", base, {auth}, "", kImdsTimeout);
    if (roles.status == 404) throw Error(name() + ": the instance has no role");
    if (!roles.error.empty() || roles.status != 200) {
      throw Error(name() + ": cannot list the instance's role (" +
                  (roles.error.empty() ? "HTTP " + std::to_string(roles.status) : roles.error) + ")");
    }
    role_ = roles.body.substr(0, roles.body.find_first_of("\r\n"));
    const HttpResult r = http("GET", base + role_, {auth}, "", kImdsTimeout);
    if (!r.error.empty() || r.status != 200) {
      throw Error(name() + ": cannot read the role's credentials (HTTP " + std::to_string(r.status) + ")");
    }
    const nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
    if (j.is_object() && j.contains("Code") && j["Code"] != "Success") {
      throw Error(name() + ": the metadata service says " + j["Code"].dump());
    }
    return from_json(r.body, name(), "Token");
  }

 private:
  std::string endpoint_;
  std::string role_;
  bool reachable_ = false;
};

bool is_true(const std::optional<std::string>& v) {
  if (!v) return false;
  std::string s = *v;
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s == "true" || s == "1";
}

// AWS_CONTAINER_CREDENTIALS_FULL_URI may use plain HTTP only to loopback or
// the container agents' own link-local addresses, as the SDKs require.
void check_full_uri(const std::string& url) {
  if (url.rfind("https://", 0) == 0) return;
  if (url.rfind("http://", 0) != 0) throw Error("AWS_CONTAINER_CREDENTIALS_FULL_URI must be an http:// or https:// URL");
  std::string host = url.substr(7);
  if (!host.empty() && host[0] == '[') {
    host = host.substr(1, host.find(']') - 1);
  } else {
    host = host.substr(0, host.find_first_of(":/"));
  }
  const bool allowed = host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1" || host == "169.254.170.2" ||
                       host == "169.254.170.23" || host == "fd00:ec2::23";
  if (!allowed) {
    throw Error("AWS_CONTAINER_CREDENTIALS_FULL_URI: plain http:// is allowed only to loopback or the container "
                "agent's address, not " + host);
  }
}

std::string default_session_name() {
  return "veil-" + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch()).count());
}

}  // namespace

std::optional<Clock::time_point> parse_iso8601(const std::string& text) {
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec, &consumed) != 6) {
    return std::nullopt;
  }
  std::string rest = text.substr(size_t(consumed));
  std::chrono::microseconds fraction{0};
  if (!rest.empty() && rest[0] == '.') {  // fractional seconds
    size_t i = 1;
    long scale = 100000;
    for (; i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i])); ++i, scale /= 10) {
      fraction += std::chrono::microseconds((rest[i] - '0') * scale);
    }
    rest = rest.substr(i);
  }
  if (rest != "Z" && rest != "+00:00" && rest != "UTC") return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const std::time_t t = ::timegm(&tm);
  if (t == -1) return std::nullopt;
  return Clock::from_time_t(t) + std::chrono::duration_cast<Clock::duration>(fraction);
}

CredentialCache::CredentialCache(std::unique_ptr<CredentialSource> source, Credentials first, RefreshOptions options)
    : source_(std::move(source)), name_(source_->name()), options_(options), current_(std::move(first)),
      fetched_(Clock::now()) {}

bool CredentialCache::due(Clock::time_point now) const {
  if (!current_.expiration) return false;
  const auto life = *current_.expiration - fetched_;
  const auto ahead = std::min<Clock::duration>(options_.ahead, life / 2);
  return now >= *current_.expiration - ahead;
}

Credentials CredentialCache::get() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!due(Clock::now())) return current_;
  std::string error;
  auto delay = options_.retry_delay;
  for (int attempt = 1; attempt <= std::max(1, options_.attempts); ++attempt) {
    try {
      current_ = source_->fetch();
      fetched_ = Clock::now();
      spdlog::debug("AWS credentials refreshed from {}", name_);
      return current_;
    } catch (const Error& ex) {
      error = ex.what();
    }
    if (attempt < options_.attempts) {
      std::this_thread::sleep_for(delay);
      delay *= 2;
    }
  }
  if (Clock::now() < *current_.expiration) {
    spdlog::warn("cannot refresh the AWS credentials: {}; the current ones are still valid", error);
    return current_;
  }
  throw Error("the AWS credentials have expired and cannot be refreshed: " + error);
}

std::shared_ptr<CredentialCache> find_credentials(const ChainOptions& o, const Getenv& getenv) {
  auto found = [&](std::unique_ptr<CredentialSource> source) {
    Credentials first = source->fetch();
    return std::make_shared<CredentialCache>(std::move(source), std::move(first), o.refresh);
  };
  auto set = [&](const char* name) -> std::optional<std::string> {
    auto v = getenv(name);
    if (v && !v->empty()) return v;
    return std::nullopt;
  };

  // 1. The environment.
  if (auto id = set("AWS_ACCESS_KEY_ID"), key = set("AWS_SECRET_ACCESS_KEY"); id && key) {
    return found(std::make_unique<FixedSource>("environment", Credentials{*id, *key, getenv("AWS_SESSION_TOKEN").value_or(""), {}}));
  }
  // 2. The profile: a role to assume, static keys, then credential_process.
  // A setting of `profile`, from the credentials file first, and the file it was in.
  auto setting = [&](const std::string& profile, const std::string& key) -> std::pair<std::optional<std::string>, std::string> {
    for (const ProfileFile* file : {&o.credentials_file, &o.config_file}) {
      if (!file->value) continue;
      if (auto v = file->value(profile, key)) return {v, file->path};
    }
    return {std::nullopt, ""};
  };
  auto static_keys = [&](const std::string& profile) -> std::optional<std::pair<Credentials, std::string>> {
    for (const ProfileFile* file : {&o.credentials_file, &o.config_file}) {
      if (!file->value) continue;
      auto id = file->value(profile, "aws_access_key_id"), key = file->value(profile, "aws_secret_access_key");
      if (id && key) {
        return std::pair{Credentials{*id, *key, file->value(profile, "aws_session_token").value_or(""), {}}, file->path};
      }
    }
    return std::nullopt;
  };
  std::string sts = set("AWS_ENDPOINT_URL_STS").value_or("https://sts." + o.region + ".amazonaws.com");
  while (!sts.empty() && sts.back() == '/') sts.pop_back();
  if (auto [role, where] = setting(o.profile, "role_arn"); role) {
    const std::string session = setting(o.profile, "role_session_name").first.value_or(default_session_name());
    if (auto [token_file, unused] = setting(o.profile, "web_identity_token_file"); token_file) {
      return found(std::make_unique<WebIdentitySource>(*token_file, *role, session, sts));
    }
    auto [source, unused] = setting(o.profile, "source_profile");
    if (!source) {
      throw Error("profile " + o.profile + " in " + where + " has role_arn but no source_profile (credential_source "
                  "and chained roles are not read)");
    }
    auto keys = static_keys(*source);
    if (!keys) throw Error("profile " + o.profile + ": its source_profile " + *source + " has no access keys");
    return found(std::make_unique<AssumeRoleSource>(keys->first, *source, *role, session,
                                                    setting(o.profile, "external_id").first.value_or(""), sts, o.region));
  }
  if (auto keys = static_keys(o.profile)) {
    return found(std::make_unique<FixedSource>("profile " + o.profile + " in " + keys->second, keys->first));
  }
  if (auto [command, where] = setting(o.profile, "credential_process"); command) {
    return found(std::make_unique<ProcessSource>(*command, "profile " + o.profile + " in " + where));
  }
  // 3. Web identity (EKS IRSA), from the environment.
  if (auto token_file = set("AWS_WEB_IDENTITY_TOKEN_FILE")) {
    auto role = set("AWS_ROLE_ARN");
    if (!role) throw Error("AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not");
    return found(std::make_unique<WebIdentitySource>(*token_file, *role, set("AWS_ROLE_SESSION_NAME").value_or(default_session_name()),
                                                     sts));
  }
  // 4. Container credentials (ECS, EKS Pod Identity).
  if (auto relative = set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
    return found(std::make_unique<ContainerSource>("http://169.254.170.2" + *relative, "", ""));
  }
  if (auto full = set("AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
    check_full_uri(*full);
    return found(std::make_unique<ContainerSource>(*full, set("AWS_CONTAINER_AUTHORIZATION_TOKEN").value_or(""),
                                                   set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE").value_or("")));
  }
  // 5. The EC2 instance role, unless disabled.
  std::string imds_note = "EC2 instance metadata disabled (AWS_EC2_METADATA_DISABLED)";
  if (!is_true(getenv("AWS_EC2_METADATA_DISABLED"))) {
    std::string endpoint = set("AWS_EC2_METADATA_SERVICE_ENDPOINT").value_or("http://169.254.169.254");
    while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
    auto imds = std::make_unique<ImdsSource>(endpoint);
    try {
      Credentials first = imds->fetch();
      return std::make_shared<CredentialCache>(std::move(imds), std::move(first), o.refresh);
    } catch (const Error& ex) {
      if (imds->reachable()) throw;  // on EC2, but the role does not answer: say so
      imds_note = "no EC2 instance metadata service at " + endpoint + " (" + ex.what() + ")";
    }
  }
  throw Error("no AWS credentials found: tried the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), profile '" +
              o.profile + "' in " + (o.credentials_file.path.empty() ? "~/.aws/credentials" : o.credentials_file.path) +
              " and " + (o.config_file.path.empty() ? "~/.aws/config" : o.config_file.path) +
              ", web identity (AWS_WEB_IDENTITY_TOKEN_FILE), container credentials "
              "(AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI), and " + imds_note);
}

}  // namespace veil::s3
