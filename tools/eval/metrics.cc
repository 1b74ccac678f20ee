#include "tools/eval/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "kernels/error.h"

namespace latent {
namespace {

// The examples sharing one score value.
struct TieGroup {
  int64_t positives = 0, negatives = 0;
};

// The tie groups from the highest score down, after checking the arguments (`what` names the
// caller in messages).
std::vector<TieGroup> GroupsFromHighest(const char* what, const std::vector<double>& scores,
                                        const std::vector<bool>& positive) {
  LATENT_CHECK(scores.size() == positive.size(), what, ": expected one label per score (",
               scores.size(), " scores), found ", positive.size(), " labels");
  int64_t positives = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    // NaN compares false with everything: it would make the sort's order meaningless.
    LATENT_CHECK(!std::isnan(scores[i]), what, ": expected scores that can be ordered, found NaN "
                 "at index ", i);
    positives += positive[i] ? 1 : 0;
  }
  const int64_t negatives = static_cast<int64_t>(scores.size()) - positives;
  LATENT_CHECK(positives > 0 && negatives > 0, what, ": expected at least one positive and one "
               "negative example, found ", positives, " positives and ", negatives, " negatives");
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  std::vector<TieGroup> groups;
  for (size_t i = 0; i < order.size(); ++i) {
    if (i == 0 || scores[order[i]] != scores[order[i - 1]]) groups.emplace_back();
    (positive[order[i]] ? groups.back().positives : groups.back().negatives) += 1;
  }
  return groups;
}

}  // namespace

double Auroc(const std::vector<double>& scores, const std::vector<bool>& positive) {
  const std::vector<TieGroup> groups = GroupsFromHighest("AUROC", scores, positive);
  int64_t positives = 0, negatives = 0;
  for (const TieGroup& g : groups) {
    positives += g.positives;
    negatives += g.negatives;
  }
  // Twice the Mann-Whitney U, in integers (exact up to 2^63): each positive beats the negatives
  // below its group (2 halves each) and ties with those in it (1 half each).
  int64_t twice_u = 0;
  int64_t negatives_below = negatives;
  for (const TieGroup& g : groups) {
    negatives_below -= g.negatives;
    twice_u += g.positives * (2 * negatives_below + g.negatives);
  }
  return static_cast<double>(twice_u) /
         (2.0 * static_cast<double>(positives) * static_cast<double>(negatives));
}

std::vector<RocPoint> RocCurve(const std::vector<double>& scores,
                               const std::vector<bool>& positive) {
  const std::vector<TieGroup> groups = GroupsFromHighest("ROC curve", scores, positive);
  int64_t positives = 0, negatives = 0;
  for (const TieGroup& g : groups) {
    positives += g.positives;
    negatives += g.negatives;
  }
  std::vector<RocPoint> curve = {{0.0, 0.0}};
  int64_t tp = 0, fp = 0;
  for (const TieGroup& g : groups) {
    tp += g.positives;
    fp += g.negatives;
    // Divided from integer counts, so the last point is exactly (1, 1).
    curve.push_back({static_cast<double>(fp) / static_cast<double>(negatives),
                     static_cast<double>(tp) / static_cast<double>(positives)});
  }
  return curve;
}

double Psnr(const float* reference, const float* image, int64_t n, double peak) {
  LATENT_CHECK(n >= 1, "PSNR: expected at least one value, found n = ", n);
  LATENT_CHECK(peak > 0.0, "PSNR: expected a positive peak value, found ", peak);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double diff = static_cast<double>(reference[i]) - static_cast<double>(image[i]);
    sum += diff * diff;
  }
  if (sum == 0.0) return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(peak * peak / (sum / static_cast<double>(n)));
}

}  // namespace latent
