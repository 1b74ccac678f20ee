// The symmetric eigensolver of tools/eval/linalg.h against closed-form spectra (diagonal, rotated 2 x 2,
// second-difference matrices), the defining properties A v = lambda v and V V^T = I on random
// matrices at extreme scales, repeated eigenvalues compared through their eigenspaces' projectors,
// and errors that say what was expected.
#include "tools/eval/linalg.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tests/test_util.h"

namespace latent {
namespace {

using testing::ExpectErrorContaining;
using testing::Normals;

constexpr double kPi = 3.14159265358979323846;

// A random symmetric (n, n) matrix: (G + G^T) / 2 of a Gaussian G.
std::vector<double> RandomSymmetric(int64_t n, uint64_t seed) {
  const std::vector<double> g = Normals(n * n, seed);
  std::vector<double> a(n * n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) a[i * n + j] = 0.5 * (g[i * n + j] + g[j * n + i]);
  return a;
}

// A = sum_i values[i] q_i q_i^T for the orthonormal rows q_i of q: (n, n).
std::vector<double> FromEigen(const std::vector<double>& q, const std::vector<double>& values) {
  const int64_t n = static_cast<int64_t>(values.size());
  std::vector<double> a(n * n, 0.0);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j) a[i * n + j] += values[r] * q[r * n + i] * q[r * n + j];
  return a;
}

// The defining properties of a decomposition of a: A v_i = lambda_i v_i (relative to the largest
// |lambda|), V V^T = I, eigenvalues in decreasing order. 1e-10: the solver is backward stable,
// so residuals are a few hundred eps times |A| at these sizes.
void ExpectValidDecomposition(const std::vector<double>& a, const SymmetricEigen& e) {
  const int64_t n = e.n;
  ASSERT_EQ(static_cast<int64_t>(e.values.size()), n);
  ASSERT_EQ(static_cast<int64_t>(e.vectors.size()), n * n);
  double norm = 0.0;
  for (double v : e.values) norm = std::max(norm, std::abs(v));
  norm = std::max(norm, 1e-300);
  for (int64_t r = 0; r < n; ++r) {
    if (r > 0) {
      EXPECT_GE(e.values[r - 1], e.values[r]) << "order at " << r;
    }
    const double* v = &e.vectors[r * n];
    double residual = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      double av = 0.0;
      for (int64_t j = 0; j < n; ++j) av += a[i * n + j] * v[j];
      residual = std::max(residual, std::abs(av - e.values[r] * v[i]));
    }
    EXPECT_LE(residual / norm, 1e-10) << "eigenpair " << r;
    for (int64_t s = 0; s <= r; ++s) {
      double dot = 0.0;
      for (int64_t j = 0; j < n; ++j) dot += v[j] * e.vectors[s * n + j];
      EXPECT_NEAR(dot, r == s ? 1.0 : 0.0, 1e-10) << "rows " << r << ", " << s;
    }
  }
}

TEST(Linalg, DiagonalMatrix) {
  const std::vector<double> a = {3, 0, 0, 0,  //
                                 0, -1, 0, 0,  //
                                 0, 0, 7, 0,   //
                                 0, 0, 0, 0.5};
  const SymmetricEigen e = EigenSymmetric(a.data(), 4);
  EXPECT_EQ(e.values, (std::vector<double>{7, 3, 0.5, -1}));
  // Unit vectors e_2, e_0, e_3, e_1, each with its nonzero entry positive (the sign convention).
  const std::vector<int> axis = {2, 0, 3, 1};
  for (int r = 0; r < 4; ++r)
    for (int j = 0; j < 4; ++j) EXPECT_EQ(e.vectors[r * 4 + j], j == axis[r] ? 1.0 : 0.0);
}

TEST(Linalg, TwoByTwoFromARotation) {
  // A = R diag(5, 2) R^T with R the rotation by 0.3: eigenvectors are R's columns.
  const double c = std::cos(0.3), s = std::sin(0.3);
  const std::vector<double> a = {5 * c * c + 2 * s * s, 3 * c * s,  //
                                 3 * c * s, 5 * s * s + 2 * c * c};
  const SymmetricEigen e = EigenSymmetric(a.data(), 2);
  EXPECT_NEAR(e.values[0], 5.0, 1e-14);
  EXPECT_NEAR(e.values[1], 2.0, 1e-14);
  EXPECT_NEAR(e.vectors[0], c, 1e-14);  // (c, s): c > s, so the sign is already the convention's
  EXPECT_NEAR(e.vectors[1], s, 1e-14);
  EXPECT_NEAR(e.vectors[2], -s, 1e-14);  // (-s, c): c is the larger entry and positive
  EXPECT_NEAR(e.vectors[3], c, 1e-14);
}

