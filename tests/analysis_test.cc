// The evaluation mathematics against closed-form answers: the symmetric eigensolver
// (core/linalg.h), PCA (core/pca.h), AUROC, ROC curves and PSNR (core/metrics.h), and the linear
// probe (models/linear_probe.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/dataset.h"
#include "core/device.h"
#include "core/linalg.h"
#include "core/metrics.h"
#include "core/pca.h"
#include "core/random.h"
#include "models/linear_probe.h"
#include "tests/test_util.h"

namespace latent {
namespace {

using testing::ExpectErrorContaining;

constexpr double kPi = 3.14159265358979323846;

// Standard normal numbers from a Philox stream, as doubles.
std::vector<double> Normals(int64_t count, uint64_t seed) {
  return RandomNormal({count}, seed, 0, DType::kF64).ToVector<double>();
}

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

// --- PCA -----------------------------------------------------------------------------------------

// Sum over rows of |x - decode(encode(x))|^2 with k components.
double ReconstructionError(const Pca& pca, const std::vector<float>& x, int64_t n) {
  std::vector<float> codes(n * pca.k), back(n * pca.dim);
  PcaEncode(pca, x.data(), n, codes.data());
  PcaDecode(pca, codes.data(), n, back.data());
  double sum = 0.0;
  for (size_t i = 0; i < x.size(); ++i) sum += (double(x[i]) - back[i]) * (double(x[i]) - back[i]);
  return sum;
}

TEST(Pca, PointsOnALineGiveItsDirectionAndVariance) {
  // x_t = m + t u with t = -5..5 and u = (1, 2, 2) / 3: the mean is m, the first component u
  // (its largest entries, equal, are positive), its variance mean(t^2) = (11^2 - 1) / 12 = 10,
  // and nothing is left for a second component.
  const std::vector<double> m = {0.5, -1.0, 2.0}, u = {1.0 / 3, 2.0 / 3, 2.0 / 3};
  std::vector<float> x;
  for (int t = -5; t <= 5; ++t)
    for (int j = 0; j < 3; ++j) x.push_back(static_cast<float>(m[j] + t * u[j]));
  const Pca pca = FitPca(x.data(), 11, 3, 2);
  // 1e-6: the points are f32, rounded to about 2e-7 relative.
  for (int j = 0; j < 3; ++j) {
    EXPECT_NEAR(pca.mean[j], m[j], 1e-6);
    EXPECT_NEAR(pca.components[j], u[j], 1e-6);
  }
  EXPECT_NEAR(pca.variances[0], 10.0, 1e-5);
  EXPECT_NEAR(pca.variances[1], 0.0, 1e-10);
  EXPECT_NEAR(pca.total_variance, 10.0, 1e-5);
  // k = 1, the true rank, reconstructs every point.
  const Pca one = FitPca(x.data(), 11, 3, 1);
  EXPECT_LT(ReconstructionError(one, x, 11), 1e-10);
}

TEST(Pca, PointsOnAPlaneGiveItsDirectionsVariancesAndExactReconstruction) {
  // x = m + a u1 + b u2 in 5-D over the grid a in 3 {-2..2}, b in {-1, 0, 1}: a and b are
  // uncorrelated with variances 9 * 2 = 18 and 2/3, so the components are +-u1 and +-u2.
  const std::vector<double> m = {1, 2, 3, 4, 5};
  const std::vector<double> u1 = {0.6, 0.8, 0, 0, 0}, u2 = {0, 0, 0.6, 0, -0.8};
  std::vector<float> x;
  for (int a = -2; a <= 2; ++a)
    for (int b = -1; b <= 1; ++b)
      for (int j = 0; j < 5; ++j) x.push_back(static_cast<float>(m[j] + 3 * a * u1[j] + b * u2[j]));
  const int64_t n = 15;
  const Pca pca = FitPca(x.data(), n, 5, 2);
  EXPECT_NEAR(pca.variances[0], 18.0, 1e-5);
  EXPECT_NEAR(pca.variances[1], 2.0 / 3.0, 1e-6);
  // Sign convention: u1's largest entry (0.8) and u2's largest magnitude (-0.8) become positive.
  for (int j = 0; j < 5; ++j) {
    EXPECT_NEAR(pca.components[j], u1[j], 1e-6);
    EXPECT_NEAR(pca.components[5 + j], -u2[j], 1e-6);
  }
  EXPECT_LT(ReconstructionError(pca, x, n), 1e-9);
  // Keeping only u1 loses b u2 at every point: sum b^2 = 5 * 2 = n * 2/3.
  EXPECT_NEAR(ReconstructionError(FitPca(x.data(), n, 5, 1), x, n), 10.0, 1e-5);
}

// Anisotropic Gaussian data: column j scaled by (j + 1), plus a correlated pair and an offset.
std::vector<float> AnisotropicData(int64_t n, int64_t dim, uint64_t seed) {
  const std::vector<double> z = Normals(n * dim, seed);
  std::vector<float> x(n * dim);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t j = 0; j < dim; ++j) {
      double v = z[r * dim + j] * static_cast<double>(j + 1) + 0.1 * static_cast<double>(j);
      if (j == 1) v += 2.0 * z[r * dim];
      x[r * dim + j] = static_cast<float>(v);
    }
  return x;
}

TEST(Pca, ReconstructionErrorIsTheDiscardedVarianceTimesN) {
  const int64_t n = 500, dim = 20;
  const std::vector<float> x = AnisotropicData(n, dim, 3);
  const Pca full = FitPca(x.data(), n, dim, dim);
  for (int64_t k : {1, 5, 13, 19}) {
    double discarded = 0.0;
    for (int64_t i = k; i < dim; ++i) discarded += full.variances[i];
    // 1e-5 relative: codes and reconstructions are f32.
    EXPECT_NEAR(ReconstructionError(FitPca(x.data(), n, dim, k), x, n), n * discarded,
                1e-5 * n * discarded)
        << "k = " << k;
  }
  EXPECT_LT(ReconstructionError(full, x, n), 1e-8 * n * full.total_variance);
  double variance_sum = 0.0;
  for (double v : full.variances) variance_sum += v;
  EXPECT_NEAR(variance_sum, full.total_variance, 1e-12 * full.total_variance);
}

TEST(Pca, CodesAreUncorrelatedWithTheComponentVariances) {
  const int64_t n = 500, dim = 8, k = 4;
  const std::vector<float> x = AnisotropicData(n, dim, 4);
  const Pca pca = FitPca(x.data(), n, dim, k);
  std::vector<float> codes(n * k);
  PcaEncode(pca, x.data(), n, codes.data());
  for (int64_t a = 0; a < k; ++a) {
    double mean = 0.0;
    for (int64_t r = 0; r < n; ++r) mean += codes[r * k + a];
    EXPECT_NEAR(mean / n, 0.0, 1e-5);
    for (int64_t b = 0; b <= a; ++b) {
      double cov = 0.0;
      for (int64_t r = 0; r < n; ++r) cov += double(codes[r * k + a]) * codes[r * k + b];
      cov /= n;
      EXPECT_NEAR(cov, a == b ? pca.variances[a] : 0.0, 1e-5 * pca.variances[0])
          << "codes " << a << ", " << b;
    }
  }
}

TEST(Pca, CovarianceOverManyChunksMatchesADoubleLoop) {
  // 2500 rows: three chunks for the GEMM-based covariance, the last one ragged.
  const int64_t n = 2500, dim = 7;
  const std::vector<float> x = AnisotropicData(n, dim, 5);
  std::vector<double> mean(dim, 0.0), cov(dim * dim, 0.0);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t j = 0; j < dim; ++j) mean[j] += x[r * dim + j] / static_cast<double>(n);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t i = 0; i < dim; ++i)
      for (int64_t j = 0; j < dim; ++j)
        cov[i * dim + j] += (x[r * dim + i] - mean[i]) * (x[r * dim + j] - mean[j]) / n;
  const SymmetricEigen expected = EigenSymmetric(cov.data(), dim);
  const Pca pca = FitPca(x.data(), n, dim, dim);
  for (int64_t j = 0; j < dim; ++j) EXPECT_NEAR(pca.mean[j], mean[j], 1e-12);
  // 1e-6 relative: each chunk's dot products are summed in f32 over at most 1024 rows.
  for (int64_t i = 0; i < dim; ++i)
    EXPECT_NEAR(pca.variances[i], expected.values[i], 1e-6 * expected.values[0]) << i;
}

