// Evaluation metrics on the host: the ROC curve and its area (one-class anomaly detection) and the
// peak signal-to-noise ratio (denoising).
#pragma once

#include <cstdint>
#include <vector>

namespace latent {

// AUROC: the probability that a random positive scores higher than a random negative, ties
// counting 1/2; the Mann-Whitney U statistic divided by (positives x negatives):
//   AUROC = (R+ - P (P + 1) / 2) / (P N),
// R+ = the sum of the positives' ranks among all scores (ties get their mean rank). O(n log n).
// scores and positive have one entry per example; there must be at least one positive and one
// negative, and no NaN score (latent::Error otherwise).
double Auroc(const std::vector<double>& scores, const std::vector<bool>& positive);

struct RocPoint {
  double false_positive_rate = 0.0;  // negatives scoring >= the threshold / N
  double true_positive_rate = 0.0;   // positives scoring >= the threshold / P
};

// The ROC curve, thresholds swept from +inf down through each distinct score: starts at (0, 0),
// ends at (1, 1), non-decreasing in both rates. A group of tied scores crosses the threshold at
// once, so it is one (diagonal) step; the trapezoidal area under the curve is then exactly
// Auroc's value. Same arguments and errors as Auroc.
std::vector<RocPoint> RocCurve(const std::vector<double>& scores,
                               const std::vector<bool>& positive);

// PSNR in dB of `image` against `reference`, n values each (e.g. every pixel of a test set):
//   10 log10(peak^2 / MSE),  MSE = sum_i (reference_i - image_i)^2 / n.
// Identical inputs (MSE = 0) give +infinity, the limit of the formula. n >= 1, peak > 0.
double Psnr(const float* reference, const float* image, int64_t n, double peak = 1.0);

}  // namespace latent
