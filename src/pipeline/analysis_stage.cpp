#include "veil/pipeline/analysis_stage.hpp"

#include "veil/core/error.hpp"

namespace veil {

AnalysisStage::AnalysisStage(FrameAnalyzer& analyzer, const std::optional<LookaheadOptions>& tracking,
                             int sweep_frames)
    : analyzer_(analyzer) {
  if (sweep_frames < 1) throw Error("sweep must be at least 1 frame");
  if (tracking) {
    lookahead_.emplace(*tracking);
    // Without a tracker nothing would hide an object between the frames
    // whose pass can see it.
    sweep_frames_ = sweep_frames;
  }
}

std::vector<AnalyzedFrame> AnalysisStage::convert(LookaheadBuffer::Output ready) {
  std::vector<AnalyzedFrame> out;
  out.reserve(ready.size());
  for (auto& [frame, found] : ready) out.push_back({std::move(frame), std::move(found)});
  return out;
}

std::vector<AnalyzedFrame> AnalysisStage::push(Frame frame) {
  Detections found;
  try {
    SweepStep step{sweep_frames_, pushed_++};
    found = lookahead_ ? analyzer_.analyze(frame.image, step, lookahead_->expected())
                       : analyzer_.analyze(frame.image, step);
  } catch (const Error& ex) {
    throw Error("frame " + std::to_string(frame.index) + " could not be analysed (" + ex.what() + ")");
  }
  if (lookahead_) return convert(lookahead_->push(std::move(frame), std::move(found)));
  std::vector<AnalyzedFrame> out;
  out.push_back({std::move(frame), std::move(found)});
  return out;
}

std::vector<AnalyzedFrame> AnalysisStage::flush() {
  pushed_ = 0;
  return lookahead_ ? convert(lookahead_->flush()) : std::vector<AnalyzedFrame>{};
}

}  // namespace veil
