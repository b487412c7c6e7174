#include "veil/pipeline/analysis_stage.hpp"

#include "veil/core/error.hpp"

namespace veil {

std::vector<AnalyzedFrame> AnalysisStage::push(Frame frame) {
  Detections found;
  try {
    found = analyzer_.analyze(frame.image);
  } catch (const Error& ex) {
    throw Error("frame " + std::to_string(frame.index) + " could not be analysed (" + ex.what() + ")");
  }
  std::vector<AnalyzedFrame> out;
  out.push_back({std::move(frame), std::move(found)});
  return out;
}

std::vector<AnalyzedFrame> AnalysisStage::flush() { return {}; }

}  // namespace veil
