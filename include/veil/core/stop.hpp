#pragma once
// A process-wide request to stop (Ctrl-C, SIGTERM). Long-running work checks
// it between frames and between network transfers, then unwinds with
// veil::Error so that every partial output is discarded: a local temporary
// file is removed, an object upload is aborted.
namespace veil {

// Async-signal-safe: may be called from a signal handler, on any thread.
void request_stop();
// Any thread.
bool stop_requested();
// Throws veil::Error("interrupted") once a stop was requested.
void throw_if_stop_requested();

}  // namespace veil
