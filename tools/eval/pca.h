// Principal component analysis: the linear baseline a deep autoencoder is measured against
// (Hinton & Salakhutdinov 2006 compare a 30-unit code with PCA-30 by test squared error).
//
// With the data X (n, D) and its mean m, the covariance is C = (X - m)^T (X - m) / n (the
// maximum-likelihood estimate, divided by n and not n - 1, so that the identity below is exact).
// Its eigenvectors u_1..u_D by decreasing eigenvalue lambda_1 >= ... >= lambda_D are the
// principal directions; keeping the first k:
//   encode: c = U_k (x - m)          (k numbers per row)
//   decode: x' = U_k^T c + m
// and, summed over the n fitted rows, the reconstruction error is exactly what was discarded:
//   sum_i |x_i - x'_i|^2 = n (lambda_{k+1} + ... + lambda_D).
#pragma once

#include <cstdint>
#include <vector>

namespace latent {

struct Pca {
  int64_t dim = 0, k = 0;
  std::vector<double> mean;        // (dim)
  std::vector<double> components;  // (k, dim): orthonormal rows u_1..u_k, by decreasing variance
  std::vector<double> variances;   // (k): lambda_1..lambda_k, the variance along each row
  double total_variance = 0.0;     // lambda_1 + ... + lambda_D: trace(C)
};

// x: (n, dim) row-major; 1 <= k <= dim, n >= 2. Each component's sign is fixed as in
// EigenSymmetric (tools/eval/linalg.h): its entry of largest magnitude is positive.
Pca FitPca(const float* x, int64_t n, int64_t dim, int64_t k);

// x: (n, dim) -> codes: (n, k)
void PcaEncode(const Pca& pca, const float* x, int64_t n, float* codes);
// codes: (n, k) -> x: (n, dim)
void PcaDecode(const Pca& pca, const float* codes, int64_t n, float* x);

}  // namespace latent
