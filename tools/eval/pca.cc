#include "tools/eval/pca.h"

#include <algorithm>
#include <cmath>

#include "kernels/error.h"
#include "tools/eval/linalg.h"
#include "core/tensor.h"
#include "core/tensor_math.h"

namespace latent {
namespace {

// Rows are processed in chunks this tall: one chunk fills the optimized GEMM's depth block
// (kernels/cpu/gemm.cc), and each f32 dot product in it sums at most this many terms before the
// result joins a double accumulator.
constexpr int64_t kChunkRows = 1024;

// rows [begin, end) of x: (n, D), minus the mean, as an f32 tensor (end - begin, D).
Tensor CenteredRows(const float* x, int64_t begin, int64_t end, const std::vector<double>& mean) {
  const int64_t D = static_cast<int64_t>(mean.size());
  Tensor out = Tensor::Empty({end - begin, D});
  float* o = out.data<float>();
  for (int64_t r = begin; r < end; ++r) {
    const float* row = x + r * D;
    for (int64_t j = 0; j < D; ++j) *o++ = static_cast<float>(row[j] - mean[j]);
  }
  return out;
}

// C = (X - m)^T (X - m) / n: (D, D). The product is the f32 GEMM, one chunk of rows at a time,
// accumulated in double. Measured for MNIST's 60000 x 784 training images on one core (AVX-512):
// about 0.4 s, against 11.5 s for a double loop over the lower triangle blocked by 256 rows; the
// 30 leading eigenvalues of the two results agree to 5e-7 relative (the data are f32 to begin
// with). Centering first avoids the cancellation of E[x x^T] - m m^T on pixels whose mean dwarfs
// their spread.
std::vector<double> Covariance(const float* x, int64_t n, const std::vector<double>& mean) {
  const int64_t D = static_cast<int64_t>(mean.size());
  std::vector<double> cov(D * D, 0.0);
  for (int64_t begin = 0; begin < n; begin += kChunkRows) {
    const Tensor centered = CenteredRows(x, begin, std::min(n, begin + kChunkRows), mean);
    const Tensor part = math::Gemm(centered, /*trans_a=*/true, centered, /*trans_b=*/false);
    const float* p = part.data<float>();
    for (int64_t i = 0; i < D * D; ++i) cov[i] += p[i];
  }
  // The GEMM need not round (i, j) and (j, i) identically; the eigensolver wants exact symmetry.
  for (int64_t i = 0; i < D; ++i) {
    for (int64_t j = 0; j < i; ++j) {
      const double s = 0.5 * (cov[i * D + j] + cov[j * D + i]) / static_cast<double>(n);
      cov[i * D + j] = cov[j * D + i] = s;
    }
    cov[i * D + i] /= static_cast<double>(n);
  }
  return cov;
}

void CheckFitted(const char* what, const Pca& pca) {
  LATENT_CHECK(pca.dim >= 1 && pca.k >= 1 && pca.k <= pca.dim &&
                   static_cast<int64_t>(pca.mean.size()) == pca.dim &&
                   static_cast<int64_t>(pca.components.size()) == pca.k * pca.dim,
               what, ": expected a fitted PCA (1 <= k <= dim, mean of dim values, k x dim "
               "components), found dim = ", pca.dim, ", k = ", pca.k, ", ", pca.mean.size(),
               " mean values and ", pca.components.size(), " component values");
}

// The components as an f32 tensor (k, D), the GEMM's operand.
Tensor ComponentsF32(const Pca& pca) {
  Tensor u = Tensor::Empty({pca.k, pca.dim});
  std::copy(pca.components.begin(), pca.components.end(), u.data<float>());
  return u;
}

}  // namespace

Pca FitPca(const float* x, int64_t n, int64_t dim, int64_t k) {
  LATENT_CHECK(dim >= 1, "PCA: expected dim >= 1 features, found ", dim);
  LATENT_CHECK(k >= 1 && k <= dim, "PCA: expected 1 <= k <= dim = ", dim, " components, found k = ",
               k);
  LATENT_CHECK(n >= 2, "PCA: expected at least 2 rows to estimate a covariance, found ", n);
  LATENT_CHECK(x != nullptr, "PCA: the data pointer is null");
  Pca pca;
  pca.dim = dim;
  pca.k = k;
  pca.mean.assign(dim, 0.0);
  for (int64_t r = 0; r < n; ++r) {
    const float* row = x + r * dim;
    for (int64_t j = 0; j < dim; ++j) pca.mean[j] += row[j];
  }
  for (int64_t j = 0; j < dim; ++j) {
    LATENT_CHECK(std::isfinite(pca.mean[j]), "PCA: expected finite data, found a non-finite value "
                 "in column ", j);
    pca.mean[j] /= static_cast<double>(n);
  }
  const SymmetricEigen eigen = EigenSymmetric(Covariance(x, n, pca.mean).data(), dim);
  pca.components.assign(eigen.vectors.begin(), eigen.vectors.begin() + k * dim);
  // A covariance is positive semi-definite; eigenvalues below zero are rounding (of size
  // eps * lambda_1) and are reported as the zero variance they stand for.
  for (int64_t i = 0; i < k; ++i) pca.variances.push_back(std::max(0.0, eigen.values[i]));
  for (double lambda : eigen.values) pca.total_variance += std::max(0.0, lambda);
  return pca;
}

void PcaEncode(const Pca& pca, const float* x, int64_t n, float* codes) {
  CheckFitted("PCA encode", pca);
  LATENT_CHECK(n >= 0, "PCA encode: expected n >= 0 rows, found ", n);
  const Tensor u = ComponentsF32(pca);
  for (int64_t begin = 0; begin < n; begin += kChunkRows) {
    const int64_t end = std::min(n, begin + kChunkRows);
    // codes = (x - m) U_k^T: (rows, D) (D, k)
    const Tensor c = math::Gemm(CenteredRows(x, begin, end, pca.mean), false, u, true);
    std::copy(c.data<float>(), c.data<float>() + c.numel(), codes + begin * pca.k);
  }
}

void PcaDecode(const Pca& pca, const float* codes, int64_t n, float* x) {
  CheckFitted("PCA decode", pca);
  LATENT_CHECK(n >= 0, "PCA decode: expected n >= 0 rows, found ", n);
  const Tensor u = ComponentsF32(pca);
  const int64_t D = pca.dim;
  for (int64_t begin = 0; begin < n; begin += kChunkRows) {
    const int64_t end = std::min(n, begin + kChunkRows);
    Tensor c = Tensor::Empty({end - begin, pca.k});
    std::copy(codes + begin * pca.k, codes + end * pca.k, c.data<float>());
    // x = c U_k + m: (rows, k) (k, D)
    const Tensor y = math::Gemm(c, false, u, false);
    const float* p = y.data<float>();
    for (int64_t r = begin; r < end; ++r, p += D) {
      float* row = x + r * D;
      for (int64_t j = 0; j < D; ++j) row[j] = static_cast<float>(p[j] + pca.mean[j]);
    }
  }
}

}  // namespace latent
