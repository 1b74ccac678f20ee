// Typed configurations of the registered models and the factories that build them: how a C++
// program makes a model,
//
//   VaeConfig config;  // the defaults of `latent train --model vae`
//   config.latent_dim = 2;
//   std::unique_ptr<Model> vae = MakeVae(config, ModelShape{});
//   vae->params().Allocate(Device::Cpu(), /*seed=*/1);
//
// A member's initializer is the default that `latent models` lists (Specs() reads it from there).
// FromValues reads a configuration from the hyperparameters' text (the CLI's flags, a run's
// config.json) and checks each value's range as it reads it, so that a bad value is reported by
// the name of its hyperparameter; a configuration written in C++ is taken as it is.
// The registry (models/model.h) pairs each family's Specs() and FromValues with its factory.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "kernels/corrupt.h"
#include "models/hyper_params.h"
#include "models/model.h"

namespace latent {

// The ranges FromValues accepts for the sizes of a model: generous, so that every recipe and any
// experiment of the MNIST family fits, but finite, so that a mistyped size is an error naming its
// hyperparameter instead of a request for terabytes (what a model does with sizes in range is
// still checked against the device's memory when it is allocated, core/allocator.h).
//
// Units of one layer: --latent-dim, --hidden, each of deep-ae's --widths. 2^16 is 84 times
// MNIST's 784 pixels and 64 times the widest default (overcomplete-ae's 1024-unit code); a
// 784 x 65536 layer is already 51M weights (205 MB), and two such widths in a row ask for a
// 65536 x 65536 layer of 4.3G weights.
constexpr int64_t kMaxUnits = 65536;
// Hidden layers of deep-ae (--widths): 64, 21 times the paper's three.
constexpr int64_t kMaxHiddenLayers = 64;
// Channels of the first convolution of conv-ae and conv-vae (--channels; the second has twice as
// many): 1024, 32 times the default; the second convolution then holds 1024 x 2048 x 4 x 4 =
// 33.6M weights.
constexpr int64_t kMaxChannels = 1024;

// --- the dense autoencoders (models/ae/) ---------------------------------------------------------

// ae: x -> ReLU code -> logits, BCE.
struct AeConfig {
  int64_t latent_dim = 32;  // size of the code

  static std::vector<HyperParamSpec> Specs();
  static AeConfig FromValues(const HyperParams& values);
};
std::unique_ptr<Model> MakeAe(const AeConfig& config, const ModelShape& shape);

// overcomplete-ae: a code wider than the input, kept from the identity by a regularizer.
struct OvercompleteAeConfig {
  enum Regularizer { kSparse, kNoise };
  int64_t latent_dim = 1024;
  Regularizer regularizer = kSparse;  // L1 penalty on the code, or Gaussian input noise
  double lambda = 0.05;               // weight of the L1 activity penalty (kSparse)
  double sigma = 0.3;                 // standard deviation of the input noise (kNoise)

  static std::vector<HyperParamSpec> Specs();
  static OvercompleteAeConfig FromValues(const HyperParams& values);
};
std::unique_ptr<Model> MakeOvercompleteAe(const OvercompleteAeConfig& config,
                                          const ModelShape& shape);

// deep-ae: Hinton & Salakhutdinov's 784-1000-500-250-30 with a linear code.
struct DeepAeConfig {
  enum Units { kRelu, kSigmoid };
  std::vector<int64_t> widths = {1000, 500, 250};  // hidden layers from the input to the code
  int64_t latent_dim = 30;                         // size of the linear code
  Units activation = kRelu;                        // hidden units (the paper's are sigmoid)
  // Epochs of greedy layer-wise pre-training per layer before end-to-end training (0: none);
  // see models/train/pretrain.h.
  int64_t pretrain_epochs = 0;

