#include "tools/eval/linalg.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "kernels/error.h"

namespace latent {
namespace {

constexpr double kEps = std::numeric_limits<double>::epsilon();

// The tridiagonal T = Q^T A Q, and Q^T, produced by stage 1.
struct Tridiagonal {
  std::vector<double> d;   // (n) diagonal
  std::vector<double> e;   // (n) e[i] = T[i][i+1] = T[i+1][i]; e[n-1] = 0
  std::vector<double> qt;  // (n, n) Q^T, row-major
};

// Stage 1: Householder reduction. Step k reflects column k below the diagonal onto a multiple of
// e_1 with H_k = I - beta v v^T (v lives on indices k+1..n-1), and applies H_k to both sides of
// the trailing block B = A[k+1.., k+1..] as a symmetric rank-2 update:
//   p = beta B v,  w = p - (beta/2)(v^T p) v,  B <- B - v w^T - w v^T.
// `a` is overwritten: its trailing blocks are updated in full (rows stay contiguous, so every
// loop runs along a row), and row k keeps the k-th reflector after step k.
Tridiagonal Tridiagonalize(std::vector<double>& a, int64_t n) {
  Tridiagonal t;
  t.d.assign(n, 0.0);
  t.e.assign(n, 0.0);
  std::vector<double> beta(n, 0.0), p(n);
  auto A = [&](int64_t i, int64_t j) -> double& { return a[i * n + j]; };
  for (int64_t k = 0; k + 2 < n; ++k) {
    t.d[k] = A(k, k);
    double* v = &A(k, k + 1);  // x = A[k+1.., k] (= row k by symmetry) becomes v in place
    const int64_t m = n - k - 1;
    double scale = 0.0;
    for (int64_t i = 0; i < m; ++i) scale = std::max(scale, std::abs(v[i]));
    if (scale == 0.0) continue;  // already reduced: H_k = I (beta 0), e[k] = 0
    double sum = 0.0;
    for (int64_t i = 0; i < m; ++i) sum += (v[i] / scale) * (v[i] / scale);
    const double norm = scale * std::sqrt(sum);
    // alpha takes the sign opposite to x_0 so that v_0 = x_0 - alpha adds two numbers of one
    // sign: no cancellation, whatever x is.
    const double alpha = v[0] >= 0.0 ? -norm : norm;
    t.e[k] = alpha;
    v[0] -= alpha;
    beta[k] = 1.0 / (norm * std::abs(v[0]));  // 2 / v^T v, since v^T v = 2 norm (norm + |x_0|)
    double vtp = 0.0;
    for (int64_t i = 0; i < m; ++i) {
      const double* row = &A(k + 1 + i, k + 1);
      double s = 0.0;
      for (int64_t j = 0; j < m; ++j) s += row[j] * v[j];
      p[i] = beta[k] * s;
      vtp += v[i] * p[i];
    }
    const double half = 0.5 * beta[k] * vtp;
    for (int64_t i = 0; i < m; ++i) p[i] -= half * v[i];  // p is w from here on
    for (int64_t i = 0; i < m; ++i) {
      double* row = &A(k + 1 + i, k + 1);
      const double vi = v[i], wi = p[i];
      for (int64_t j = 0; j < m; ++j) row[j] -= vi * p[j] + wi * v[j];
    }
  }
  if (n >= 2) {
    t.d[n - 2] = A(n - 2, n - 2);
    t.e[n - 2] = A(n - 1, n - 2);
  }
  t.d[n - 1] = A(n - 1, n - 1);

  // Q^T = H_{n-3} ... H_1 H_0, accumulated from the right starting with the last reflector:
  // when H_k is applied, Q^T differs from I only in rows and columns k+2.., so only rows and
  // columns k+1.. change (4/3 n^3 flops instead of 2 n^3).
  t.qt.assign(n * n, 0.0);
  for (int64_t i = 0; i < n; ++i) t.qt[i * n + i] = 1.0;
  for (int64_t k = n - 3; k >= 0; --k) {
    if (beta[k] == 0.0) continue;
    const double* v = &A(k, k + 1);
    const int64_t m = n - k - 1;
    for (int64_t i = k + 1; i < n; ++i) {
      double* row = &t.qt[i * n + k + 1];
      double s = 0.0;
      for (int64_t j = 0; j < m; ++j) s += row[j] * v[j];
      s *= beta[k];
      for (int64_t j = 0; j < m; ++j) row[j] -= s * v[j];
    }
  }
  return t;
}

// |e[i]| small enough, relative to its two diagonal neighbours, to split T there.
bool Negligible(const std::vector<double>& d, const std::vector<double>& e, int64_t i) {
  return std::abs(e[i]) <= kEps * (std::abs(d[i]) + std::abs(d[i + 1])) +
                               std::numeric_limits<double>::min();
}

// Stage 2: implicit symmetric QR on T, deflating from the bottom. Each step works on the
// unreduced block [l, m], shifts by mu (Wilkinson: the eigenvalue of T's trailing 2x2 nearer to
// d[m]) and applies rotations R_k in the plane (k, k+1), T <- R_k T R_k^T with
//   R_k = [c s; -s c]  on rows k, k+1   (c = x / r, s = z / r, r = hypot(x, z)),
// where (x, z) is the first column of T - mu I for k = l, and afterwards the pair (e[k-1], bulge)
// the rotation must annihilate. As A = (Q^T)^T T Q^T, each R_k also multiplies Q^T from the left.
void ImplicitQr(Tridiagonal& t, int64_t n) {
  std::vector<double>& d = t.d;
  std::vector<double>& e = t.e;
  const int64_t max_steps = 30 * n;
  int64_t steps = 0;
  for (int64_t m = n - 1; m > 0;) {
    if (Negligible(d, e, m - 1)) {
      e[m - 1] = 0.0;
      --m;
      continue;
    }
    int64_t l = m - 1;
    while (l > 0 && !Negligible(d, e, l - 1)) --l;
    if (l > 0) e[l - 1] = 0.0;
    LATENT_CHECK(++steps <= max_steps, "symmetric eigendecomposition: no convergence after ",
                 max_steps, " QR steps (n = ", n, "); the matrix may contain huge or tiny values");

    const double delta = 0.5 * (d[m - 1] - d[m]);
    const double em = e[m - 1];
    const double mu = d[m] - em * (em / (delta + std::copysign(std::hypot(delta, em), delta)));
    double x = d[l] - mu, z = e[l];
    for (int64_t k = l; k < m; ++k) {
      const double r = std::hypot(x, z);
      const double c = r == 0.0 ? 1.0 : x / r;
      const double s = r == 0.0 ? 0.0 : z / r;
      if (k > l) e[k - 1] = r;  // the bulge at (k-1, k+1) is now zero
      const double a = d[k], b = d[k + 1], f = e[k];
      d[k] = c * c * a + 2.0 * c * s * f + s * s * b;
      d[k + 1] = s * s * a - 2.0 * c * s * f + c * c * b;
      e[k] = c * s * (b - a) + (c * c - s * s) * f;
      if (k + 1 < m) {
        z = s * e[k + 1];  // the new bulge at (k, k+2)
        e[k + 1] *= c;
        x = e[k];
      }
      double* row0 = &t.qt[k * n];
      double* row1 = &t.qt[(k + 1) * n];
      for (int64_t j = 0; j < n; ++j) {
        const double u = row0[j], w = row1[j];
        row0[j] = c * u + s * w;
        row1[j] = c * w - s * u;
      }
    }
  }
}

}  // namespace

SymmetricEigen EigenSymmetric(const double* a, int64_t n) {
  LATENT_CHECK(n >= 1, "symmetric eigendecomposition: expected a matrix of size n >= 1, found n = ",
               n);
  double largest = 0.0;
  for (int64_t i = 0; i < n * n; ++i) {
    LATENT_CHECK(std::isfinite(a[i]), "symmetric eigendecomposition: expected finite entries, "
                 "found ", a[i], " at (", i / n, ", ", i % n, ")");
    largest = std::max(largest, std::abs(a[i]));
  }
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < i; ++j) {
      LATENT_CHECK(std::abs(a[i * n + j] - a[j * n + i]) <= 1e-10 * largest,
                   "symmetric eigendecomposition: expected a symmetric matrix, found A(", i, ", ",
                   j, ") = ", a[i * n + j], " but A(", j, ", ", i, ") = ", a[j * n + i]);
    }
  }
  SymmetricEigen out;
  out.n = n;
  // Working on A / largest keeps every intermediate (squares in norms, e^2 in the shift) far from
  // overflow and underflow whatever the matrix's scale; eigenvalues scale back exactly.
  const double scale = largest > 0.0 ? largest : 1.0;
  std::vector<double> work(n * n);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j <= i; ++j) work[i * n + j] = work[j * n + i] = a[i * n + j] / scale;
  }
  Tridiagonal t = Tridiagonalize(work, n);
  ImplicitQr(t, n);

  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t i, int64_t j) { return t.d[i] > t.d[j]; });
  out.values.resize(n);
  out.vectors.resize(n * n);
  for (int64_t r = 0; r < n; ++r) {
    out.values[r] = t.d[order[r]] * scale;
    const double* src = &t.qt[order[r] * n];
    int64_t biggest = 0;
    for (int64_t j = 1; j < n; ++j) {
      if (std::abs(src[j]) > std::abs(src[biggest])) biggest = j;
    }
    const double sign = src[biggest] < 0.0 ? -1.0 : 1.0;
    for (int64_t j = 0; j < n; ++j) out.vectors[r * n + j] = sign * src[j];
  }
  return out;
}

}  // namespace latent
