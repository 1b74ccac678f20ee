// What the VAE family (vae, beta-vae, cvae, conv-vae) shares: the decoder's likelihood p(x|z),
// the schedule of the KL weight, and the negative ELBO built from an encoder that gives
// q(z|x) = N(mu, diag exp(logvar)) and a decoder that gives logits.
//
//   loss = -E_q[log p(x|z)] + beta_t KL(q(z|x) || N(0, I))     (one z per image, summed over rows)
//
// Subclasses only say how to compute (mu, logvar) and the logits; the reparameterization, the
// noise streams, the parts reported and sampling from the prior live here once.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "models/configs.h"
#include "models/model.h"

namespace latent {

// p(x|z) with mean sigmoid(logits), as a negative log-likelihood summed over pixels and rows:
//   bernoulli:  sum BCE(logits, x)
//   gaussian:   sum 1/2 [(x - mu)^2 / sigma^2 + log sigma^2 + log 2 pi],  mu = sigmoid(logits),
//               sigma fixed (LikelihoodConfig::sigma, --sigma), or log sigma^2 one learned scalar
//               ("decoder.log_variance").
// For grey levels x the Bernoulli "likelihood" is the cross-entropy the training minimizes, not a
// normalized density over [0, 1] (that would be the continuous Bernoulli); it is a log-likelihood
// proper only for binary x.
class Likelihood {
 public:
  Likelihood() = default;  // Bernoulli
  // Declares the learned log-variance in `params` when asked for, so call it after the layers:
  // a Bernoulli model's parameters (and hence their seeded initial values) stay unchanged.
  Likelihood(const LikelihoodConfig& config, Parameters& params);
  Tensor Nll(const Tensor& logits, const Tensor& x) const;     // a scalar: summed over rows
  Tensor RowNll(const Tensor& logits, const Tensor& x) const;  // (B): one per row

 private:
  // The Gaussian NLL from summed squared errors `sse` (a scalar, or (B)), `pixels` per entry.
  Tensor GaussianNll(const Tensor& sse, double pixels) const;

  enum Kind { kBernoulli, kGaussianFixed, kGaussianLearned };
  Kind kind_ = kBernoulli;
  double sigma_ = 1.0;
  Parameters* params_ = nullptr;
  int log_variance_ = -1;
};

class VaeCore : public Model {
 public:
  LossOutput Loss(const Tensor& x, const Tensor& labels, const StepContext& ctx) override;
  Tensor Encode(const Tensor& x, const Tensor& labels) override;  // the posterior mean mu
  Tensor Decode(const Tensor& z, const Tensor& labels) override;  // sigmoid(logits)
  // z ~ p(z) (SamplePrior, seed); conditional models decode with `labels`, or with 0, 1, ...,
  // classes - 1, 0, ... when labels are undefined.
  Tensor Sample(int64_t n, uint64_t seed, const Tensor& labels) override;
  int64_t code_size() const override { return latent_; }

  struct Posterior {
    Tensor mu, logvar;  // (B, latent) each
  };
  // q(z|x): its mean and log-variance, (B, latent) each.
  Posterior EncodePosterior(const Tensor& x, const Tensor& labels) { return Encoder(x, labels); }

  // The importance-weighted estimate of log p(x) (Burda et al. 2015), in nats, one per row of x:
  //
  //   log p(x) ~ log (1/k) sum_i p(x|z_i) p(z_i) / q(z_i|x),   z_i ~ q(z|x),  i = 0..k-1,
  //
  // a lower bound in expectation that rises with k towards log p(x) (k = 1: the one-sample ELBO
  // with the KL drawn, not integrated). The Bernoulli decoder makes it a log-likelihood for
  // binary x only (see Likelihood). x: (B, H*W) on any device, labels: i32 (B) (conditional
  // models). Sample i of row b draws its noise as element b*latent + d of the normal stream
  // (seed, ImportanceNoiseOffset(i)), so the result does not depend on `chunk`: the number of
  // samples per image that one decoder call evaluates (B * chunk rows; memory grows with it).
  std::vector<double> ImportanceWeightedLogLikelihood(const Tensor& x, const Tensor& labels,
                                                      int64_t k, uint64_t seed, int64_t chunk);
  static uint64_t ImportanceNoiseOffset(int64_t sample);

  // log p(z), one per row of z (N, latent): the prior of the loss, of the importance weights and
  // of Sample. N(0, I) here; vamp-vae's and gmm-vae's are mixtures. A subclass that overrides
  // it overrides standard_prior() and SamplePrior() too.
  virtual Tensor LogPrior(const Tensor& z);
  // n codes (n, latent) from p(z), drawn from the Philox streams (seed, kSample, ...).
  virtual Tensor SamplePrior(int64_t n, uint64_t seed);

 protected:
  // conditional_classes > 0 makes the model conditional (Condition() appends one-hot labels);
  // report_beta adds the part "beta": beta_t summed over rows, i.e. the mean weight per image;
  // importance_samples k > 0 trains on the k-sample importance-weighted bound (iwae) in place of
  // the ELBO, and 0 keeps the ELBO with its KL in closed form.
  VaeCore(int64_t latent, int conditional_classes, KlSchedule schedule, bool report_beta,
          int64_t importance_samples = 0)
      : latent_(latent),
        classes_(conditional_classes),
        schedule_(schedule),
        report_beta_(report_beta),
        importance_samples_(importance_samples) {}

  // Whether p(z) is N(0, I): Loss then takes the KL in closed form (the fused ReparamKl), and
  // the importance weights drop the log 2 pi terms that q and p share. Otherwise the KL is the
  // one-sample estimate log q(z|x) - LogPrior(z) at the reconstruction's z.
  virtual bool standard_prior() const { return true; }
  // log p(z) + latent/2 log 2 pi, per row: the part of log p(z) - log q(z|x) that depends on the
  // prior, with the log 2 pi terms of q cancelled (for N(0, I): -1/2 sum_d z_d^2).
  Tensor LogPriorWithoutNormalizer(const Tensor& z);

  virtual Posterior Encoder(const Tensor& x, const Tensor& labels) = 0;
  virtual Tensor DecoderLogits(const Tensor& z, const Tensor& labels) = 0;  // (B, H*W)

  // The negative k-sample importance-weighted bound of Burda et al. (2015), summed over rows
  // (models/vae/iwae.cc): Loss() when importance_samples > 0.
  LossOutput ImportanceWeightedLoss(const Tensor& x, const Tensor& labels, const StepContext& ctx,
                                    int64_t k);

  // t (B, D) with the one-hot labels appended, (B, D + classes); t itself when unconditional.
  Tensor Condition(const Tensor& t, const Tensor& labels) const;
  int conditional_classes() const { return classes_; }

  Likelihood likelihood_;  // set by subclasses after declaring their layers

 private:
  int64_t latent_;
  int classes_;
  KlSchedule schedule_;
  bool report_beta_;
  int64_t importance_samples_;
};

// The fully connected VAE of models/vae/vae.cc, which vae, beta-vae, cvae and iwae share (the
// arguments as VaeCore's).
std::unique_ptr<Model> MakeDenseVae(const VaeConfig& config, const ModelShape& shape,
                                    int conditional_classes, bool report_beta,
                                    int64_t importance_samples = 0);

// Concatenated hyperparameter lists, for ModelInfo::hyperparams.
std::vector<HyperParamSpec> JoinSpecs(std::vector<HyperParamSpec> a,
                                      const std::vector<HyperParamSpec>& b);

}  // namespace latent