  static std::vector<HyperParamSpec> Specs();
  static DeepAeConfig FromValues(const HyperParams& values);
};
std::unique_ptr<Model> MakeDeepAe(const DeepAeConfig& config, const ModelShape& shape);

// sparse-ae: a sigmoid code with a KL (Ng) or L1 activity penalty.
struct SparseAeConfig {
  enum Penalty { kKl, kL1 };
  int64_t latent_dim = 196;
  Penalty sparsity = kKl;
  double rho = 0.05;    // target mean activation of each hidden unit (kKl)
  double beta = 3.0;    // weight of the KL penalty, per image (kKl)
  double lambda = 0.1;  // weight of the L1 activity penalty (kL1)

  static std::vector<HyperParamSpec> Specs();
  static SparseAeConfig FromValues(const HyperParams& values);
};
std::unique_ptr<Model> MakeSparseAe(const SparseAeConfig& config, const ModelShape& shape);

// denoising-ae: reconstructs the clean x from a corrupted copy.
struct DenoisingAeConfig {
  int64_t latent_dim = 256;
  kernels::Corruption noise = kernels::Corruption::kMask;
  double noise_level = 0.25;  // sigma of Gaussian noise, or the corrupted fraction nu

  static std::vector<HyperParamSpec> Specs();
  static DenoisingAeConfig FromValues(const HyperParams& values);
};
std::unique_ptr<Model> MakeDenoisingAe(const DenoisingAeConfig& config, const ModelShape& shape);

// contractive-ae: a sigmoid code with a Jacobian-norm penalty.
struct ContractiveAeConfig {
  int64_t latent_dim = 256;
  double lambda = 1.0;  // weight of the penalty ||J_f(x)||_F^2, per image

  static std::vector<HyperParamSpec> Specs();
  static ContractiveAeConfig FromValues(const HyperParams& values);
};
std::unique_ptr<Model> MakeContractiveAe(const ContractiveAeConfig& config,
                                         const ModelShape& shape);

// conv-ae: two strided convolutions, a linear code, two transposed convolutions.
struct ConvAeConfig {
  int64_t latent_dim = 30;
  int64_t channels = 32;  // of the first convolution (the second has twice as many)

  static std::vector<HyperParamSpec> Specs();
  static ConvAeConfig FromValues(const HyperParams& values);
};
std::unique_ptr<Model> MakeConvAe(const ConvAeConfig& config, const ModelShape& shape);

// --- the VAE family (models/vae/) ----------------------------------------------------------------

// p(x|z) of a VAE's decoder (models/vae/vae_core.h): Bernoulli, or Gaussian with a fixed or a
// learned variance.
struct LikelihoodConfig {
  enum Decoder { kBernoulli, kGaussian };
  enum Variance { kFixed, kLearned };
  Decoder decoder = kBernoulli;
  Variance variance = kFixed;  // kGaussian only
  double sigma = 0.1;          // kGaussian only: the standard deviation, or its start (kLearned)

  static std::vector<HyperParamSpec> Specs();
  static LikelihoodConfig FromValues(const HyperParams& values);
};

// The KL weight beta_t at global step t: constant beta; linear warm-up beta min(1, t / W); or the
// cyclical schedule of Fu et al. (2019), beta min(1, tau / R) with tau = (t mod T) / T and ramp
// ratio R = 1/2. Evaluation (StepContext::training false) always uses the full beta, so test
// losses are the objective the schedule is heading for. The defaults are the plain ELBO.
// Every VAE takes the schedule (a KL warm-up helps the ELBO as much as a beta-VAE); only beta-vae
// declares beta itself, so that the others stay the ELBO they are named after once warmed up.
struct KlSchedule {
  enum Kind { kConstant, kLinear, kCyclical };
  Kind kind = kConstant;
  double beta = 1.0;
  int64_t warmup_steps = 2000;  // kLinear: steps to ramp the weight from 0 to beta
  int64_t cycle_steps = 1000;   // kCyclical: steps per cycle