TEST(Pca, MnistSliceAtFullDimension) {
  // The real size: 784 x 784, with a large exactly-zero eigenspace (the border pixels that never
  // light up), which the solver must deflate rather than iterate on.
  const std::string dir = testing::MnistDir();
  if (dir.empty()) GTEST_SKIP() << "MNIST not found (tools/fetch_data.sh)";
  const Dataset data = LoadDataset(dir, "train", Device::Cpu(), 2000);
  const int64_t n = data.size(), dim = data.features();
  const std::vector<float> x = data.images.ToVector<float>();
  const Pca full = FitPca(x.data(), n, dim, dim);
  for (int64_t r = 0; r < dim; r += 97) {
    for (int64_t s = 0; s < dim; ++s) {
      double dot = 0.0;
      for (int64_t j = 0; j < dim; ++j)
        dot += full.components[r * dim + j] * full.components[s * dim + j];
      EXPECT_NEAR(dot, r == s ? 1.0 : 0.0, 1e-10) << "rows " << r << ", " << s;
    }
  }
  double discarded = 0.0;
  for (int64_t i = 30; i < dim; ++i) discarded += full.variances[i];
  EXPECT_NEAR(ReconstructionError(FitPca(x.data(), n, dim, 30), x, n), n * discarded,
              1e-5 * n * discarded);
  // Pixels that are 0 in all 2000 images: variance 0, to rounding.
  EXPECT_LE(full.variances.back(), 1e-12 * full.variances[0]);
}

