// PCA (tools/eval/pca.h) against closed-form answers: points on a line or a plane give its directions
// and variances, the reconstruction error is n times the discarded variance, codes are
// uncorrelated, the chunked covariance matches a double loop, a slice of MNIST at full dimension,
// and errors that say what was expected.
#include "tools/eval/pca.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/io/dataset.h"
#include "core/device.h"
#include "tools/eval/linalg.h"
#include "tests/test_util.h"

namespace latent {
namespace {

using testing::ExpectErrorContaining;
using testing::Normals;

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
  // Nothing is left for a second component but the rounding of the f32 covariance, bounded here
  // as it is formed (tools/eval/pca.cc). Each centered value c is rounded to f32 once (relative
  // error at most eps = 2^-24), and each C_ij = sum_r c_ri c_rj / n is an f32 dot product of the
  // n = 11 rows, whose error is at most gamma_n sum_r |c_ri c_rj|, gamma_n = n eps / (1 - n eps),
  // in any summation order, with or without FMA (Higham, Accuracy and Stability of Numerical
  // Algorithms, 3.1); together at most gamma_{n+2} sum_r |c_ri c_rj|. By Cauchy-Schwarz
  // sum_r |c_ri c_rj| / n <= sqrt(C_ii C_jj), so the error E of the matrix has
  // ||E||_2 <= ||E||_F <= gamma_{n+2} trace(C), and by Weyl's inequality no eigenvalue moves
  // further. (The double-precision steps, and lambda_2 of the f32-rounded points themselves,
  // about (eps |x|)^2 = 1e-13, are far below it.) Which value within the bound comes out depends
  // on the GEMM's summation order and FMA contraction: measured 0 with -march=native and
  // 3.9e-7 without (LATENT_NATIVE=OFF), against a bound of 7.8e-6 = 7.8e-7 lambda_1.
  const double eps = std::ldexp(1.0, -24);
  const double gamma = 13 * eps / (1 - 13 * eps);  // gamma_{n+2}, n = 11
  EXPECT_NEAR(pca.variances[1], 0.0, gamma * pca.total_variance);
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

}  // namespace
}  // namespace latent
