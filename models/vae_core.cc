#include "models/vae_core.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/ops.h"
#include "core/random.h"
#include "core/tensor_math.h"

namespace latent {

namespace {
constexpr double kHalfLog2Pi = 0.91893853320467274178;  // log(2 pi) / 2
}  // namespace

std::vector<FlagSpec> Likelihood::FlagSpecs() {
  return {{"decoder", "bernoulli", "p(x|z): bernoulli (BCE) or gaussian (squared error)"},
          {"variance", "fixed", "gaussian decoder: fixed (--sigma) or learned (one scalar)"},
          {"sigma", "0.1", "gaussian decoder: the standard deviation (fixed), or its start "
                           "(learned)"}};
}

Likelihood::Likelihood(const Flags& flags, Parameters& params) {
  if (flags.GetChoice("decoder", {"bernoulli", "gaussian"}) == "bernoulli") return;
  sigma_ = flags.GetDouble("sigma", 1e-3, 1e3);
  if (flags.GetChoice("variance", {"fixed", "learned"}) == "fixed") {
    kind_ = kGaussianFixed;
    return;
  }
  kind_ = kGaussianLearned;
  params_ = &params;
  // Starting from --sigma rather than sigma = 1 matters: Adam moves a scalar by about lr per
  // step, and at sigma = 1 the squared error of [0, 1] pixels is worth so little next to the KL
  // that the code collapses (KL near 0) long before log sigma^2 has come down to log 0.01.
  log_variance_ = params.Declare("decoder.log_variance", {1},
                                 Init::Constant(2.0 * std::log(sigma_)));
}

Tensor Likelihood::Nll(const Tensor& logits, const Tensor& x) const {
  if (kind_ == kBernoulli) return Sum(BceWithLogits(logits, x));
  // The sum over all n = B * H * W pixels of the Gaussian NLL, with the squared errors summed first
  // so that the variance enters through two scalars rather than n of them.
  const double n = static_cast<double>(x.numel());
  const Tensor sse = Sum(Mse(Sigmoid(logits), x));
  if (kind_ == kGaussianFixed) {
    return AddScalar(Scale(sse, 0.5 / (sigma_ * sigma_)), n * (std::log(sigma_) + kHalfLog2Pi));
  }
  const Tensor logvar = Reshape((*params_)[log_variance_], Shape());
  const Tensor terms = Add(Mul(sse, Exp(Scale(logvar, -1.0))), Scale(logvar, n));
  return AddScalar(Scale(terms, 0.5), n * kHalfLog2Pi);
}

std::vector<FlagSpec> KlSchedule::FlagSpecs() {
  return {{"beta", "4", "weight of the KL term (Higgins et al. use beta > 1)"},
          {"schedule", "constant", "KL weight over steps: constant, linear or cyclical"},
          {"warmup-steps", "2000", "linear schedule: steps to ramp the weight from 0 to beta"},
          {"cycle-steps", "1000", "cyclical schedule: steps per cycle (ramp over the first half)"}};
}

KlSchedule KlSchedule::FromFlags(const Flags& flags) {
  KlSchedule s;
  if (!flags.Has("beta")) return s;
  s.beta = flags.GetDouble("beta", 0.0, 1e6);
  const std::string& kind = flags.GetChoice("schedule", {"constant", "linear", "cyclical"});
  s.kind = kind == "linear" ? kLinear : kind == "cyclical" ? kCyclical : kConstant;
  s.warmup_steps = flags.GetInt("warmup-steps", 1, int64_t{1} << 40);
  s.cycle_steps = flags.GetInt("cycle-steps", 2, int64_t{1} << 40);
  return s;
}

double KlSchedule::Weight(const StepContext& ctx) const {
  if (!ctx.training || kind == kConstant) return beta;
  const double t = static_cast<double>(ctx.step);
  if (kind == kLinear) return beta * std::min(1.0, t / static_cast<double>(warmup_steps));
  const double tau = static_cast<double>(ctx.step % cycle_steps) / cycle_steps;
  return beta * std::min(1.0, tau / 0.5);
}

LossOutput VaeCore::Loss(const Tensor& x, const Tensor& labels, const StepContext& ctx) {
  const Posterior q = Encoder(x, labels);
  // Training steps and evaluation batches draw from separate streams, so evaluating never
  // replays the noise of a training step.
  const uint64_t stream = StreamOffset(ctx.training ? Stream::kNoise : Stream::kEval, ctx.step);
  ReparamKlResult r = ReparamKl(q.mu, q.logvar, ctx.seed, stream);
  Tensor recon = likelihood_.Nll(DecoderLogits(r.z, labels), x);
  Tensor kl = Sum(r.kl);
  const double beta = schedule_.Weight(ctx);
  // beta = 1 adds the KL unscaled: the plain VAE's graph, and its numbers, stay exactly those of
  // the PyTorch example.
  LossOutput out{Add(recon, beta == 1.0 ? kl : Scale(kl, beta)), {{"recon", recon}, {"kl", kl}}};
  if (report_beta_) {
    out.parts.push_back(
        {"beta", Tensor::Full({}, beta * static_cast<double>(x.size(0)), x.dtype(), x.device())});
  }
  return out;
}

Tensor VaeCore::Encode(const Tensor& x, const Tensor& labels) { return Encoder(x, labels).mu; }

Tensor VaeCore::Decode(const Tensor& z, const Tensor& labels) {
  return Sigmoid(DecoderLogits(z, labels));
}

Tensor VaeCore::Sample(int64_t n, uint64_t seed, const Tensor& labels) {
  const Device device = params_.device();
  const Tensor z = RandomNormal({n, latent_}, seed, StreamOffset(Stream::kSample, 0),
                                params_.flat_values().dtype(), device);
  if (classes_ == 0 || labels.defined()) return Decode(z, labels);
  std::vector<int32_t> cycle(n);
  for (int64_t i = 0; i < n; ++i) cycle[i] = static_cast<int32_t>(i % classes_);
  return Decode(z, Tensor::FromVector<int32_t>(cycle, {n}, device));
}

Tensor VaeCore::Condition(const Tensor& t, const Tensor& labels) const {
  if (classes_ == 0) return t;
  LATENT_CHECK(labels.defined(), "a conditional model needs the labels of its images");
  Tensor one_hot = math::OneHot(labels, classes_);
  // OneHot gives f32; f64 exists on the CPU only (whole-model gradient checks).
  if (one_hot.dtype() != t.dtype()) one_hot = one_hot.ToDType(t.dtype());
  return Concat(t, one_hot);
}

std::vector<FlagSpec> JoinFlags(std::vector<FlagSpec> a, const std::vector<FlagSpec>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace latent
