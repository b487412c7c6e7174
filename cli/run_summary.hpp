#pragma once
// What `veil anonymize` and `veil render` print when they end: one line for
// people on stderr, or one JSON object on stdout (--json), and the exit status.
#include "veil/pipeline/anonymizer.hpp"

#include <set>
#include <string>

namespace veil::cli {

// "1 file, 221 frames: 2 faces and 1 plate (objects); 412 boxes in 200
// frames (30 from tracking), 9.3 s, 23.7 fps". Objects are tracks: one per
// face or plate, whichever models found it and however long it is seen.
std::string summary_line(const RunStats& stats, const std::set<ObjectClass>& classes);

// Prints the summary (unless `quiet`; as JSON with `json`) and each failed or
// truncated input; returns the exit status.
int finish_run(const RunStats& stats, const std::set<ObjectClass>& classes, bool quiet, bool json);

}  // namespace veil::cli