  // --beta, --schedule, --warmup-steps, --cycle-steps, listed with the values of `defaults`.
  static std::vector<HyperParamSpec> Specs(const KlSchedule& defaults);
  // --schedule, --warmup-steps, --cycle-steps: the schedule of a KL whose beta is 1.
  static std::vector<HyperParamSpec> WarmupSpecs(const KlSchedule& defaults);
  // Reads --beta only where `values` declare it (beta-vae); beta is 1 otherwise.
  static KlSchedule FromValues(const HyperParams& values);
  double Weight(const StepContext& ctx) const;
};

// The fully connected VAE 784-400-20 (vae), also beta-vae's and cvae's.
struct VaeConfig {
  int64_t latent_dim = 20;  // size of the latent code z
  int64_t hidden = 400;     // width of the hidden layer of encoder and decoder
  LikelihoodConfig likelihood;
  KlSchedule schedule;

  // latent-dim, hidden and the likelihood's; vae and cvae add KlSchedule::WarmupSpecs, beta-vae
  // KlSchedule::Specs.
  static std::vector<HyperParamSpec> Specs();
  // Reads the schedule too where `values` declare it.
  static VaeConfig FromValues(const HyperParams& values);
};
// The defaults of beta-vae: VaeConfig's with the KL weighted by beta = 4.
VaeConfig BetaVaeDefaults();
std::unique_ptr<Model> MakeVae(const VaeConfig& config, const ModelShape& shape);
// The same network, reporting the mean KL weight of each epoch as the part "beta".
std::unique_ptr<Model> MakeBetaVae(const VaeConfig& config, const ModelShape& shape);
// Conditional on the one-hot label, of shape.num_classes classes, in encoder and decoder.
std::unique_ptr<Model> MakeCvae(const VaeConfig& config, const ModelShape& shape);

// iwae: vae's network trained on the importance-weighted bound of Burda et al. (2015) with k
// samples per image (models/vae/iwae.cc).
struct IwaeConfig {
  VaeConfig vae;         // latent-dim, hidden and the likelihood (the KL weight stays 1)
  int64_t samples = 5;   // k, importance samples per image (Burda et al. use 5 and 50)

  static std::vector<HyperParamSpec> Specs();
  static IwaeConfig FromValues(const HyperParams& values);
};
std::unique_ptr<Model> MakeIwae(const IwaeConfig& config, const ModelShape& shape);

// vamp-vae: vae's network with the VampPrior of Tomczak & Welling (2018), the mixture of the
// posteriors of K learned pseudo-inputs (models/vae/vamp_vae.cc).
struct VampVaeConfig {
  VaeConfig vae;               // latent-dim, hidden and the likelihood (the KL weight stays 1)
  int64_t pseudo_inputs = 500;  // K, the paper's

  static std::vector<HyperParamSpec> Specs();
  static VampVaeConfig FromValues(const HyperParams& values);
};
std::unique_ptr<Model> MakeVampVae(const VampVaeConfig& config, const ModelShape& shape);

// gmm-vae: vae's network with a learned Gaussian-mixture prior, K components with their own
// weights, means and variances (models/vae/gmm_vae.cc).
struct GmmVaeConfig {
  VaeConfig vae;             // latent-dim, hidden and the likelihood (the KL weight stays 1)
  int64_t components = 10;   // K: one per digit class on MNIST

  static std::vector<HyperParamSpec> Specs();
  static GmmVaeConfig FromValues(const HyperParams& values);
};
std::unique_ptr<Model> MakeGmmVae(const GmmVaeConfig& config, const ModelShape& shape);

// conv-vae: conv-ae's trunk with a Gaussian posterior.
struct ConvVaeConfig {
  int64_t latent_dim = 20;
  int64_t channels = 32;
  LikelihoodConfig likelihood;
  KlSchedule schedule;  // beta 1: --schedule, --warmup-steps, --cycle-steps only

  static std::vector<HyperParamSpec> Specs();
  static ConvVaeConfig FromValues(const HyperParams& values);
};
std::unique_ptr<Model> MakeConvVae(const ConvVaeConfig& config, const ModelShape& shape);

}  // namespace latent