TEST(Pca, BadArgumentsAreRejected) {
  const std::vector<float> x(12, 1.0f);
  ExpectErrorContaining([&] { FitPca(x.data(), 4, 3, 4); }, {"1 <= k <= dim = 3", "found k = 4"});
  ExpectErrorContaining([&] { FitPca(x.data(), 4, 3, 0); }, {"found k = 0"});
  ExpectErrorContaining([&] { FitPca(x.data(), 1, 3, 2); }, {"at least 2 rows", "found 1"});
  std::vector<float> bad = x;
  bad[5] = std::numeric_limits<float>::infinity();
  ExpectErrorContaining([&] { FitPca(bad.data(), 4, 3, 2); }, {"finite", "column 2"});
  std::vector<float> codes(8);
  ExpectErrorContaining([&] { PcaEncode(Pca{}, x.data(), 4, codes.data()); },
                        {"PCA encode", "fitted", "dim = 0"});
}

// --- AUROC, ROC, PSNR ----------------------------------------------------------------------------

TEST(Metrics, AurocExtremes) {
  const std::vector<double> scores = {0.1, 0.2, 0.3, 0.4};
  EXPECT_EQ(Auroc(scores, {false, false, true, true}), 1.0);
  EXPECT_EQ(Auroc(scores, {true, true, false, false}), 0.0);
  EXPECT_EQ(Auroc({2, 2, 2, 2, 2}, {true, false, false, true, false}), 0.5);
}

// Positives 0.9, 0.7, 0.4; negatives 0.8, 0.4, 0.3, 0.1 (shuffled). Mann-Whitney U counts, per
// positive, the negatives below it plus half the tied ones: 4 + 3 + (2 + 1/2) = 9.5 of 3 * 4.
const std::vector<double> kHandScores = {0.4, 0.1, 0.9, 0.8, 0.3, 0.7, 0.4};
const std::vector<bool> kHandPositive = {false, false, true, false, false, true, true};

