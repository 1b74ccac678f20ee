#include "tools/eval/iwae.h"

#include <algorithm>

#include "tools/eval/analysis.h"

namespace latent {

std::vector<double> IwaeLogLikelihoods(
    VaeCore& vae, const Tensor& images, const Tensor& labels, int64_t k, uint64_t seed,
    int64_t chunk, const std::function<void(int64_t done, int64_t total)>& progress) {
  const int64_t n = images.size(0);
  std::vector<double> log_px;
  for (int64_t begin = 0; begin < n; begin += kIwaeGroup) {
    const int64_t end = std::min(n, begin + kIwaeGroup);
    const std::vector<double> group =
        vae.ImportanceWeightedLogLikelihood(images.Rows(begin, end), labels.Rows(begin, end), k,
                                            seed + static_cast<uint64_t>(begin), chunk);
    log_px.insert(log_px.end(), group.begin(), group.end());
    if (progress) progress(end, n);
  }
  return log_px;
}

IwaeResult MeasureIwae(VaeCore& vae, const Dataset& scored, int64_t k, int64_t limit, int64_t chunk,
                       uint64_t seed,
                       const std::function<void(int64_t done, int64_t total)>& progress) {
  IwaeResult result;
  result.k = k;
  result.images = limit > 0 ? std::min(limit, scored.size()) : scored.size();
  result.nll =
      -Mean(IwaeLogLikelihoods(vae, scored.images.Rows(0, result.images),
                               scored.labels.Rows(0, result.images), k, seed, chunk, progress));
  return result;
}

}  // namespace latent
