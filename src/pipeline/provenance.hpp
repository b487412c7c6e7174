#pragma once
// The provenance header: the first line anonymize writes to a sidecar for
// each input, so that the file itself answers how a published video was
// processed (GDPR art. 5(2) and 30): which Veil, which models (name, file,
// sha256, licence), the options that change what is hidden, the input (name,
// bytes, frame size, frame count, duration) and when. `veil render` compares
// the input it is given with the header's (see sidecar.hpp, SidecarHeader).
#include "veil/io/frame_source.hpp"
#include "veil/pipeline/anonymizer.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace veil {

// The header line for input `file` (as the frame lines name it), "veil" first.
nlohmann::ordered_json provenance_header(const std::string& file, const AnonymizeOptions& options, const SourceInfo& input);

}  // namespace veil
