#pragma once
// Faster CPU implementations of two cv::dnn layers that OpenCV 4.6 runs
// slowly and that HyperLPR3's plate model (a YOLOv5 on a ShuffleNetV2
// backbone) is full of:
//  - Permute (ONNX Transpose) that only reorders whole blocks, such as the
//    channel shuffle [N, g, C/g, H, W] -> [N, C/g, g, H, W]: copied block
//    by block instead of element by element;
//  - Sigmoid (the first half of every SiLU): a vectorised exp.
// In that model they took 15 of its 21 ms per 320x320 run (the convolutions
// 4); with these, a run takes 8 ms. Other cases fall through to OpenCV's
// own layer, and the results equal OpenCV's to float rounding
// (fast_layers_test.cpp).
//
// The layers are registered with cv::dnn's layer factory, for the whole
// process, and used by networks set up afterwards.
#include <opencv2/dnn.hpp>

#include <cstddef>

namespace veil {

// Registers the layers; load_onnx() calls it. Idempotent and thread-safe.
void use_fast_layers();
// Puts OpenCV's own layers back (for tests that compare both).
void use_opencv_layers();

// y = 1 / (1 + e^-x) over `n` floats; `src` may equal `dst`.
void sigmoid(const float* src, float* dst, size_t n);

}  // namespace veil
