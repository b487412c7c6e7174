#include "veil/pipeline/analysis_stage.hpp"

#include "veil/core/error.hpp"

namespace veil {

AnalysisStage::AnalysisStage(FrameAnalyzer& analyzer, const std::optional<LookaheadOptions>& tracking)
    : analyzer_(analyzer) {
  if (tracking) lookahead_.emplace(*tracking);
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
    found = analyzer_.analyze(frame.image);
  } catch (const Error& ex) {
    throw Error("frame " + std::to_string(frame.index) + " could not be analysed (" + ex.what() + ")");
  }
  if (lookahead_) return convert(lookahead_->push(std::move(frame), std::move(found)));
  std::vector<AnalyzedFrame> out;
  out.push_back({std::move(frame), std::move(found)});
  return out;
}

std::vector<AnalyzedFrame> AnalysisStage::flush() {
  return lookahead_ ? convert(lookahead_->flush()) : std::vector<AnalyzedFrame>{};
}

}  // namespace veil
