// Paths and grids through a latent space, for pictures of what a decoder has learned: a walk from
// one code to another (linear or along a great circle), and the n x n grid of 2-D codes that Kingma
// & Welling (2014, Fig. 4) decode to show a learned manifold. Codes only; decoding them is the
// model's business (Model::Decode).
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace latent {

// `steps` >= 2 codes from a to b inclusive, as (steps, D); a and b hold D values each ((D) or
// (1, D), same dtype and device; the result has both). Code s sits at t = s / (steps - 1):
//   linear:     (1 - t) a + t b
//   spherical:  sin((1 - t) theta) / sin(theta) a + sin(t theta) / sin(theta) b    (slerp;
//               Shoemake 1985, used on latent codes by White 2016), theta the angle between a, b.
// Slerp keeps the norm of equal-norm endpoints, which matters under a Gaussian prior: its mass
// sits near the sphere of radius sqrt(D), and the midpoint of a straight line between two typical
// codes falls well inside it, where the decoder has seen few codes. For nearly parallel a and b
// (or a zero endpoint) slerp is linear interpolation in the limit theta -> 0, and dividing by
// sin(theta) ~ 0 would only amplify rounding, so it falls back to the linear formula; nearly
// opposite a and b (theta ~ pi) have no unique great circle and throw latent::Error. The first and
// last rows are a and b exactly.
Tensor InterpolateCodes(const Tensor& a, const Tensor& b, int64_t steps, bool spherical);

// Phi^-1(p): the x with P(X <= x) = p for X ~ N(0, 1), to about 1e-15 relative for p in
// [2.2e-308, 1) (denormal p, which carry few significant bits themselves, get an answer of like
// precision). Throws latent::Error unless 0 < p < 1 (Phi^-1(0) and Phi^-1(1) are infinite).
double NormalQuantile(double p);

// The n x n grid of 2-D codes z = (Phi^-1(u), Phi^-1(v)) with u, v on the midpoints (i + 0.5) / n
// of n equal cells of (0, 1): equal prior mass per cell. Shape (n * n, 2), row-major as a picture
// is: code r * n + c is grid row r (row 0 at the top) and column c (column 0 at the left), with
// z1 = Phi^-1((c + 0.5) / n) growing to the right and z2 = Phi^-1((n - r - 0.5) / n) growing
// upwards, the orientation of a plot's axes. The grid is exactly symmetric about 0.
Tensor ManifoldGridCodes(int64_t n, DType dtype = DType::kF32, Device device = Device::Cpu());

}  // namespace latent
