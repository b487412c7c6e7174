#pragma once
// The JSON Lines formatter behind configure_logging(LogFormat::kJson),
// exposed inside Veil so that a test can install it on a sink it reads back.
#include <spdlog/formatter.h>

#include <memory>

namespace veil {

// Formats each message as one JSON object and a newline (the layout is
// documented at configure_logging in veil/core/logging.hpp), adding the
// LogContext fields of the thread that calls format(). That must be the
// logging thread: only a synchronous logger (not spdlog's async one) may use
// this formatter.
std::unique_ptr<spdlog::formatter> make_json_log_formatter();

}  // namespace veil
