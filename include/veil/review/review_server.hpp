#pragma once
// `veil review`: a page on 127.0.0.1 where a person checks and corrects what
// Veil found in one video or image before `veil render` hides it: steps
// frame by frame over the detections, excludes tracks, draws what the
// detectors missed, previews the redacted frame and saves the sidecar.
//
// Only the loopback interface is bound. Every request must carry the
// server's random token (the URL's ?token=, or an X-Veil-Token header) and a
// Host header naming the loopback address (no DNS rebinding); anything else
// gets 403. It serves the page, the given input's frames and the given
// sidecar, nothing else from disk.
#include "veil/redact/redactor.hpp"

#include <memory>
#include <string>

namespace veil {

struct ReviewOptions {
  std::string input;    // a local video or image
  std::string sidecar;  // a local sidecar of `input`, read at start and written by Save
  int port = 0;         // 0: any free port
  RedactOptions redact; // how the preview hides objects (as render will)
};

class ReviewServer {
 public:
  // Reads the sidecar, opens the input and binds the port. Throws
  // veil::Error when the sidecar is malformed or does not describe the
  // input, the input cannot be decoded, or the port is taken.
  explicit ReviewServer(ReviewOptions options);
  ~ReviewServer();
  ReviewServer(const ReviewServer&) = delete;
  ReviewServer& operator=(const ReviewServer&) = delete;

  // http://127.0.0.1:PORT/?token=TOKEN: the page, for the user to open.
  std::string url() const;
  int port() const;
  // Serves until stop(); call from one thread.
  void run();
  // Ends run(). Any thread may call it, also before run() started.
  void stop();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace veil
