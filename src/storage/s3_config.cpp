#include "storage/s3_config.hpp"

#include "veil/core/error.hpp"

#include <memory>

#include <INIReader.h>

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <sstream>

namespace veil::s3 {
namespace fs = std::filesystem;

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// One AWS INI file, or nothing when it does not exist.
struct IniFile {
  std::optional<INIReader> reader;
  std::string path;
};

IniFile read_ini(const std::string& path) {
  IniFile f;
  f.path = path;
  std::error_code ec;
  if (path.empty() || !fs::exists(path, ec)) return f;
  f.reader.emplace(path);
  if (f.reader->ParseError() != 0) {
    throw Error("cannot parse " + path + " (line " + std::to_string(f.reader->ParseError()) + ")");
  }
  return f;
}

std::optional<std::string> value(const IniFile& f, const std::string& section, const std::string& key) {
  if (!f.reader || !f.reader->HasValue(section, key)) return std::nullopt;
  std::string v = trim(f.reader->Get(section, key, ""));
  if (v.empty()) return std::nullopt;
  return v;
}

// A nested setting such as
//   s3 =
//     addressing_style = path
// which the INI reader returns as the value of "s3", one line per setting.
std::optional<std::string> nested_value(const IniFile& f, const std::string& section, const std::string& parent,
                                        const std::string& key) {
  std::optional<std::string> block = value(f, section, parent);
  if (!block) return std::nullopt;
  std::istringstream lines(*block);
  std::string line;
  while (std::getline(lines, line)) {
    const auto eq = line.find('=');
    if (eq != std::string::npos && lower(trim(line.substr(0, eq))) == key) return trim(line.substr(eq + 1));
  }
  return std::nullopt;
}

std::string home_file(const Getenv& getenv, const std::string& name) {
  std::optional<std::string> home = getenv("HOME");
  return home ? (fs::path(*home) / ".aws" / name).string() : "";
}

AddressingStyle parse_style(const std::string& text, const std::string& source) {
  const std::string s = lower(text);
  if (s == "path") return AddressingStyle::kPath;
  if (s == "virtual") return AddressingStyle::kVirtual;
  if (s == "auto") return AddressingStyle::kAuto;
  throw Error(source + ": addressing style must be path, virtual or auto, not '" + text + "'");
}

std::string strip_slashes(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

bool is_ip_or_localhost(const std::string& endpoint) {
  std::string host = endpoint.substr(endpoint.find("://") == std::string::npos ? 0 : endpoint.find("://") + 3);
  if (!host.empty() && host[0] == '[') return true;  // IPv6 literal
  host = host.substr(0, host.find_first_of(":/"));
  if (host == "localhost" || (host.size() > 10 && host.compare(host.size() - 10, 10, ".localhost") == 0)) return true;
  in_addr a{};
  return ::inet_pton(AF_INET, host.c_str(), &a) == 1;
}

}  // namespace

Config resolve_config(const StorageOptions& options, const Getenv& getenv) {
  Config c;
  const std::string profile = getenv("AWS_PROFILE").value_or("default");
  const IniFile credentials =
      read_ini(getenv("AWS_SHARED_CREDENTIALS_FILE").value_or(home_file(getenv, "credentials")));
  const IniFile config = read_ini(getenv("AWS_CONFIG_FILE").value_or(home_file(getenv, "config")));
  // ~/.aws/config names profiles "[profile dev]", except "[default]".
  const std::string config_section = profile == "default" ? "default" : "profile " + profile;

  if (auto r = getenv("AWS_REGION"); r && !r->empty()) {
    c.region = *r;
  } else if (auto d = getenv("AWS_DEFAULT_REGION"); d && !d->empty()) {
    c.region = *d;
  } else if (auto p = value(config, config_section, "region")) {
    c.region = *p;
  }

  std::optional<std::string> endpoint = getenv("AWS_ENDPOINT_URL_S3");
  if (!endpoint || endpoint->empty()) endpoint = getenv("AWS_ENDPOINT_URL");
  if (!endpoint || endpoint->empty()) endpoint = nested_value(config, config_section, "s3", "endpoint_url");
  if (!endpoint || endpoint->empty()) endpoint = value(config, config_section, "endpoint_url");
  if (endpoint && !endpoint->empty()) {
    if (endpoint->rfind("http://", 0) != 0 && endpoint->rfind("https://", 0) != 0) {
      throw Error("S3 endpoint '" + *endpoint + "' must start with http:// or https://");
    }
    c.endpoint = strip_slashes(*endpoint);
    c.endpoint_is_default = false;
  } else {
    c.endpoint = endpoint_for_region(c, c.region);
  }

  if (options.force_path_style) {
    c.style = AddressingStyle::kPath;
  } else if (auto s = getenv("AWS_S3_ADDRESSING_STYLE"); s && !s->empty()) {
    c.style = parse_style(*s, "AWS_S3_ADDRESSING_STYLE");
  } else if (auto p = nested_value(config, config_section, "s3", "addressing_style")) {
    c.style = parse_style(*p, config.path + " [" + config_section + "] s3.addressing_style");
  }

  if (auto a = getenv("AWS_MAX_ATTEMPTS"); a && !a->empty()) {
    char* end = nullptr;
    long n = std::strtol(a->c_str(), &end, 10);
    if (*end != '\0' || n < 1 || n > 100) throw Error("AWS_MAX_ATTEMPTS must be a number from 1 to 100");
    c.max_attempts = int(n);
  }

  // Last: the chain may ask the network (STS, a container agent, IMDS).
  ChainOptions chain;
  chain.profile = profile;
  chain.region = c.region;
  // ~/.aws/config names profiles "[profile dev]", ~/.aws/credentials "[dev]".
  auto lookup = [](std::shared_ptr<IniFile> file, bool config_style) {
    return ProfileFile{file->path, [file, config_style](const std::string& name, const std::string& key) {
                         const std::string section = config_style && name != "default" ? "profile " + name : name;
                         return value(*file, section, key);
                       }};
  };
  chain.credentials_file = lookup(std::make_shared<IniFile>(credentials), false);
  chain.config_file = lookup(std::make_shared<IniFile>(config), true);
  c.credentials = find_credentials(chain, getenv);
  c.credentials_source = c.credentials->source_name();
  return c;
}

Config resolve_config(const StorageOptions& options) {
  return resolve_config(options, [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    return v ? std::optional<std::string>(v) : std::nullopt;
  });
}

std::string endpoint_for_region(const Config& config, const std::string& region) {
  if (!config.endpoint_is_default && !config.endpoint.empty()) return config.endpoint;
  return "https://s3." + region + ".amazonaws.com";
}

bool uses_path_style(const Config& config, const std::string& bucket) {
  switch (config.style) {
    case AddressingStyle::kPath: return true;
    case AddressingStyle::kVirtual: return false;
    case AddressingStyle::kAuto: break;
  }
  // A dotted bucket name breaks the TLS certificate of bucket.s3.amazonaws.com.
  return is_ip_or_localhost(config.endpoint) || bucket.find('.') != std::string::npos;
}

}  // namespace veil::s3
