// Latent-space walks (tools/eval/latent_walk.h): interpolation between codes, the inverse normal CDF,
// and the manifold grid, against closed forms and reference values.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "tools/eval/latent_walk.h"
#include "tests/test_util.h"

namespace latent {
namespace {

using latent::testing::ExpectErrorContaining;

Tensor Code(const std::vector<double>& v) {
  return Tensor::FromVector<double>(v, {static_cast<int64_t>(v.size())});
}

std::vector<double> Row(const std::vector<double>& m, int64_t r, int64_t D) {
  return std::vector<double>(m.begin() + r * D, m.begin() + (r + 1) * D);
}

double Norm(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x * x;
  return std::sqrt(s);
}

double Phi(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

TEST(LatentWalk, EndpointsAreExactAndTheLinearMidpointIsTheMean) {
  const std::vector<double> a = {0.3, -1.7, 2.25}, b = {-0.9, 0.4, 1.1};
  for (bool spherical : {false, true}) {
    const Tensor path = InterpolateCodes(Code(a), Code(b), 5, spherical);
    ASSERT_EQ(path.shape(), Shape({5, 3}));
    const std::vector<double> v = path.ToVector<double>();
    EXPECT_EQ(Row(v, 0, 3), a) << "spherical " << spherical;
    EXPECT_EQ(Row(v, 4, 3), b) << "spherical " << spherical;
  }
  const std::vector<double> v = InterpolateCodes(Code(a), Code(b), 5, false).ToVector<double>();
  for (int d = 0; d < 3; ++d) {
    EXPECT_NEAR(v[2 * 3 + d], 0.5 * (a[d] + b[d]), 1e-15);
    EXPECT_NEAR(v[1 * 3 + d], 0.75 * a[d] + 0.25 * b[d], 1e-15);
  }
}

TEST(LatentWalk, SlerpKeepsTheNormOfEqualNormEndpoints) {
  // |a| = |b| = 5 at an angle of about 106 degrees; linear interpolation dips to |a + b| / 2.
  const std::vector<double> a = {3, 4, 0}, b = {0, -3, 4};
  const std::vector<double> s = InterpolateCodes(Code(a), Code(b), 9, true).ToVector<double>();
  const std::vector<double> l = InterpolateCodes(Code(a), Code(b), 9, false).ToVector<double>();
  for (int64_t r = 0; r < 9; ++r) EXPECT_NEAR(Norm(Row(s, r, 3)), 5.0, 1e-13) << "row " << r;
  EXPECT_NEAR(Norm(Row(l, 4, 3)), Norm({1.5, 0.5, 2.0}), 1e-13);  // shows the two differ
}

TEST(LatentWalk, SlerpOfOrthogonalUnitVectorsHalfWayIsTheirNormalizedSum) {
  const std::vector<double> a = {1, 0, 0, 0}, b = {0, 0, 1, 0};
  const std::vector<double> v = InterpolateCodes(Code(a), Code(b), 3, true).ToVector<double>();
  const double h = 1.0 / std::sqrt(2.0);  // (a + b) / sqrt 2
  const std::vector<double> expected = {h, 0, h, 0};
  for (int d = 0; d < 4; ++d) EXPECT_NEAR(v[4 + d], expected[d], 1e-15);
  // A third of the way: the point at 30 degrees from a towards b.
  const std::vector<double> w = InterpolateCodes(Code(a), Code(b), 4, true).ToVector<double>();
  EXPECT_NEAR(w[4 + 0], std::sqrt(3.0) / 2.0, 1e-15);
  EXPECT_NEAR(w[4 + 2], 0.5, 1e-15);
}

TEST(LatentWalk, SlerpOfParallelCodesIsLinear) {
  // Same direction, different norms: every great-circle weight degenerates to the line.
  const std::vector<double> a = {1, 2, -2}, b = {2.5, 5, -5};
  const std::vector<double> s = InterpolateCodes(Code(a), Code(b), 6, true).ToVector<double>();
  const std::vector<double> l = InterpolateCodes(Code(a), Code(b), 6, false).ToVector<double>();
  ASSERT_EQ(s.size(), l.size());
  for (size_t i = 0; i < s.size(); ++i) EXPECT_DOUBLE_EQ(s[i], l[i]) << "element " << i;
  // A zero endpoint has no direction: linear too (towards the origin along b's ray).
  const std::vector<double> z = InterpolateCodes(Code({0, 0, 0}), Code(b), 3, true)
                                    .ToVector<double>();
  EXPECT_NEAR(z[3], 1.25, 1e-15);
}

TEST(LatentWalk, KeepsDTypeAndRejectsBadArguments) {
  const Tensor a = Tensor::FromVector<float>({1, 0}, {1, 2});
  const Tensor b = Tensor::FromVector<float>({0, 1}, {1, 2});
  const Tensor path = InterpolateCodes(a, b, 4, true);
  EXPECT_EQ(path.dtype(), DType::kF32);
  EXPECT_EQ(path.shape(), Shape({4, 2}));
  ExpectErrorContaining([&] { InterpolateCodes(a, b, 1, false); }, {"steps >= 2", "1"});
  ExpectErrorContaining([&] { InterpolateCodes(Code({1, 0}), Code({-1, 0}), 3, true); },
                        {"opposite"});
  ExpectErrorContaining([&] { InterpolateCodes(Code({1, 0}), Code({1, 0, 0}), 3, false); },
                        {"same size"});
  ExpectErrorContaining(
      [&] { InterpolateCodes(Tensor::Zeros({2, 2}, DType::kF64), Code({1, 0}), 3, false); },
      {"(D) or (1, D)", "(2, 2)"});
}

// Reference quantiles computed with 60-digit arithmetic (bisection on the exact normal CDF of
// the double nearest each p).
TEST(NormalQuantile, MatchesReferenceValues) {
  struct Case {
    double p, x;
  };
  const Case cases[] = {{0.975, 1.9599639845400538556},   {1e-10, -6.3613409024040561991},
                        {1e-300, -37.047096299361199237}, {0.3, -0.52440051270804081597},
                        {0.5000001, 2.5066282733116483012e-7},
                        {0.001, -3.0902323061678135354},  {0.999, 3.0902323061678132778},
                        {0.25, -0.6744897501960817432},   {1 - 1e-10, 6.3613408896974218642},
                        {0.49999999999999994, -1.3914582123358834611e-16},
                        {2.2250738585072014e-308, -37.519379347144499821}};
  for (const Case& c : cases) {
    // Relative: a few ulps of x, in the tails and for tiny x near the centre alike.
    EXPECT_NEAR(NormalQuantile(c.p), c.x, 1e-15 * std::abs(c.x)) << "p = " << c.p;
  }
  EXPECT_EQ(NormalQuantile(0.5), 0.0);
  EXPECT_NEAR(NormalQuantile(0.975), 1.959963984540054, 1e-15);
}

TEST(NormalQuantile, IsOddAboutOneHalfAndInvertsTheCdf) {
  for (double p = 1e-10; p < 0.5; p *= 1.7) {
    // 1 - p is exact only when it needs no more bits than a double has; p = 1 - (1 - p) is the
    // exactly mirrored pair.
    const double mirror = 1.0 - p, back = 1.0 - mirror;
    EXPECT_EQ(NormalQuantile(mirror), -NormalQuantile(back)) << "p = " << p;
    // Relative to the smaller tail, which is the one a double resolves: Phi(-x) = 1 - u.
    EXPECT_NEAR(Phi(NormalQuantile(back)), back, 1e-12 * back) << "p = " << back;
    EXPECT_NEAR(Phi(-NormalQuantile(mirror)), back, 1e-12 * back) << "p = " << mirror;
  }
  // Deep in the lower tail the round trip still holds to 1e-12 relative.
  for (double p = 1e-300; p < 1e-10; p *= 1e7) {
    EXPECT_NEAR(Phi(NormalQuantile(p)), p, 1e-12 * p) << "p = " << p;
  }
  // Monotone across the whole range, denormal p included.
  double previous = -std::numeric_limits<double>::infinity();
  for (double p : {4.9e-324, 1e-310, 1e-300, 1e-100, 1e-10, 0.1, 0.5, 0.9, 1 - 1e-10}) {
    const double x = NormalQuantile(p);
    EXPECT_TRUE(std::isfinite(x)) << "p = " << p;
    EXPECT_GT(x, previous) << "p = " << p;
    previous = x;
  }
}

TEST(NormalQuantile, RejectsProbabilitiesOutsideTheOpenInterval) {
  for (double p : {0.0, 1.0, -0.1, 1.5, std::numeric_limits<double>::quiet_NaN()}) {
    ExpectErrorContaining([&] { NormalQuantile(p); }, {"expected p in (0, 1)"});
  }
}

TEST(ManifoldGrid, ShapeOrientationSymmetryAndCellMidpoints) {
  for (int64_t n : {1, 4, 7}) {
    const Tensor grid = ManifoldGridCodes(n, DType::kF64);
    ASSERT_EQ(grid.shape(), Shape({n * n, 2}));
    const std::vector<double> g = grid.ToVector<double>();
    auto z1 = [&](int64_t r, int64_t c) { return g[2 * (r * n + c)]; };
    auto z2 = [&](int64_t r, int64_t c) { return g[2 * (r * n + c) + 1]; };
    for (int64_t r = 0; r < n; ++r) {
      for (int64_t c = 0; c < n; ++c) {
        EXPECT_EQ(z1(r, c), z1(0, c));  // columns share z1, rows share z2
        EXPECT_EQ(z2(r, c), z2(r, 0));
        EXPECT_EQ(z1(r, c), -z1(r, n - 1 - c));  // symmetric about 0, exactly
        EXPECT_EQ(z2(r, c), -z2(n - 1 - r, c));
        EXPECT_NEAR(Phi(z1(r, c)), (c + 0.5) / n, 1e-14);  // the cells' midpoints
        EXPECT_NEAR(Phi(z2(r, c)), (n - r - 0.5) / n, 1e-14);
        if (c > 0) {
          EXPECT_GT(z1(r, c), z1(r, c - 1));  // growing to the right
        }
        if (r > 0) {
          EXPECT_LT(z2(r, c), z2(r - 1, c));  // growing upwards: row 0 on top
        }
      }
    }
  }
  // n = 1: the single cell is the origin; n = 2: (+-Phi^-1(3/4), +-Phi^-1(3/4)).
  EXPECT_EQ(ManifoldGridCodes(1, DType::kF64).ToVector<double>(), (std::vector<double>{0, 0}));
  const std::vector<double> g2 = ManifoldGridCodes(2, DType::kF64).ToVector<double>();
  const double q = 0.6744897501960817432;
  const std::vector<double> expected = {-q, q, q, q, -q, -q, q, -q};
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(g2[i], expected[i], 1e-15) << "element " << i;
  EXPECT_EQ(ManifoldGridCodes(3).dtype(), DType::kF32);
  ExpectErrorContaining([] { ManifoldGridCodes(0); }, {"n >= 1", "0"});
}

}  // namespace
}  // namespace latent
