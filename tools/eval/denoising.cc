#include "tools/eval/denoising.h"

#include <algorithm>

#include "tools/eval/analysis.h"
#include "tools/eval/metrics.h"

namespace latent {

std::vector<DenoisingResult> MeasureDenoising(Model& model, const Dataset& test,
                                              const NoiseLevels& levels, uint64_t seed,
                                              int64_t batch_size, int64_t examples) {
  const struct {
    const char* name;
    kernels::Corruption kind;
    double level;
  } noises[] = {{"gaussian", kernels::Corruption::kGaussian, levels.gaussian},
                {"masking", kernels::Corruption::kMask, levels.masking},
                {"salt-and-pepper", kernels::Corruption::kSaltPepper, levels.salt_and_pepper}};
  const std::vector<float> clean = test.images.ToVector<float>();
  const int64_t n = static_cast<int64_t>(clean.size()), shown = std::min(examples, test.size());
  std::vector<DenoisingResult> results;
  for (const auto& noise : noises) {
    const Tensor noisy = CorruptAll(test, noise.kind, noise.level, seed);
    const Tensor output = ReconstructAll(model, noisy, test.labels, batch_size);
    DenoisingResult r;
    r.noise = noise.name;
    r.level = noise.level;
    r.psnr_noisy = Psnr(clean.data(), noisy.ToVector<float>().data(), n);
    r.psnr_output = Psnr(clean.data(), output.ToVector<float>().data(), n);
    r.noisy_examples = noisy.Rows(0, shown);
    r.output_examples = output.Rows(0, shown);
    results.push_back(r);
  }
  return results;
}

}  // namespace latent
