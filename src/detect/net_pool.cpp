#include "veil/detect/net_pool.hpp"

#include "veil/detect/onnx_model.hpp"

namespace veil {

NetPool::NetPool(std::vector<uchar> bytes, std::string what, size_t max_idle)
    : bytes_(std::move(bytes)), what_(std::move(what)), max_idle_(std::max<size_t>(1, max_idle)) {
  cv::dnn::Net first = load_onnx(bytes_, what_);
  output_names_ = first.getUnconnectedOutLayersNames();
  idle_.emplace_back(cv::Size(), std::move(first));  // no shape planned yet
}

NetPool::Lease NetPool::borrow(cv::Size shape) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // One planned for this shape, else one not planned yet.
    for (cv::Size want : {shape, cv::Size()}) {
      for (auto it = idle_.begin(); it != idle_.end(); ++it) {
        if (it->first != want) continue;
        cv::dnn::Net net = std::move(it->second);
        idle_.erase(it);
        return Lease(*this, shape, std::move(net));
      }
    }
  }
  return Lease(*this, shape, load_onnx(bytes_, what_));  // outside the lock: takes a while
}

void NetPool::give_back(cv::Size shape, cv::dnn::Net net) {
  std::lock_guard<std::mutex> lock(mutex_);
  idle_.emplace_front(shape, std::move(net));
  while (idle_.size() > max_idle_) idle_.pop_back();
}

size_t NetPool::idle() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return idle_.size();
}

NetPool::Lease::~Lease() {
  if (pool_) pool_->give_back(shape_, std::move(net_));
}

}  // namespace veil
