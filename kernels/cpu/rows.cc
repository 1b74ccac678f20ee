// CPU reference for kernels/rows.h: gathering rows by index and joining/splitting columns.
//
// B: rows moved (the minibatch); D, Da, Db: row widths. Pure copies, one thread: a minibatch
// gather moves 128 x 784 floats, a few tens of microseconds.
#include "kernels/rows.h"

#include <algorithm>

namespace latent::kernels {

template <typename T>
void GatherRowsCpu(int64_t B, int64_t D, const int32_t* index, const T* x, T* out) {
  // index: (B), x: (N, D), out: (B, D). N is not passed, so the caller must have checked
  // 0 <= index[b] < N.
  for (int64_t b = 0; b < B; ++b) {
    const T* x_row = x + static_cast<int64_t>(index[b]) * D;  // (D)
    std::copy(x_row, x_row + D, out + b * D);
  }
}

template <typename T>
void ScatterAddRowsCpu(int64_t B, int64_t /*N*/, int64_t D, const int32_t* index, const T* dout,
                       T* dx) {
  // index: (B), dout: (B, D), dx: (N, D). `+=` because an index may repeat: a row gathered twice
  // gets both gradients. Sequential in b, so repeated rows add up in a fixed order.
  for (int64_t b = 0; b < B; ++b) {
    const T* dout_row = dout + b * D;                     // (D)
    T* dx_row = dx + static_cast<int64_t>(index[b]) * D;  // (D)
    for (int64_t d = 0; d < D; ++d) dx_row[d] += dout_row[d];
  }
}

template <typename T>
void ConcatColsCpu(int64_t B, int64_t Da, int64_t Db, const T* a, const T* b, T* out) {
  // a: (B, Da), b: (B, Db), out: (B, Da + Db)
  for (int64_t r = 0; r < B; ++r) {
    T* out_row = out + r * (Da + Db);  // (Da + Db)
    std::copy(a + r * Da, a + (r + 1) * Da, out_row);
    std::copy(b + r * Db, b + (r + 1) * Db, out_row + Da);
  }
}

template <typename T>
void SplitColsCpu(int64_t B, int64_t Da, int64_t Db, const T* out, T* da, T* db) {
  // out: (B, Da + Db), da: (B, Da) or null, db: (B, Db) or null
  for (int64_t r = 0; r < B; ++r) {
    const T* out_row = out + r * (Da + Db);  // (Da + Db)
    if (da != nullptr) std::copy(out_row, out_row + Da, da + r * Da);
    if (db != nullptr) std::copy(out_row + Da, out_row + Da + Db, db + r * Db);
  }
}

template void GatherRowsCpu<float>(int64_t, int64_t, const int32_t*, const float*, float*);
template void GatherRowsCpu<double>(int64_t, int64_t, const int32_t*, const double*, double*);
template void GatherRowsCpu<int32_t>(int64_t, int64_t, const int32_t*, const int32_t*, int32_t*);
template void ScatterAddRowsCpu<float>(int64_t, int64_t, int64_t, const int32_t*, const float*,
                                       float*);
template void ScatterAddRowsCpu<double>(int64_t, int64_t, int64_t, const int32_t*, const double*,
                                        double*);
template void ConcatColsCpu<float>(int64_t, int64_t, int64_t, const float*, const float*, float*);
template void ConcatColsCpu<double>(int64_t, int64_t, int64_t, const double*, const double*,
                                    double*);
template void SplitColsCpu<float>(int64_t, int64_t, int64_t, const float*, float*, float*);
template void SplitColsCpu<double>(int64_t, int64_t, int64_t, const double*, double*, double*);

}  // namespace latent::kernels