TEST(Metrics, AurocIsTheMannWhitneyStatistic) {
  EXPECT_DOUBLE_EQ(Auroc(kHandScores, kHandPositive), 9.5 / 12.0);
}

double TrapezoidArea(const std::vector<RocPoint>& curve) {
  double area = 0.0;
  for (size_t i = 1; i < curve.size(); ++i)
    area += (curve[i].false_positive_rate - curve[i - 1].false_positive_rate) *
            (curve[i].true_positive_rate + curve[i - 1].true_positive_rate) / 2.0;
  return area;
}

TEST(Metrics, RocCurveOfTheHandExample) {
  // From the highest score: 0.9 P, 0.8 N, 0.7 P, 0.4 {P, N} (one diagonal step), 0.3 N, 0.1 N.
  const std::vector<RocPoint> curve = RocCurve(kHandScores, kHandPositive);
  const std::vector<std::pair<double, double>> expected = {
      {0, 0}, {0, 1.0 / 3}, {0.25, 1.0 / 3}, {0.25, 2.0 / 3}, {0.5, 1}, {0.75, 1}, {1, 1}};
  ASSERT_EQ(curve.size(), expected.size());
  for (size_t i = 0; i < curve.size(); ++i) {
    EXPECT_DOUBLE_EQ(curve[i].false_positive_rate, expected[i].first) << i;
    EXPECT_DOUBLE_EQ(curve[i].true_positive_rate, expected[i].second) << i;
  }
  EXPECT_DOUBLE_EQ(TrapezoidArea(curve), 9.5 / 12.0);
}

TEST(Metrics, RocAreaAndAurocAgreeWithPairCounting) {
  // 1000 examples with scores on 10 levels (many ties), labels correlated with the score.
  const std::vector<double> u = RandomUniform({2000}, 9, 0, DType::kF64).ToVector<double>();
  std::vector<double> scores(1000);
  std::vector<bool> positive(1000);
  for (int i = 0; i < 1000; ++i) {
    scores[i] = std::floor(10.0 * u[i]);
    positive[i] = u[1000 + i] < 0.2 + 0.06 * scores[i];
  }
  // The definition, over every (positive, negative) pair.
  double wins = 0.0, pairs = 0.0;
  for (int i = 0; i < 1000; ++i)
    for (int j = 0; j < 1000; ++j)
      if (positive[i] && !positive[j]) {
        wins += scores[i] > scores[j] ? 1.0 : scores[i] == scores[j] ? 0.5 : 0.0;
        pairs += 1.0;
      }
  const double auroc = Auroc(scores, positive);
  EXPECT_NEAR(auroc, wins / pairs, 1e-12);
  EXPECT_GT(auroc, 0.6);  // the labels do depend on the score
  const std::vector<RocPoint> curve = RocCurve(scores, positive);
  ASSERT_EQ(curve.size(), 11u);  // (0, 0) and one point per distinct score
  EXPECT_EQ(curve.front().false_positive_rate, 0.0);
  EXPECT_EQ(curve.front().true_positive_rate, 0.0);
  EXPECT_EQ(curve.back().false_positive_rate, 1.0);
  EXPECT_EQ(curve.back().true_positive_rate, 1.0);
  for (size_t i = 1; i < curve.size(); ++i) {
    EXPECT_GE(curve[i].false_positive_rate, curve[i - 1].false_positive_rate);
    EXPECT_GE(curve[i].true_positive_rate, curve[i - 1].true_positive_rate);
  }
  EXPECT_NEAR(TrapezoidArea(curve), auroc, 1e-12);
}

