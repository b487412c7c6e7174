#include "pipeline/analysis_stage.hpp"

#include "veil/core/error.hpp"

#include <algorithm>
#include <chrono>
#include <iterator>

namespace veil {

AnalysisStage::AnalysisStage(FrameAnalyzer& analyzer, const std::optional<LookaheadOptions>& tracking,
                             int sweep_frames, int frames_in_flight)
    : analyzer_(analyzer) {
  if (sweep_frames < 1) throw Error("sweep must be at least 1 frame");
  if (frames_in_flight < 1) throw Error("frames in flight must be at least 1");
  frames_in_flight_ = size_t(frames_in_flight);
  if (tracking) {
    lookahead_.emplace(*tracking);
    // Without a tracker nothing would hide an object between the frames
    // whose pass can see it.
    sweep_frames_ = sweep_frames;
  }
}

AnalysisStage::~AnalysisStage() {
  // The analyzer's workers still use these frames' images: wait for them
  // (an error is of no interest any more).
  for (InFlight& f : in_flight_) {
    if (f.found.valid()) f.found.wait();
  }
}

std::vector<AnalyzedFrame> AnalysisStage::convert(LookaheadBuffer::Output ready) {
  std::vector<AnalyzedFrame> out;
  out.reserve(ready.size());
  for (auto& [frame, found] : ready) {
    auto context = held_context_.find(frame.index);
    Detections seen;
    if (context != held_context_.end()) {
      seen = std::move(context->second);
      held_context_.erase(context);
    }
    out.push_back({std::move(frame), std::move(found), std::move(seen)});
  }
  return out;
}

std::vector<AnalyzedFrame> AnalysisStage::push(Frame frame) {
  submit(std::move(frame));
  std::vector<AnalyzedFrame> out;
  while (in_flight_.size() >= frames_in_flight_) {
    for (AnalyzedFrame& a : finish_oldest()) out.push_back(std::move(a));
  }
  return out;
}

void AnalysisStage::submit(Frame frame) {
  SweepStep step{sweep_frames_, pushed_++, primary_only_, no_fine_};
  try {
    // The tracker has seen every frame before the ones still in flight:
    // predict past those.
    Detections expected;
    if (lookahead_) expected = lookahead_->expected(int(in_flight_.size()) + 1);
    std::future<Detections> found = analyzer_.submit(frame.image, step, expected);
    in_flight_.push_back({std::move(frame), std::move(found)});
  } catch (const Error& ex) {
    throw Error("frame " + std::to_string(frame.index) + " could not be analysed (" + ex.what() + ")");
  }
}

std::vector<AnalyzedFrame> AnalysisStage::poll() {
  std::vector<AnalyzedFrame> out;
  while (!in_flight_.empty() &&
         in_flight_.front().found.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
    for (AnalyzedFrame& a : finish_oldest()) out.push_back(std::move(a));
  }
  return out;
}

std::vector<AnalyzedFrame> AnalysisStage::release_through(std::int64_t index) {
  if (!lookahead_) return {};
  size_t keep = lookahead_->buffered();
  for (std::int64_t held_index : lookahead_->held_indices()) {
    if (held_index > index) break;
    --keep;
  }
  return convert(lookahead_->release_early(keep));
}

void AnalysisStage::set_sweep_frames(int sweep_frames) {
  if (sweep_frames < 1) throw Error("sweep must be at least 1 frame");
  if (lookahead_) sweep_frames_ = sweep_frames;
}

std::vector<AnalyzedFrame> AnalysisStage::finish_oldest() {
  InFlight oldest = std::move(in_flight_.front());
  in_flight_.pop_front();
  Detections found;
  try {
    found = oldest.found.get();
  } catch (const Error& ex) {
    throw Error("frame " + std::to_string(oldest.frame.index) + " could not be analysed (" + ex.what() + ")");
  }
  auto first_context = std::stable_partition(found.begin(), found.end(), [](const Detection& d) { return !is_context(d.cls); });
  Detections context(std::make_move_iterator(first_context), std::make_move_iterator(found.end()));
  found.erase(first_context, found.end());
  if (release_images_ && oldest.frame.image_approximate && oldest.frame.decoded) oldest.frame.image = cv::Mat();
  if (lookahead_) {
    if (!context.empty()) held_context_[oldest.frame.index] = std::move(context);
    return convert(lookahead_->push(std::move(oldest.frame), std::move(found)));
  }
  std::vector<AnalyzedFrame> out;
  out.push_back({std::move(oldest.frame), std::move(found), std::move(context)});
  return out;
}

std::vector<AnalyzedFrame> AnalysisStage::flush() {
  std::vector<AnalyzedFrame> out;
  while (!in_flight_.empty()) {
    for (AnalyzedFrame& a : finish_oldest()) out.push_back(std::move(a));
  }
  pushed_ = 0;
  if (lookahead_) {
    for (AnalyzedFrame& a : convert(lookahead_->flush())) out.push_back(std::move(a));
  }
  held_context_.clear();  // (empty by now: every held frame came out)
  return out;
}

}  // namespace veil
