#pragma once
#include <filesystem>
#include <string>
#include <string_view>

namespace veil {

// Lowercase hex SHA-256 of a file's bytes. Throws veil::Error if unreadable.
std::string sha256_file(const std::filesystem::path& file);

// Lowercase hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

}  // namespace veil