TEST(Metrics, AurocArgumentErrors) {
  ExpectErrorContaining([] { Auroc({1, 2, 3}, {true, true, true}); },
                        {"at least one positive and one negative", "3 positives and 0 negatives"});
  ExpectErrorContaining([] { RocCurve({1, 2}, {false, false}); },
                        {"ROC curve", "0 positives and 2 negatives"});
  ExpectErrorContaining([] { Auroc({1, 2, 3}, {true, false}); },
                        {"one label per score (3 scores)", "found 2 labels"});
  ExpectErrorContaining([] { Auroc({1, std::nan(""), 3}, {true, false, true}); },
                        {"NaN", "index 1"});
}

TEST(Metrics, PsnrKnownValues) {
  // Every value off by 0.1: MSE 0.01, PSNR 10 log10(1 / 0.01) = 20 dB (0.1f is 0.1 to 1.5e-9,
  // which moves the result by about 1.3e-7 dB).
  const std::vector<float> reference(100, 0.3f);
  std::vector<float> image(100);
  for (int i = 0; i < 100; ++i) image[i] = i % 2 ? 0.4f : 0.2f;
  EXPECT_NEAR(Psnr(reference.data(), image.data(), 100), 20.0, 1e-5);
  // Peak 2, differences 0.5 (exact in f32): 10 log10(4 / 0.25) = 10 log10(16).
  const std::vector<float> zeros(8, 0.0f), halves(8, 0.5f);
  EXPECT_NEAR(Psnr(zeros.data(), halves.data(), 8, 2.0), 10.0 * std::log10(16.0), 1e-12);
  // Half the values exact, half off by 1: MSE 1/2, 10 log10(2) dB.
  const std::vector<float> mixed = {0, 1, 0, 1};
  EXPECT_NEAR(Psnr(zeros.data(), mixed.data(), 4), 10.0 * std::log10(2.0), 1e-12);
  EXPECT_EQ(Psnr(reference.data(), reference.data(), 100),
            std::numeric_limits<double>::infinity());
  ExpectErrorContaining([&] { Psnr(zeros.data(), zeros.data(), 0); }, {"at least one", "n = 0"});
  ExpectErrorContaining([&] { Psnr(zeros.data(), zeros.data(), 8, 0.0); }, {"positive peak"});
}

// --- linear probe --------------------------------------------------------------------------------

// Three classes around the vertices of a triangle of radius 4 in the first two features, with
// uniform noise in [-1, 1] per coordinate (every point stays at least 2 sqrt(3) - sqrt(2) > 2 from
// the bisectors between the classes), plus `noise_features` pure-noise features and one constant
// feature. The two informative features are then mapped to signal_scale x + offset, the others to
// noise_scale x + offset.
struct Split {
  Tensor features, labels;
};
Split Triangle(int64_t n, int64_t noise_features, uint64_t seed, double signal_scale,
               double noise_scale, double offset, Device device = Device::Cpu()) {
  const int64_t D = 3 + noise_features;
  const std::vector<double> u = RandomUniform({n * D}, seed, 0, DType::kF64).ToVector<double>();
  std::vector<float> x(n * D);
  std::vector<int32_t> y(n);
  for (int64_t r = 0; r < n; ++r) {
    const int32_t c = static_cast<int32_t>(r % 3);
    y[r] = c;
    const double angle = 2.0 * kPi * c / 3.0;
    for (int64_t j = 0; j < D; ++j) {
      double v = 2.0 * u[r * D + j] - 1.0;
      if (j == 0) v += 4.0 * std::cos(angle);
      if (j == 1) v += 4.0 * std::sin(angle);
      if (j == 2) v = 3.0;
      x[r * D + j] = static_cast<float>((j < 2 ? signal_scale : noise_scale) * v + offset);
    }
  }
  return {Tensor::FromVector(x, {n, D}, device), Tensor::FromVector(y, {n}, device)};
}