TEST(Linalg, SecondDifferenceMatrixClosedForm) {
  // The n x n matrix tridiag(-1, 2, -1) has eigenvalues 2 - 2 cos(k pi / (n + 1)), k = 1..n, with
  // eigenvectors v_j = sin(j k pi / (n + 1)) (normalized by sqrt(2 / (n + 1))).
  const int64_t n = 40;
  std::vector<double> a(n * n, 0.0);
  for (int64_t i = 0; i < n; ++i) {
    a[i * n + i] = 2.0;
    if (i + 1 < n) a[i * n + i + 1] = a[(i + 1) * n + i] = -1.0;
  }
  const SymmetricEigen e = EigenSymmetric(a.data(), n);
  ExpectValidDecomposition(a, e);
  for (int64_t r = 0; r < n; ++r) {
    const int64_t k = n - r;  // decreasing order: the largest eigenvalue has k = n
    const double theta = static_cast<double>(k) * kPi / static_cast<double>(n + 1);
    EXPECT_NEAR(e.values[r], 2.0 - 2.0 * std::cos(theta), 1e-13) << "k = " << k;
    // Up to sign: compare |<v, expected>| with 1.
    double dot = 0.0;
    for (int64_t j = 0; j < n; ++j)
      dot += e.vectors[r * n + j] * std::sqrt(2.0 / static_cast<double>(n + 1)) *
             std::sin(static_cast<double>(j + 1) * theta);
    EXPECT_NEAR(std::abs(dot), 1.0, 1e-12) << "k = " << k;
  }
}

TEST(Linalg, RandomSymmetricPositiveDefinite) {
  for (int64_t n : {1, 2, 7, 31, 100}) {
    // A = G G^T + I: symmetric positive definite, eigenvalues >= 1.
    const std::vector<double> g = Normals(n * n, 11 + n);
    std::vector<double> a(n * n, 0.0);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j) {
        for (int64_t l = 0; l < n; ++l) a[i * n + j] += g[i * n + l] * g[j * n + l];
        if (i == j) a[i * n + j] += 1.0;
      }
    const SymmetricEigen e = EigenSymmetric(a.data(), n);
    SCOPED_TRACE("n = " + std::to_string(n));
    ExpectValidDecomposition(a, e);
    double trace = 0.0, sum = 0.0;
    for (int64_t i = 0; i < n; ++i) trace += a[i * n + i];
    for (double v : e.values) sum += v;
    EXPECT_NEAR(sum, trace, 1e-12 * trace);
    EXPECT_GE(e.values.back(), 1.0 - 1e-10);
  }
}

TEST(Linalg, IndefiniteAndHugeAndTinyScales) {
  const std::vector<double> a = RandomSymmetric(60, 5);
  ExpectValidDecomposition(a, EigenSymmetric(a.data(), 60));
  // Scaled by 1e200 (squares overflow) and 1e-200 (squares underflow): the eigenvalues scale
  // with the matrix, to rounding.
  const SymmetricEigen base = EigenSymmetric(a.data(), 60);
  for (double scale : {1e200, 1e-200}) {
    std::vector<double> b = a;
    for (double& x : b) x *= scale;
    const SymmetricEigen e = EigenSymmetric(b.data(), 60);
    for (int i = 0; i < 60; ++i)
      EXPECT_NEAR(e.values[i] / scale, base.values[i], 1e-12 * std::abs(base.values[0]))
          << "scale " << scale << ", eigenvalue " << i;
  }
}

TEST(Linalg, DegenerateEigenvalues) {
  // A = Q diag(4, 4, 4, 1, 1, -2) Q^T with Q orthonormal (the eigenvectors of a random symmetric
  // matrix). Within a repeated eigenvalue any orthonormal basis is right, so the test compares
  // the projector onto each eigenspace, which is unique.
  const int64_t n = 6;
  const std::vector<double> r = RandomSymmetric(n, 21);
  const std::vector<double> q = EigenSymmetric(r.data(), n).vectors;
  const std::vector<double> values = {4, 4, 4, 1, 1, -2};
  const std::vector<double> a = FromEigen(q, values);
  const SymmetricEigen e = EigenSymmetric(a.data(), n);
  ExpectValidDecomposition(a, e);
  for (int i = 0; i < n; ++i) EXPECT_NEAR(e.values[i], values[i], 1e-13);
  for (auto [begin, end] : {std::pair<int, int>{0, 3}, {3, 5}, {5, 6}}) {
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double expected = 0.0, found = 0.0;
        for (int s = begin; s < end; ++s) {
          expected += q[s * n + i] * q[s * n + j];
          found += e.vectors[s * n + i] * e.vectors[s * n + j];
        }
        EXPECT_NEAR(found, expected, 1e-12) << "eigenspace [" << begin << ", " << end << ")";
      }
  }
  // Multiples of the identity and zero: every vector is an eigenvector.
  std::vector<double> identity(25, 0.0), zero(25, 0.0);
  for (int i = 0; i < 5; ++i) identity[i * 5 + i] = 2.5;
  const SymmetricEigen ei = EigenSymmetric(identity.data(), 5);
  ExpectValidDecomposition(identity, ei);
  for (double v : ei.values) EXPECT_EQ(v, 2.5);
  const SymmetricEigen ez = EigenSymmetric(zero.data(), 5);
  ExpectValidDecomposition(zero, ez);
  for (double v : ez.values) EXPECT_EQ(v, 0.0);
}

TEST(Linalg, BadInputsAreRejected) {
  const std::vector<double> a = {1, 2, 3, 1};
  ExpectErrorContaining([&] { EigenSymmetric(a.data(), 2); },
                        {"expected a symmetric matrix", "A(1, 0) = 3", "A(0, 1) = 2"});
  const std::vector<double> b = {1, std::nan(""), std::nan(""), 1};
  ExpectErrorContaining([&] { EigenSymmetric(b.data(), 2); }, {"finite", "(0, 1)"});
  ExpectErrorContaining([&] { EigenSymmetric(a.data(), 0); }, {"n >= 1", "n = 0"});
}

}  // namespace
}  // namespace latent
