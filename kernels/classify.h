// Classification kernels: softmax cross-entropy per row, and one-hot codes (the CVAE's label
// input).
//
//   l_b = logsumexp_c(x[b, c]) - x[b, y_b]         (computed with the row max subtracted first,
//                                                   so exp never overflows)
//   dl_b/dx[b, c] = softmax(x[b])_c - [c == y_b]
#pragma once

#include <cstdint>

namespace latent::kernels {

// logits: (B, C), labels: (B) in [0, C), out: (B)
template <typename T>
void SoftmaxCrossEntropyForwardCpu(int64_t B, int64_t C, const T* logits, const int32_t* labels,
                                   T* out);
// dout: (B), dlogits: (B, C) written
template <typename T>
void SoftmaxCrossEntropyBackwardCpu(int64_t B, int64_t C, const T* logits, const int32_t* labels,
                                    const T* dout, T* dlogits);
// out[b, c] = [c == labels[b]];  out: (B, C)
template <typename T>
void OneHotCpu(int64_t B, int64_t C, const int32_t* labels, T* out);

void SoftmaxCrossEntropyForwardCuda(int64_t B, int64_t C, const float* logits,
                                    const int32_t* labels, float* out);
void SoftmaxCrossEntropyBackwardCuda(int64_t B, int64_t C, const float* logits,
                                     const int32_t* labels, const float* dout, float* dlogits);
void OneHotCuda(int64_t B, int64_t C, const int32_t* labels, float* out);

}  // namespace latent::kernels
