// Dense linear algebra in double precision on the host: the symmetric eigendecomposition that PCA
// (tools/eval/pca.h) needs.
//
// A = V diag(lambda) V^T for a symmetric (n, n) A, computed in two stages:
//   1. Householder reduction to tridiagonal form, A = Q T Q^T (n - 2 reflections, 4/3 n^3 flops
//      plus 4/3 n^3 to accumulate Q);
//   2. implicit symmetric QR steps with Wilkinson's shift on T (Givens rotations chasing a bulge
//      down the band), each rotation also applied to the rows of Q^T, so the rows end up as the
//      eigenvectors. Convergence is cubic: about two steps per eigenvalue.
// MNIST's 784 x 784 pixel covariance takes about 0.5 s on one core (measured, AVX-512 machine).
#pragma once

#include <cstdint>
#include <vector>

namespace latent {

struct SymmetricEigen {
  int64_t n = 0;
  std::vector<double> values;   // (n), in decreasing order
  // (n, n): row i is the unit eigenvector of values[i]; the rows are orthonormal. Each row's sign
  // is fixed so its entry of largest magnitude (the first, among equal ones) is positive, which
  // makes the result independent of rounding paths that would flip it.
  std::vector<double> vectors;
};

// a: (n, n) row-major and symmetric (checked to a relative 1e-10 of its largest entry; only the
// lower triangle is then read). Throws latent::Error on a non-symmetric or non-finite input.
SymmetricEigen EigenSymmetric(const double* a, int64_t n);

}  // namespace latent
