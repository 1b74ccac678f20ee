#include "tools/eval/pca_baseline.h"

#include <vector>

#include "tools/eval/analysis.h"
#include "tools/eval/pca.h"

namespace latent {

PcaBaseline MeasurePcaBaseline(const Dataset& train, const Dataset& test, int64_t k) {
  const int64_t d = train.features();
  const std::vector<float> x_train = train.images.ToVector<float>();
  const std::vector<float> x_test = test.images.ToVector<float>();
  const Pca pca = FitPca(x_train.data(), train.size(), d, k);
  std::vector<float> codes_train(train.size() * k), codes_test(test.size() * k);
  std::vector<float> recon(test.size() * d);
  PcaEncode(pca, x_train.data(), train.size(), codes_train.data());
  PcaEncode(pca, x_test.data(), test.size(), codes_test.data());
  PcaDecode(pca, codes_test.data(), test.size(), recon.data());
  const Device device = train.images.device();
  PcaBaseline result;
  result.components = k;
  result.squared_error = Mean(RowSquaredErrors(Tensor::FromVector(recon, {test.size(), d}),
                                               Tensor::FromVector(x_test, {test.size(), d})));
  result.train_codes = Tensor::FromVector(codes_train, {train.size(), k}).To(device);
  result.test_codes = Tensor::FromVector(codes_test, {test.size(), k}).To(device);
  return result;
}

}  // namespace latent