TEST(LinearProbe, SeparableClassesAreClassifiedPerfectly) {
  ProbeOptions options;
  options.epochs = 20;
  options.batch_size = 32;
  options.lr = 0.05;
  const Split train = Triangle(300, 2, 1, 1.0, 1.0, 0.0);
  const Split test = Triangle(150, 2, 2, 1.0, 1.0, 0.0);
  const ProbeResult r = LinearProbe(train.features, train.labels, test.features, test.labels, 3,
                                    options);
  EXPECT_EQ(r.train_accuracy, 1.0);
  EXPECT_EQ(r.test_accuracy, 1.0);
  // The same problem with the informative features shrunk 100-fold, the noise features grown
  // 100-fold, and all offset by 100 (the signal keeps about 13 bits in f32). Standardization
  // makes the probe blind to scales and offsets, so it trains exactly as well; on the raw
  // features, the initial weights' products with the noise would swamp the signal for longer
  // than Adam's steps of about lr can undo.
  const Split big_train = Triangle(300, 2, 1, 1e-2, 1e2, 1e2);
  const Split big_test = Triangle(150, 2, 2, 1e-2, 1e2, 1e2);
  const ProbeResult big = LinearProbe(big_train.features, big_train.labels, big_test.features,
                                      big_test.labels, 3, options);
  EXPECT_EQ(big.train_accuracy, 1.0);
  EXPECT_EQ(big.test_accuracy, 1.0);
}

TEST(LinearProbe, RandomLabelsGiveChanceOnTheTestSet) {
  // Labels independent of the features: whatever the probe fits on the training set, the test
  // accuracy of 3 balanced classes is 1/3 +- sqrt(2/9 / 3000) = 0.0086; 0.04 is over 4 sigma.
  const int64_t D = 10;
  auto make = [&](int64_t n, uint64_t seed) {
    const std::vector<double> u = RandomUniform({n}, seed, 1, DType::kF64).ToVector<double>();
    std::vector<int32_t> y(n);
    for (int64_t i = 0; i < n; ++i) y[i] = static_cast<int32_t>(3.0 * u[i]);
    return Split{RandomNormal({n, D}, seed, 0), Tensor::FromVector(y, {n})};
  };
  const Split train = make(600, 7), test = make(3000, 8);
  ProbeOptions options;
  options.epochs = 30;
  options.lr = 0.01;
  const ProbeResult r = LinearProbe(train.features, train.labels, test.features, test.labels, 3,
                                    options);
  EXPECT_NEAR(r.test_accuracy, 1.0 / 3.0, 0.04);
  // It does fit some noise: 10 features, 600 examples, 33 parameters.
  EXPECT_GT(r.train_accuracy, 0.36);
}

TEST(LinearProbe, OnTheGpuToo) {
  if (!CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  ProbeOptions options;
  options.batch_size = 32;
  options.lr = 0.05;
  const Split train = Triangle(300, 2, 1, 1e-2, 1e2, 1e2, Device::Cuda());
  const Split test = Triangle(150, 2, 2, 1e-2, 1e2, 1e2, Device::Cuda());
  const ProbeResult r = LinearProbe(train.features, train.labels, test.features, test.labels, 3,
                                    options);
  EXPECT_EQ(r.train_accuracy, 1.0);
  EXPECT_EQ(r.test_accuracy, 1.0);
}

TEST(LinearProbe, BadArgumentsAreRejected) {
  const Split train = Triangle(30, 0, 1, 1.0, 1.0, 0.0);
  const Split test = Triangle(12, 1, 2, 1.0, 1.0, 0.0);
  ExpectErrorContaining(
      [&] { LinearProbe(train.features, train.labels, test.features, test.labels, 3); },
      {"expected test features with 3 columns", "found 4"});
  ExpectErrorContaining(
      [&] { LinearProbe(train.features, train.labels, train.features, train.labels, 2); },
      {"expected training labels in [0, 2)", "found 2 at index 2"});
  ExpectErrorContaining(
      [&] { LinearProbe(train.features, train.features, train.features, train.labels, 3); },
      {"training labels of shape (30) and dtype i32", "f32"});
  ExpectErrorContaining(
      [&] { LinearProbe(train.features, train.labels, train.features, train.labels, 1); },
      {"at least 2 classes", "found 1"});
}

}  // namespace
}  // namespace latent
