// The importance-weighted autoencoder (Burda, Grosse & Salakhutdinov 2015): the VAE of
// models/vae/vae.cc trained on the k-sample bound
//
//   L_k(x) = log (1/k) sum_i w_i,   w_i = p(x|z_i) p(z_i) / q(z_i|x),   z_i = mu + sigma eps_i,
//   loss   = -sum_b L_k(x_b)        (summed over rows, as every loss here)
//
// L_1 is the one-sample ELBO (its KL drawn, not integrated); L_k <= L_{k+1} <= log p(x) in
// expectation, so a larger k trains on a tighter bound. The gradient is the same autograd as the
// VAE's: each w_i is a reparameterized function of mu, logvar and the decoder, and the log-sum-exp
// over samples (RowLogSumExp) weights each sample's gradient by its normalized weight.
//
// With eps_i = (z_i - mu) / sigma,
//   log p(z_i) - log q(z_i|x) = 1/2 sum_d (eps_i^2 - z_i^2 + logvar)   (the log 2 pi terms cancel)
// for the prior N(0, I) (VaeCore::LogPriorWithoutNormalizer gives the prior's part), as in
// VaeCore::ImportanceWeightedLogLikelihood, which `latent eval` uses on this model too.
//
// The parts: "recon" = sum_b (1/k) sum_i -log p(x_b|z_i) and "kl" = sum_b (1/k) sum_i
// log q(z_i|x_b) - log p(z_i), the k one-sample ELBO terms averaged; recon + kl >= loss (Jensen),
// and the gap is what the importance weighting gains.
#include <cmath>
#include <vector>

#include "core/ops.h"
#include "core/random.h"
#include "models/configs.h"
#include "models/vae/vae_core.h"
#include "models/variants.h"

namespace latent {

// Row b k + i of the (B k)-row tensors below is sample i of image b, so that the per-sample log
// weights, read as a (B, k) matrix, hold one image per row for RowLogSumExp.
LossOutput VaeCore::ImportanceWeightedLoss(const Tensor& x, const Tensor& labels,
                                           const StepContext& ctx, int64_t k) {
  const int64_t B = x.size(0), D = latent_;
  const Posterior q = Encoder(x, labels);
  std::vector<int32_t> image(static_cast<size_t>(B * k));
  for (int64_t b = 0; b < B; ++b)
    for (int64_t i = 0; i < k; ++i) image[b * k + i] = static_cast<int32_t>(b);
  const Tensor index = Tensor::FromVector<int32_t>(image, {B * k}, x.device());
  const Tensor mu = GatherRows(q.mu, index);          // (B k, D)
  const Tensor logvar = GatherRows(q.logvar, index);  // (B k, D)
  // The training and evaluation streams of VaeCore::Loss: one draw of all B k samples.
  const uint64_t stream = StreamOffset(ctx.training ? Stream::kNoise : Stream::kEval, ctx.step);
  const Tensor eps = RandomNormal({B * k, D}, ctx.seed, stream, x.dtype(), x.device());
  const Tensor z = Add(mu, Mul(Exp(Scale(logvar, 0.5)), eps));  // (B k, D)
  const Tensor cond = labels.defined() && conditional_classes() > 0 ? GatherRows(labels, index)
                                                                    : Tensor();
  const Tensor nll = likelihood_.RowNll(DecoderLogits(z, cond), GatherRows(x, index));  // (B k)
  // log q(z|x) - log p(z) per sample: eps is a constant of the graph (no gradient), so this is
  // the reparameterized log-density ratio, differentiable in mu and logvar through z.
  const Tensor kl = Sub(Scale(Add(RowSum(Square(eps)), RowSum(logvar)), -0.5),
                       LogPriorWithoutNormalizer(z));
  const Tensor log_w = Scale(Add(nll, kl), -1.0);  // (B k)
  const Tensor bound = RowLogSumExp(Reshape(log_w, {B, k}));  // (B): L_k + log k
  const double log_k = std::log(static_cast<double>(k));
  const Tensor loss = AddScalar(Scale(Sum(bound), -1.0), static_cast<double>(B) * log_k);
  const double per_sample = 1.0 / static_cast<double>(k);
  return {loss, {{"recon", Scale(Sum(nll), per_sample)}, {"kl", Scale(Sum(kl), per_sample)}}};
}

std::vector<HyperParamSpec> IwaeConfig::Specs() {
  const IwaeConfig d;
  return JoinSpecs(VaeConfig::Specs(),
                   {{"samples", HyperParamText(d.samples),
                     "importance samples per image k (k = 1: the ELBO with a drawn KL)"}});
}

IwaeConfig IwaeConfig::FromValues(const HyperParams& values) {
  IwaeConfig c;
  c.vae = VaeConfig::FromValues(values);
  // Each step decodes B k rows: 5000 (Burda et al.'s evaluation k) at batch 128 is already 640k
  // rows of 784 pixels, 2 GB of logits.
  c.samples = values.GetInt("samples", 1, 5000);
  return c;
}

std::unique_ptr<Model> MakeIwae(const IwaeConfig& config, const ModelShape& shape) {
  return MakeDenseVae(config.vae, shape, 0, false, config.samples);
}

ModelInfo IwaeInfo() {
  return {"iwae",
          "importance-weighted autoencoder (Burda et al.): vae's network on the k-sample bound",
          IwaeConfig::Specs(), [](const HyperParams& values, const ModelShape& shape) {
            return MakeIwae(IwaeConfig::FromValues(values), shape);
          }};
}

}  // namespace latent
