#pragma once
// The review page's files (src/review/page/), compiled into the binary so that
// the server reads nothing from disk but the input and its sidecar.
#include <string_view>
#include <vector>

namespace veil {

struct ReviewAsset {
  const char* path;          // URL path: "/", "/app.js", ...
  const char* content_type;
  std::string_view content;
};

const std::vector<ReviewAsset>& review_assets();

}  // namespace veil
