// The interface every autoencoder implements, on top of core/.
//
// Loss() returns the training objective summed over the batch (the convention of the PyTorch
// MNIST VAE example: BCE summed over pixels and images, plus the summed KL) together with its
// named parts, so reports can split an ELBO into reconstruction and KL.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/parameters.h"
#include "core/tensor.h"
#include "models/hyper_params.h"

namespace latent {

// Where in training a loss evaluation happens: it selects the Philox noise stream, so a given
// seed and step always draw the same noise on any device.
struct StepContext {
  uint64_t seed = 0;
  uint64_t step = 0;
  bool training = true;
};

struct LossOutput {
  Tensor loss;                                        // scalar: the objective, summed over rows
  std::vector<std::pair<std::string, Tensor>> parts;  // scalars, each summed over rows
};

// What a model is built for: the input size and the number of label classes of its data.
struct ModelShape {
  int64_t height = 28, width = 28;
  int num_classes = 10;
  int64_t features() const { return height * width; }
};

class Model {
 public:
  virtual ~Model() = default;
  Parameters& params() { return params_; }

  // x: (B, H*W) grey levels in [0, 1]; labels: i32 (B) (only conditional models read them).
  virtual LossOutput Loss(const Tensor& x, const Tensor& labels, const StepContext& ctx) = 0;
  // The code of x: (B, code size). For VAEs the posterior mean mu (deterministic).
  virtual Tensor Encode(const Tensor& x, const Tensor& labels) = 0;
  // Pixel values in [0, 1] (B, H*W) decoded from codes z.
  virtual Tensor Decode(const Tensor& z, const Tensor& labels) = 0;
  // Reconstructions of x in [0, 1]: Decode(Encode(x)) unless a model needs otherwise.
  virtual Tensor Reconstruct(const Tensor& x, const Tensor& labels) {
    return Decode(Encode(x, labels), labels);
  }
  // n images decoded from the prior, in [0, 1]; conditional models take labels (n). Models
  // without a prior throw latent::Error explaining why (an autoencoder's code space has no
  // distribution to draw from).
  virtual Tensor Sample(int64_t n, uint64_t seed, const Tensor& labels);
  virtual int64_t code_size() const = 0;

  // Greedy layer-wise pre-training (models/train/pretrain.h), for models that have it (deep-ae):
  // how many stages, how many epochs each (0: none), and the loss of stage s on images x. Stage s
  // trains only its own parameters, on what the stages before it learned; its loss records no
  // graph through the others, so their gradients stay zero.
  virtual int pretrain_stages() const { return 0; }
  virtual int pretrain_epochs() const { return 0; }
  virtual LossOutput PretrainLoss(int stage, const Tensor& x);

 protected:
  Parameters params_;
};

// One entry of the model registry: `latent train --model NAME`.
struct ModelInfo {
  std::string name;
  std::string description;
  // The model's hyperparameters with their defaults, which `latent train` accepts as flags and
  // config.json records.
  std::vector<HyperParamSpec> hyperparams;
  // Reads the family's typed configuration (models/configs.h) from `values`, which declare
  // `hyperparams`, and builds the model with the family's factory.
  std::unique_ptr<Model> (*create)(const HyperParams& values, const ModelShape& shape);
};

const std::vector<ModelInfo>& ModelRegistry();
// Throws latent::Error listing the known names when `name` is not one.
const ModelInfo& FindModel(const std::string& name);

}  // namespace latent
