#pragma once
// Detection for a stream of frames: runs the detectors on each frame and,
// for video, follows objects across frames so that short detector misses
// and late first detections are still hidden. Frames come out in order,
// each once, possibly a few frames after they went in. Shared by
// `anonymize` and `eval`, so eval measures exactly what anonymize hides.
#include "veil/core/frame.hpp"
#include "veil/pipeline/frame_analyzer.hpp"
#include "veil/track/lookahead_buffer.hpp"

#include <optional>
#include <vector>

namespace veil {

struct AnalyzedFrame {
  Frame frame;
  Detections detections;
};

class AnalysisStage {
 public:
  // `tracking`: none analyses each frame on its own (no delay, no tracks).
  AnalysisStage(FrameAnalyzer& analyzer, const std::optional<LookaheadOptions>& tracking);
  // Analyses `frame`; returns the frames whose detections are final.
  // Throws veil::Error when a frame cannot be analysed.
  std::vector<AnalyzedFrame> push(Frame frame);
  // At the end of the input: the frames still held back.
  std::vector<AnalyzedFrame> flush();

 private:
  static std::vector<AnalyzedFrame> convert(LookaheadBuffer::Output ready);

  FrameAnalyzer& analyzer_;
  std::optional<LookaheadBuffer> lookahead_;
};

}  // namespace veil
