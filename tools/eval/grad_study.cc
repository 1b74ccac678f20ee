#include "tools/eval/grad_study.h"

#include <algorithm>
#include <cmath>

#include "kernels/error.h"
#include "kernels/reparam_kl.h"

namespace latent {
namespace {

std::vector<double> AsDoubles(const Tensor& t) {
  LATENT_CHECK(t.device().is_cpu(), "expected a CPU tensor, found one on ", t.device().ToString());
  return t.dtype() == DType::kF64 ? t.ToVector<double>()
                                  : t.ToDType(DType::kF64).ToVector<double>();
}

}  // namespace

GradCheckSetting GradCheckSettingFor(const std::string& model_name) {
  // ApplyNarrowValues skips what a model does not declare, so one list serves all. Measured
  // at batch 5: with these no seed in 1..100 leaves a tensor with an all-zero gradient in any
  // model; with latent-dim 3, hidden 6, widths 5,4,4, channels 2, 8 seeds in 60 did (dead
  // ReLU layers).
  const std::vector<std::pair<std::string, std::string>> narrow = {
      {"latent-dim", "6"}, {"hidden", "8"}, {"widths", "10,8,6"}, {"channels", "4"},
      {"samples", "3"}, {"pseudo-inputs", "3"}};
  // The convolutional trunk halves H and W twice (models/ae/conv_net.h): multiples of 4.
  if (model_name.rfind("conv-", 0) == 0) return {{4, 8, 10}, narrow};
  return {{3, 4, 10}, narrow};
}

std::string ApplyNarrowValues(const GradCheckSetting& setting, HyperParams& values) {
  std::string applied;
  for (const auto& [name, value] : setting.narrow) {
    if (!values.Has(name) || values.IsSet(name)) continue;
    values.Set(name, value);
    applied += (applied.empty() ? "" : " ") + name + "=" + value;
  }
  return applied;
}

std::vector<ParameterCheck> CheckModelGradients(Model& model, const Tensor& x, const Tensor& labels,
                                                const StepContext& ctx, double atol, double rtol) {
  Parameters& params = model.params();
  LATENT_CHECK(params.allocated() && params.device().is_cpu() &&
                   params.flat_values().dtype() == DType::kF64,
               "a model's gradient check needs its parameters allocated in f64 on the CPU "
               "(Parameters::Allocate(Device::Cpu(), seed, DType::kF64))");
  LATENT_CHECK(x.dtype() == DType::kF64 && x.device().is_cpu(),
               "a model's gradient check needs f64 CPU inputs, found ", DTypeName(x.dtype()),
               " on ", x.device().ToString());
  std::vector<Tensor> tensors;
  std::vector<std::string> names;
  for (int i = 0; i < params.size(); ++i) {
    tensors.push_back(params[i]);
    names.push_back(params.name(i));
  }
  const auto loss = [&] { return model.Loss(x, labels, ctx).loss; };
  const std::vector<GradCheckEntry> entries = GradCheck(loss, tensors, names, atol, rtol);
  // One more backward pass for the gradients' size, so that an all-zero gradient (which any
  // finite difference "confirms") is visible in the report.
  params.ZeroGrad();
  loss().Backward();
  std::vector<ParameterCheck> checks;
  for (size_t i = 0; i < entries.size(); ++i) {
    double largest = 0;
    for (double g : tensors[i].grad().ToVector<double>()) largest = std::max(largest, std::abs(g));
    checks.push_back({tensors[i].shape(), entries[i], largest});
  }
  return checks;
}

std::vector<NamedLeaf> ModelLeaves(Model& model, const Tensor& x, const Tensor& labels) {
  std::vector<NamedLeaf> leaves;
  const Parameters& params = model.params();
  for (int i = 0; i < params.size(); ++i)
    leaves.push_back({params.name(i), params[i], NamedLeaf::kParameter});
  leaves.push_back({"x", x, NamedLeaf::kInput});
  if (labels.defined()) leaves.push_back({"labels", labels, NamedLeaf::kInput});
  return leaves;
}

void TapeRecorder::OnRecord(const std::shared_ptr<Node>& node, const std::vector<Tensor>& outputs) {
  TapeEntry e;
  e.node = node;
  e.outputs = outputs;
  for (const Tensor& in : node->inputs()) {
    e.inputs.push_back(in.defined() ? Detach(in) : Tensor());
    e.producers.push_back(in.defined() ? in.grad_fn().get() : nullptr);
    e.producer_outputs.push_back(in.defined() ? in.output_index() : 0);
  }
  entries_.push_back(std::move(e));
}

void TapeRecorder::OnBackward(const Node& node, const std::vector<Tensor>& grad_outputs,
                              const std::vector<Tensor>& grad_inputs) {
  const int index = IndexOf(&node);
  LATENT_CHECK(index >= 0, "backward ran op '", OpName(node.op()), "', which was recorded before "
               "the tape recorder was installed: install it before the forward pass");
  TapeEntry& e = entries_[index];
  LATENT_CHECK(!e.backward_ran, "backward ran op '", OpName(node.op()), "' twice");
  e.backward_ran = true;
  e.grad_outputs = grad_outputs;
  e.grad_inputs = grad_inputs;
  backward_order_.push_back(index);
}

int TapeRecorder::IndexOf(const Node* node) const {
  for (size_t i = 0; i < entries_.size(); ++i)
    if (entries_[i].node.get() == node) return static_cast<int>(i);
  return -1;
}

ReparamKlClosedForm ReparamKlGradients(const Tensor& mu, const Tensor& logvar, const Tensor& z,
                                       const Tensor& dz, const Tensor& dkl) {
  CheckNDim("reparam_kl closed form", mu, 2, "mu");
  CheckSameShape("reparam_kl closed form", mu, logvar);
  CheckSameShape("reparam_kl closed form", mu, z);
  if (dz.defined()) CheckSameShape("reparam_kl closed form", mu, dz);
  const int64_t B = mu.size(0), D = mu.size(1);
  LATENT_CHECK(!dkl.defined() || dkl.shape() == Shape({B}), "reparam_kl closed form: dkl must "
               "have shape ", Shape({B}).ToString(), ", found ", dkl.shape().ToString());
  // m, lv, zz, g: (B, D) row-major; w: (B)
  const std::vector<double> m = AsDoubles(mu), lv = AsDoubles(logvar), zz = AsDoubles(z);
  const std::vector<double> g = dz.defined() ? AsDoubles(dz) : std::vector<double>(B * D, 0.0);
  const std::vector<double> w = dkl.defined() ? AsDoubles(dkl) : std::vector<double>(B, 0.0);
  std::vector<double> eps(B * D), mu_z(B * D), mu_kl(B * D), lv_z(B * D), lv_kl(B * D);
  std::vector<double> dmu(B * D), dlv(B * D), kl(B, 0.0);
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t d = 0; d < D; ++d) {
      const int64_t i = b * D + d;
      const double sigma = std::exp(lv[i] / 2);
      eps[i] = (zz[i] - m[i]) / sigma;
      mu_z[i] = g[i];
      mu_kl[i] = kernels::KlGradMu(m[i], w[b]);
      lv_z[i] = kernels::ReparamGradLogvar(lv[i], eps[i], g[i]);
      lv_kl[i] = kernels::KlGradLogvar(lv[i], w[b]);
      dmu[i] = mu_z[i] + mu_kl[i];
      dlv[i] = lv_z[i] + lv_kl[i];
      kl[b] -= kernels::KlTerm(m[i], lv[i]) / 2;
    }
  }
  const auto t = [&](const std::vector<double>& v) { return Tensor::FromVector(v, {B, D}); };
  return {t(eps), t(mu_z), t(mu_kl), t(lv_z), t(lv_kl), t(dmu), t(dlv),
          Tensor::FromVector(kl, {B})};
}

ValueSummary Summarize(const Tensor& t) {
  const std::vector<double> v = AsDoubles(t);
  ValueSummary s;
  if (v.empty()) return s;
  s.min = s.max = v[0];
  for (double e : v) {
    s.min = std::min(s.min, e);
    s.max = std::max(s.max, e);
    s.mean += e;
    s.norm += e * e;
  }
  s.mean /= static_cast<double>(v.size());
  s.norm = std::sqrt(s.norm);
  return s;
}

double MaxAbsDifference(const Tensor& a, const Tensor& b) {
  CheckSameShape("MaxAbsDifference", a, b);
  const std::vector<double> x = AsDoubles(a), y = AsDoubles(b);
  double m = 0.0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double d = std::abs(x[i] - y[i]);
    m = std::isnan(d) ? d : std::max(m, d);  // a NaN anywhere is reported, not hidden by max
    if (std::isnan(m)) break;
  }
  return m;
}

}  // namespace latent
