#pragma once
// The networks of one model, shared by the threads that run its passes.
// cv::dnn::Net is not thread-safe, and it re-plans (and re-allocates) its
// buffers whenever the input shape changes; so a pass borrows a network
// already planned for its input shape, or a new one, and gives it back.
// Networks are kept per shape, not per thread: on a 1080p frame a YuNet
// network's buffers take 85-100 MB, and a copy per thread per shape pushed
// Veil past 1.3 GB.
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include <cstddef>
#include <list>
#include <mutex>
#include <string>
#include <vector>

namespace veil {

class NetPool {
 public:
  // `bytes`: the ONNX model; `what` names it in errors. Keeps at most
  // `max_idle` networks between runs (the least recently used go first).
  // Builds one network now, so that a bad model fails at start-up.
  // Throws veil::Error.
  NetPool(std::vector<uchar> bytes, std::string what, size_t max_idle);

  // A network for inputs of `shape` (width x height), held until the lease
  // is destroyed.
  class Lease {
   public:
    Lease(NetPool& pool, cv::Size shape, cv::dnn::Net net) : pool_(&pool), shape_(shape), net_(std::move(net)) {}
    Lease(Lease&& other) noexcept : pool_(other.pool_), shape_(other.shape_), net_(std::move(other.net_)) {
      other.pool_ = nullptr;
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    cv::dnn::Net& net() { return net_; }

   private:
    NetPool* pool_;
    cv::Size shape_;
    cv::dnn::Net net_;
  };
  Lease borrow(cv::Size shape);

  // Output layer names (the same for every network of the model).
  std::vector<cv::String> output_names() const { return output_names_; }
  size_t idle() const;

 private:
  void give_back(cv::Size shape, cv::dnn::Net net);

  std::vector<uchar> bytes_;
  std::string what_;
  size_t max_idle_;
  std::vector<cv::String> output_names_;
  mutable std::mutex mutex_;
  std::list<std::pair<cv::Size, cv::dnn::Net>> idle_;  // most recently used first
};

}  // namespace veil
