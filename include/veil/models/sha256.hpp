#pragma once
#include <filesystem>
#include <string>

namespace veil {

// Lowercase hex SHA-256 of a file's bytes. Throws veil::Error if unreadable.
std::string sha256_file(const std::filesystem::path& file);

}  // namespace veil
