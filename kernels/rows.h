// Row movement: gathering minibatch rows by index, and joining/splitting columns (concat).
#pragma once

#include <cstdint>

namespace latent::kernels {

// out[b, :] = x[index[b], :];  x: (N, D), index: (B), out: (B, D).  T: float, double or int32_t.
template <typename T>
void GatherRowsCpu(int64_t B, int64_t D, const int32_t* index, const T* x, T* out);
// dx[index[b], :] += dout[b, :] in order b = 0..B-1 (a repeated index gets every contribution).
// dx: (N, D) must be zeroed by the caller.
template <typename T>
void ScatterAddRowsCpu(int64_t B, int64_t N, int64_t D, const int32_t* index, const T* dout, T* dx);
// out = [a | b];  a: (B, Da), b: (B, Db), out: (B, Da + Db)
template <typename T>
void ConcatColsCpu(int64_t B, int64_t Da, int64_t Db, const T* a, const T* b, T* out);
// The inverse: da = out[:, :Da], db = out[:, Da:]; either may be null.
template <typename T>
void SplitColsCpu(int64_t B, int64_t Da, int64_t Db, const T* out, T* da, T* db);

void GatherRowsCuda(int64_t B, int64_t D, const int32_t* index, const float* x, float* out);
void GatherRowsCuda(int64_t B, int64_t D, const int32_t* index, const int32_t* x, int32_t* out);
// Deterministic without atomics: one thread per output element of dx walks the B indices.
void ScatterAddRowsCuda(int64_t B, int64_t N, int64_t D, const int32_t* index, const float* dout,
                        float* dx);
void ConcatColsCuda(int64_t B, int64_t Da, int64_t Db, const float* a, const float* b, float* out);
void SplitColsCuda(int64_t B, int64_t Da, int64_t Db, const float* out, float* da, float* db);

}  // namespace latent::kernels
