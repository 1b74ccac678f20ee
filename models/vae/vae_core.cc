#include "models/vae/vae_core.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "kernels/error.h"
#include "core/ops.h"
#include "core/random.h"
#include "core/tensor_math.h"

namespace latent {

namespace {

constexpr double kHalfLog2Pi = 0.91893853320467274178;  // log(2 pi) / 2
constexpr double kLog2Pi = 2 * kHalfLog2Pi;

const std::vector<Choice<LikelihoodConfig::Decoder>> kDecoders = {
    {"bernoulli", LikelihoodConfig::kBernoulli}, {"gaussian", LikelihoodConfig::kGaussian}};
const std::vector<Choice<LikelihoodConfig::Variance>> kVariances = {
    {"fixed", LikelihoodConfig::kFixed}, {"learned", LikelihoodConfig::kLearned}};
const std::vector<Choice<KlSchedule::Kind>> kSchedules = {{"constant", KlSchedule::kConstant},
                                                          {"linear", KlSchedule::kLinear},
                                                          {"cyclical", KlSchedule::kCyclical}};

}  // namespace

std::vector<HyperParamSpec> LikelihoodConfig::Specs() {
  const LikelihoodConfig d;
  return {{"decoder", HyperParamText(d.decoder, kDecoders),
           "p(x|z): bernoulli (BCE) or gaussian (squared error)"},
          {"variance", HyperParamText(d.variance, kVariances),
           "gaussian decoder: fixed (--sigma) or learned (one scalar)"},
          {"sigma", HyperParamText(d.sigma),
           "gaussian decoder: the standard deviation (fixed), or its start (learned)"}};
}

LikelihoodConfig LikelihoodConfig::FromValues(const HyperParams& values) {
  LikelihoodConfig c;
  c.decoder = values.GetChoice("decoder", kDecoders);
  // Gaussian settings mean nothing to a Bernoulli decoder: they are neither read nor checked.
  if (c.decoder == kBernoulli) return c;
  c.sigma = values.GetDouble("sigma", 1e-3, 1e3);
  c.variance = values.GetChoice("variance", kVariances);
  return c;
}

Likelihood::Likelihood(const LikelihoodConfig& config, Parameters& params) {
  if (config.decoder == LikelihoodConfig::kBernoulli) return;
  sigma_ = config.sigma;
  if (config.variance == LikelihoodConfig::kFixed) {
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
  // The squared errors are summed over the whole batch first, so that the variance enters
  // through two scalars rather than B * H * W of them.
  return GaussianNll(Sum(Mse(Sigmoid(logits), x)), static_cast<double>(x.numel()));
}

Tensor Likelihood::RowNll(const Tensor& logits, const Tensor& x) const {
  if (kind_ == kBernoulli) return BceWithLogits(logits, x);
  return GaussianNll(Mse(Sigmoid(logits), x), static_cast<double>(x.shape().row_size()));
}

Tensor Likelihood::GaussianNll(const Tensor& sse, double pixels) const {
  // Each entry: 1/2 [sse / sigma^2 + n log sigma^2 + n log 2 pi] for its n = `pixels` pixels.
  if (kind_ == kGaussianFixed) {
    return AddScalar(Scale(sse, 0.5 / (sigma_ * sigma_)),
                     pixels * (std::log(sigma_) + kHalfLog2Pi));
  }
  const Tensor& param = (*params_)[log_variance_];  // (1)
  // log sigma^2 in the shape of sse: the scalar itself, or one copy per row.
  const Tensor logvar = sse.ndim() == 0 ? Reshape(param, Shape()) : Broadcast(param, sse.shape());
  const Tensor terms = Add(Mul(sse, Exp(Scale(logvar, -1.0))), Scale(logvar, pixels));
  return AddScalar(Scale(terms, 0.5), pixels * kHalfLog2Pi);
}

std::vector<HyperParamSpec> KlSchedule::Specs(const KlSchedule& defaults) {
  return JoinSpecs({{"beta", HyperParamText(defaults.beta),
                     "weight of the KL term (Higgins et al. use beta > 1)"}},
                   WarmupSpecs(defaults));
}

std::vector<HyperParamSpec> KlSchedule::WarmupSpecs(const KlSchedule& defaults) {
  return {{"schedule", HyperParamText(defaults.kind, kSchedules),
           "KL weight over steps: constant, linear or cyclical"},
          {"warmup-steps", HyperParamText(defaults.warmup_steps),
           "linear schedule: steps to ramp the KL weight from 0 to its full value (beta, or 1)"},
          {"cycle-steps", HyperParamText(defaults.cycle_steps),
           "cyclical schedule: steps per cycle (ramp over the first half)"}};
}

KlSchedule KlSchedule::FromValues(const HyperParams& values) {
  KlSchedule s;
  if (values.Has("beta")) s.beta = values.GetDouble("beta", 0.0, 1e6);
  s.kind = values.GetChoice("schedule", kSchedules);
  s.warmup_steps = values.GetInt("warmup-steps", 1, int64_t{1} << 40);
  // With one step per cycle, tau is always 0 and the weight would never leave 0.
  s.cycle_steps = values.GetInt("cycle-steps", 2, int64_t{1} << 40);
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
  if (importance_samples_ > 0) return ImportanceWeightedLoss(x, labels, ctx, importance_samples_);
  const Posterior q = Encoder(x, labels);
  // Training steps and evaluation batches draw from separate streams, so evaluating never
  // replays the noise of a training step.
  const uint64_t stream = StreamOffset(ctx.training ? Stream::kNoise : Stream::kEval, ctx.step);
  ReparamKlResult r = ReparamKl(q.mu, q.logvar, ctx.seed, stream);
  Tensor recon = likelihood_.Nll(DecoderLogits(r.z, labels), x);
  // Against another prior the KL has no closed form: log q(z|x) - log p(z) at the same z, with
  // log q(z|x) = -1/2 sum_d ((z - mu)^2 / exp(logvar) + logvar + log 2 pi) differentiated through
  // z, mu and logvar alike (the path derivative of the reparameterization).
  Tensor kl = standard_prior()
                  ? Sum(r.kl)
                  : Sub(Scale(Sum(Add(Mul(Square(Sub(r.z, q.mu)), Exp(Scale(q.logvar, -1.0))),
                                      q.logvar)),
                              -0.5),
                        Sum(LogPriorWithoutNormalizer(r.z)));
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

Tensor VaeCore::LogPrior(const Tensor& z) {
  const double log_normalizer = 0.5 * kLog2Pi * static_cast<double>(latent_);
  return AddScalar(LogPriorWithoutNormalizer(z), -log_normalizer);
}

Tensor VaeCore::LogPriorWithoutNormalizer(const Tensor& z) {
  if (standard_prior()) return Scale(RowSum(Square(z)), -0.5);
  return AddScalar(LogPrior(z), 0.5 * kLog2Pi * static_cast<double>(latent_));
}

Tensor VaeCore::SamplePrior(int64_t n, uint64_t seed) {
  return RandomNormal({n, latent_}, seed, StreamOffset(Stream::kSample, 0),
                      params_.flat_values().dtype(), params_.device());
}

Tensor VaeCore::Sample(int64_t n, uint64_t seed, const Tensor& labels) {
  const Device device = params_.device();
  const Tensor z = SamplePrior(n, seed);
  if (classes_ == 0 || labels.defined()) return Decode(z, labels);
  std::vector<int32_t> cycle(n);
  for (int64_t i = 0; i < n; ++i) cycle[i] = static_cast<int32_t>(i % classes_);
  return Decode(z, Tensor::FromVector<int32_t>(cycle, {n}, device));
}

namespace {

// A (B) tensor's values on the host, widened to double.
std::vector<double> HostDoubles(const Tensor& t) {
  if (t.dtype() == DType::kF64) return t.ToVector<double>();
  const std::vector<float> v = t.ToVector<float>();
  return std::vector<double>(v.begin(), v.end());
}

// log sum_i exp(w_i), accumulated one term at a time as max + log(sum exp(w_i - max)): no term
// overflows, and the order of the updates (sample 0, 1, 2, ...) fixes every rounding, so the
// result cannot depend on how the samples were grouped into decoder calls.
struct LogSumExp {
  double max = -std::numeric_limits<double>::infinity();
  double sum = 0.0;  // sum_i exp(w_i - max)
  void Add(double w) {
    if (w == -std::numeric_limits<double>::infinity()) return;  // exp(w) = 0 adds nothing
    if (w <= max) {
      sum += std::exp(w - max);
    } else {
      sum = sum * std::exp(max - w) + 1.0;
      max = w;
    }
  }
  double Value() const { return max + std::log(sum); }
};

}  // namespace

uint64_t VaeCore::ImportanceNoiseOffset(int64_t sample) {
  LATENT_CHECK(sample >= 0 && static_cast<uint64_t>(sample) < (uint64_t{1} << 48),
               "importance sample index must be in [0, 2^48); found ", sample);
  return StreamOffset(Stream::kImportance, static_cast<uint64_t>(sample));
}

std::vector<double> VaeCore::ImportanceWeightedLogLikelihood(const Tensor& x, const Tensor& labels,
                                                             int64_t k, uint64_t seed,
                                                             int64_t chunk) {
  LATENT_CHECK(k >= 1, "importance sampling needs k >= 1 samples per image; found ", k);
  LATENT_CHECK(chunk >= 1, "importance sampling needs a chunk of >= 1 samples; found ", chunk);
  LATENT_CHECK(x.ndim() == 2, "importance sampling expects x of shape (B, features); found ",
               x.shape().ToString());
  const int64_t B = x.size(0), D = latent_;
  if (B == 0) return {};
  NoGradGuard no_grad;
  const Device device = params_.device();
  const DType dtype = params_.flat_values().dtype();
  const Tensor xd = x.device() == device ? x : x.To(device);
  Tensor ld;  // the labels on the model's device, for conditional models only
  if (classes_ > 0) {
    LATENT_CHECK(labels.defined() && labels.ndim() == 1 && labels.size(0) == B,
                 "a conditional model needs one label per image: expected (", B, "), found ",
                 labels.defined() ? labels.shape().ToString() : std::string("none"));
    ld = labels.device() == device ? labels : labels.To(device);
  }
  const Posterior q = Encoder(xd, ld);
  // Row j * B + b of a chunk is sample i0 + j of image b: each sample's B rows are contiguous
  // (one noise draw fills them), and a shorter last chunk is a prefix of the repeated tensors.
  const int64_t reps = std::min(chunk, k);
  std::vector<int32_t> image(static_cast<size_t>(reps * B));
  for (int64_t j = 0; j < reps; ++j)
    for (int64_t b = 0; b < B; ++b) image[j * B + b] = static_cast<int32_t>(b);
  const Tensor index = Tensor::FromVector<int32_t>(image, {reps * B}, device);
  const Tensor mu = GatherRows(q.mu, index);                            // (reps B, D)
  const Tensor sigma = Exp(Scale(GatherRows(q.logvar, index), 0.5));    // (reps B, D)
  const Tensor target = GatherRows(xd, index);                          // (reps B, H*W)
  const Tensor cond = ld.defined() ? GatherRows(ld, index) : Tensor();  // (reps B)

  // log p(z) - log q(z|x) = LogPriorWithoutNormalizer(z) + 1/2 sum_d (eps^2 + logvar): the
  // log 2 pi terms of q are cancelled against p's, and (z - mu) / sigma is eps itself (for
  // N(0, I): 1/2 sum_d (eps^2 - z^2 + logvar)). The logvar part is the same for every sample of
  // an image, so it is added once, in double, at the end.
  const std::vector<double> logvar_sum = HostDoubles(RowSum(q.logvar));  // (B)
  std::vector<LogSumExp> acc(static_cast<size_t>(B));
  for (int64_t i0 = 0; i0 < k; i0 += reps) {
    const int64_t m = std::min(reps, k - i0), rows = m * B;
    Tensor eps = Tensor::Empty({rows, D}, dtype, device);  // (m B, D)
    for (int64_t j = 0; j < m; ++j) {
      eps.Rows(j * B, (j + 1) * B)
          .CopyFrom(RandomNormal({B, D}, seed, ImportanceNoiseOffset(i0 + j), dtype, device));
    }
    const Tensor z = Add(mu.Rows(0, rows), Mul(sigma.Rows(0, rows), eps));
    const Tensor nll = likelihood_.RowNll(
        DecoderLogits(z, cond.defined() ? cond.Rows(0, rows) : cond), target.Rows(0, rows));
    const Tensor log_w =
        Sub(Add(Scale(RowSum(Square(eps)), 0.5), LogPriorWithoutNormalizer(z)), nll);
    const std::vector<double> w = HostDoubles(log_w);  // (m B): the one read-back per chunk
    for (int64_t j = 0; j < m; ++j)
      for (int64_t b = 0; b < B; ++b) acc[b].Add(w[j * B + b]);
  }
  std::vector<double> out(static_cast<size_t>(B));
  const double log_k = std::log(static_cast<double>(k));
  for (int64_t b = 0; b < B; ++b) out[b] = acc[b].Value() - log_k + 0.5 * logvar_sum[b];
  return out;
}

Tensor VaeCore::Condition(const Tensor& t, const Tensor& labels) const {
  if (classes_ == 0) return t;
  LATENT_CHECK(labels.defined(), "a conditional model needs the labels of its images");
  Tensor one_hot = math::OneHot(labels, classes_);
  // OneHot gives f32; f64 exists on the CPU only (whole-model gradient checks).
  if (one_hot.dtype() != t.dtype()) one_hot = one_hot.ToDType(t.dtype());
  return Concat(t, one_hot);
}

std::vector<HyperParamSpec> JoinSpecs(std::vector<HyperParamSpec> a,
                                      const std::vector<HyperParamSpec>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace latent
