#pragma once
// One exception type for every failure a user can cause or meet: a missing
// file, a corrupt stream, a model with the wrong checksum. The message is what
// the CLI prints, so it must name the thing that failed and why.
#include <stdexcept>
#include <string>

namespace veil {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace veil
