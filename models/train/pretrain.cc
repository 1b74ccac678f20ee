#include "models/train/pretrain.h"

#include <cmath>

#include "core/optim.h"
#include "core/tensor_math.h"
#include "kernels/error.h"

namespace latent {

void Pretrain(Model& model, const Dataset& train, const TrainOptions& options,
              const std::function<void(const PretrainEpoch&)>& on_epoch) {
  const int epochs = model.pretrain_epochs();
  for (int stage = 0; stage < model.pretrain_stages() && epochs > 0; ++stage) {
    Adam adam(model.params(), options.lr);
    for (int epoch = 1; epoch <= epochs; ++epoch) {
      const uint64_t order = (static_cast<uint64_t>(stage) << 24) | static_cast<uint64_t>(epoch);
      BatchSampler batches(train, options.batch_size, /*shuffle=*/true, options.seed, order,
                           Stream::kPretrain);
      Tensor total;  // summed on the device; read once per epoch
      for (int64_t b = 0; b < batches.num_batches(); ++b) {
        const LossOutput out = model.PretrainLoss(stage, batches.Images(b));
        if (total.defined()) {
          math::AddInPlace(total, out.loss);
        } else {
          total = out.loss.Clone();
        }
        adam.ZeroGrad();
        out.loss.Backward();
        adam.Step();
      }
      const double loss = total.item() / static_cast<double>(train.size());
      LATENT_CHECK(std::isfinite(loss), "pre-training diverged: the mean loss of stage ", stage,
                   ", epoch ", epoch, " is ", loss, "; try a smaller --lr");
      on_epoch({stage, epoch, loss});
    }
  }
}

}  // namespace latent
