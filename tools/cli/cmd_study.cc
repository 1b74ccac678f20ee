// latent gradcheck: a model's loss gradient against central differences, every parameter tensor.
// latent grads: one forward and backward pass, node by node, with the reparameterization's
//               gradients in closed form beside autograd's.
// latent graph: the autograd graph of one loss evaluation as Graphviz DOT.
//
// All three run on the CPU; the computations live in tools/eval/grad_study.h and core/graph_dot.h.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/io/dataset.h"
#include "core/graph_dot.h"
#include "core/random.h"
#include "tools/eval/grad_study.h"
#include "tools/cli/commands.h"
#include "tools/cli/common.h"

namespace latent {
namespace {

// Parses the flags of a study command; on --help prints them and `about`.
bool Help(Flags& flags, const Args& args, const char* about) {
  if (!ParseOrPrintHelp(flags, args)) return false;
  std::printf("\n%s", about);
  return true;
}

// The command's flags followed by those of the model named by --model (as `latent train` does),
// with the narrow values of `setting` as defaults where given (so --help shows the values that
// will be used).
Flags StudyFlags(const char* command, const Args& args, std::vector<FlagSpec> specs,
                 const GradCheckSetting* setting = nullptr) {
  Flags flags(command, std::move(specs));
  const std::string model = PeekFlag(args, "model", "vae");
  if (model == "all") return flags;
  std::vector<FlagSpec> model_flags = FindModel(model).hyperparams;
  if (setting) {
    for (FlagSpec& f : model_flags)
      for (const auto& [name, value] : setting->narrow)
        if (f.name == name) f.default_value = value;
  }
  flags.Add(model_flags);
  return flags;
}

// Synthetic grey levels in [0, 1) from Philox (the evaluation stream, which a training-mode loss
// never draws from), and labels 0, 1, 2, ... cycling through the classes.
Tensor SyntheticImages(int64_t batch, const ModelShape& shape, uint64_t seed) {
  return RandomUniform({batch, shape.features()}, seed, StreamOffset(Stream::kEval, 0),
                       DType::kF64);
}
Tensor CyclingLabels(int64_t batch, int classes) {
  std::vector<int32_t> labels(batch);
  for (int64_t i = 0; i < batch; ++i) labels[i] = static_cast<int32_t>(i % classes);
  return Tensor::FromVector<int32_t>(labels, {batch});
}

std::string Pad(std::string s, size_t width) {
  if (s.size() < width) s.resize(width, ' ');
  return s;
}

// --- gradcheck -----------------------------------------------------------------------------------

std::string GradcheckAbout() {
  std::string narrow;
  for (const auto& [name, value] : GradCheckSettingFor("vae").narrow)
    narrow += (narrow.empty() ? "" : ", ") + name + " " + value;
  return
    "Checks autograd's gradient of the model's loss with respect to every parameter tensor\n"
    "against central differences (step 1e-6), in f64 on the CPU. To keep that cheap and\n"
    "reliable for every model, it runs on synthetic inputs (uniform grey levels from Philox,\n"
    "labels 0, 1, 2, ...) of 3x4 pixels (4x8 for conv-ae and conv-vae) with narrow layers:\n"
    "model flags left unset take " + narrow + ".\n"
    "The noise of VAEs and denoising models is fixed by --seed, so every evaluation is the\n"
    "same function. An element passes when |autograd - numeric| <= atol + rtol |numeric|.\n"
    "Exit status 0 when every tensor passes, 1 otherwise. --batch stops at 16: the loss sums\n"
    "over rows, so with more rows the differences' rounding error nears atol, and a\n"
    "perturbation is more likely to cross a ReLU kink, where central differences are wrong and\n"
    "autograd is not.\n";
}

// Checks one model and prints its table; returns the number of failing tensors.
int GradcheckModel(const ModelInfo& info, HyperParams values, int64_t batch, uint64_t seed,
                   double atol, double rtol) {
  const GradCheckSetting setting = GradCheckSettingFor(info.name);
  const std::string narrowed = ApplyNarrowValues(setting, values);
  std::unique_ptr<Model> model = info.create(values, setting.shape);
  model->params().Allocate(Device::Cpu(), seed, DType::kF64);
  const Tensor x = SyntheticImages(batch, setting.shape, seed);
  const Tensor labels = CyclingLabels(batch, setting.shape.num_classes);

  const auto start = std::chrono::steady_clock::now();
  const std::vector<ParameterCheck> checks =
      CheckModelGradients(*model, x, labels, {seed, 0, true}, atol, rtol);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::printf("gradcheck %s: %zu parameter tensors (%lld values), f64, %lldx%lld images, "
              "batch %lld, seed %llu%s%s\n",
              info.name.c_str(), checks.size(),
              static_cast<long long>(model->params().count()),
              static_cast<long long>(setting.shape.height),
              static_cast<long long>(setting.shape.width), static_cast<long long>(batch),
              static_cast<unsigned long long>(seed), narrowed.empty() ? "" : ", ",
              narrowed.c_str());
  size_t name_width = 9;
  for (const ParameterCheck& c : checks) name_width = std::max(name_width, c.result.name.size());
  char tolerance[64];
  std::snprintf(tolerance, sizeof tolerance, "%.0e + %.0e |num|", atol, rtol);
  std::printf("  %s %-16s %-11s %-11s %-11s %-21s %s\n", Pad("parameter", name_width).c_str(),
              "shape", "max |grad|", "max abs err", "max rel err", "tolerance", "result");
  int failed = 0, zero = 0;
  for (const ParameterCheck& c : checks) {
    failed += c.result.passed ? 0 : 1;
    zero += c.max_abs_gradient == 0 ? 1 : 0;
    std::printf("  %s %-16s %-11.3e %-11.3e %-11.3e %-21s %s%s\n",
                Pad(c.result.name, name_width).c_str(), c.shape.ToString().c_str(),
                c.max_abs_gradient, c.result.max_abs_error, c.result.max_rel_error, tolerance,
                c.result.passed ? "PASS" : "FAIL",
                c.max_abs_gradient == 0 ? " (zero gradient: nothing compared)" : "");
  }
  if (zero > 0) {
    std::printf("  note: %d tensor%s got an identically zero gradient (dead ReLUs?); another "
                "--seed checks them\n", zero, zero == 1 ? "" : "s");
  }
  if (failed == 0) {
    std::printf("%s: all %zu parameter tensors pass (%.2f s)\n\n", info.name.c_str(),
                checks.size(), seconds);
  } else {
    std::printf("%s: %d of %zu parameter tensors FAIL (%.2f s)\n\n", info.name.c_str(), failed,
                checks.size(), seconds);
  }
  std::fflush(stdout);
  return failed;
}

}  // namespace

int RunGradcheck(const Args& args) {
  const GradCheckSetting setting = GradCheckSettingFor(PeekFlag(args, "model", "vae"));
  Flags flags = StudyFlags(
      "gradcheck", args,
      {{"model", "vae", "model to check (see `latent models`), or all"},
       {"seed", "1", "seed of the parameters, the inputs and the model's noise"},
       {"batch", "5", "rows of synthetic inputs (1 to 16)"},
       {"atol", "1e-6", "absolute tolerance per element"},
       {"rtol", "1e-5", "relative tolerance per element (times |numeric gradient|)"}},
      &setting);
  if (Help(flags, args, GradcheckAbout().c_str())) return 0;
  const int64_t batch = flags.GetInt("batch", 1, 16);
  const uint64_t seed = static_cast<uint64_t>(flags.GetInt("seed", 0, INT64_MAX));
  const double atol = flags.GetDouble("atol", 0.0, 1.0), rtol = flags.GetDouble("rtol", 0.0, 1.0);
  const bool all = flags.Get("model") == "all";

  std::vector<std::string> failed;
  if (!all) {
    const ModelInfo& info = FindModel(flags.Get("model"));
    if (GradcheckModel(info, ModelValues(info, flags), batch, seed, atol, rtol) > 0)
      failed.push_back(info.name);
  } else {
    for (const ModelInfo& info : ModelRegistry()) {
      if (GradcheckModel(info, HyperParams(info.hyperparams), batch, seed, atol, rtol) > 0)
        failed.push_back(info.name);
    }
  }
  const size_t checked = all ? ModelRegistry().size() : 1;
  if (failed.empty()) {
    std::printf("gradcheck: PASS (%zu model%s)\n", checked, checked == 1 ? "" : "s");
    return 0;
  }
  std::string names;
  for (const std::string& n : failed) names += (names.empty() ? "" : ", ") + n;
  std::printf("gradcheck: FAIL (%zu of %zu models: %s)\n", failed.size(), checked, names.c_str());
  return 1;
}

// --- grads ---------------------------------------------------------------------------------------

namespace {

constexpr const char* kGradsAbout =
    "Runs one forward and backward pass of the model's loss (f64, CPU) on a small batch and\n"
    "prints the tape in the order backward visits it: each op, what its inputs are (an earlier\n"
    "node #k, a parameter, x or labels), its outputs' min/mean/max, the L2 norm of the gradient\n"
    "each output received and of each gradient it sent to its inputs. For the fused\n"
    "reparameterize + KL op of the VAEs (vae, beta-vae, cvae, conv-vae) it also prints the\n"
    "closed-form gradients beside autograd's. Inputs: synthetic uniform grey levels of 28x28,\n"
    "or the first test images of --data.\n";

std::string GradNorm(const Tensor& g) {
  if (!g.defined()) return "none";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4e", Summarize(g).norm);
  return buf;
}

// The reparameterize + KL node's gradients in closed form beside autograd's.
void PrintReparamClosedForm(const TapeEntry& e) {
  const ReparamKlClosedForm cf = ReparamKlGradients(e.inputs[0], e.inputs[1], e.outputs[0],
                                                    e.grad_outputs[0], e.grad_outputs[1]);
  std::printf("      closed form (kernels/reparam_kl.h), eps = (z - mu) / exp(logvar/2), w = grad "
              "of kl:\n"
              "        dz/dmu = 1   dz/dlogvar = exp(logvar/2) eps / 2   dKL/dmu = mu   "
              "dKL/dlogvar = (exp(logvar) - 1) / 2\n");
  const auto line = [](const char* formula, const char* against, double diff) {
    std::printf("        %-62s max |closed - %s| %.3e\n", formula, against, diff);
  };
  const double dmu_diff = MaxAbsDifference(cf.dmu, e.grad_inputs[0]);
  const double dlogvar_diff = MaxAbsDifference(cf.dlogvar, e.grad_inputs[1]);
  line("dmu     = dz + w mu", "autograd", dmu_diff);
  line("dlogvar = dz eps exp(logvar/2) / 2 + w (exp(logvar) - 1) / 2", "autograd", dlogvar_diff);
  line("kl      = -1/2 sum_d (1 + logvar - mu^2 - exp(logvar))", "forward ",
       MaxAbsDifference(cf.kl, e.outputs[1]));
  // In f64 the two differ by rounding only: recovering eps from z costs a few ulps of z, so
  // 1e-10 of the gradients' scale leaves five orders of magnitude of margin.
  const double scale = std::max({1.0, Summarize(e.grad_inputs[0]).norm,
                                 Summarize(e.grad_inputs[1]).norm});
  const bool agree = dmu_diff <= 1e-10 * scale && dlogvar_diff <= 1e-10 * scale;
  std::printf("        closed form vs autograd: %s (tolerance 1e-10 x %.3g)\n",
              agree ? "AGREE" : "DISAGREE", scale);
  std::printf("        |dmu| through z %.4e, through KL %.4e;  |dlogvar| through z %.4e, "
              "through KL %.4e\n",
              Summarize(cf.dmu_via_z).norm, Summarize(cf.dmu_via_kl).norm,
              Summarize(cf.dlogvar_via_z).norm, Summarize(cf.dlogvar_via_kl).norm);
  const int64_t D = e.inputs[0].size(1), shown = std::min<int64_t>(D, 4);
  const std::vector<double> mu = e.inputs[0].ToVector<double>(),
                            lv = e.inputs[1].ToVector<double>(), eps = cf.eps.ToVector<double>(),
                            dmu = cf.dmu.ToVector<double>(), dlv = cf.dlogvar.ToVector<double>(),
                            amu = e.grad_inputs[0].ToVector<double>(),
                            alv = e.grad_inputs[1].ToVector<double>();
  const double w = e.grad_outputs[1].defined() ? e.grad_outputs[1].ToVector<double>()[0] : 0.0;
  const std::vector<double> dz = e.grad_outputs[0].defined()
                                     ? e.grad_outputs[0].ToVector<double>()
                                     : std::vector<double>(mu.size(), 0.0);
  std::printf("        row 0 (w = %.4g):\n        %2s %10s %10s %10s %10s %12s %12s %12s %12s\n", w,
              "d", "mu", "logvar", "eps", "dz", "dmu closed", "dmu autograd", "dlv closed",
              "dlv autograd");
  for (int64_t d = 0; d < shown; ++d) {
    std::printf("        %2lld %10.4f %10.4f %10.4f %10.4f %12.5e %12.5e %12.5e %12.5e\n",
                static_cast<long long>(d), mu[d], lv[d], eps[d], dz[d], dmu[d], amu[d], dlv[d],
                alv[d]);
  }
}

// What input `i` of entry `e` is: "#k op" for an earlier node, or the leaf's name.
std::string Origin(const TapeRecorder& rec, const std::vector<int>& step, const TapeEntry& e,
                   size_t i, const std::vector<NamedLeaf>& leaves) {
  if (!e.inputs[i].defined()) return "(none)";
  if (e.producers[i]) {
    const int p = rec.IndexOf(e.producers[i]);
    std::string s = "#" + std::to_string(step[p]) + " " + OpName(rec.entries()[p].node->op());
    if (rec.entries()[p].outputs.size() > 1) s += " out " + std::to_string(e.producer_outputs[i]);
    return s;
  }
  const NamedLeaf* leaf = FindLeaf(leaves, e.inputs[i]);
  return leaf ? leaf->name : "constant";
}

}  // namespace

int RunGrads(const Args& args) {
  Flags flags = StudyFlags("grads", args,
                           {{"model", "vae", "model to trace (see `latent models`)"},
                            {"batch", "4", "images in the batch"},
                            {"seed", "1", "seed of the parameters, the inputs and the noise"},
                            {"data", "", "IDX directory to take the first test images from "
                                         "(default: synthetic inputs)"}});
  if (Help(flags, args, kGradsAbout)) return 0;
  const ModelInfo& info = FindModel(flags.Get("model"));
  const int64_t batch = flags.GetInt("batch", 1, 1000);
  const uint64_t seed = static_cast<uint64_t>(flags.GetInt("seed", 0, INT64_MAX));
  ModelShape shape;
  Tensor x, labels;
  if (flags.Get("data").empty()) {
    x = SyntheticImages(batch, shape, seed);
    labels = CyclingLabels(batch, shape.num_classes);
  } else {
    const Dataset test = LoadDataset(flags.Get("data"), "t10k", Device::Cpu(), batch);
    shape = {test.height, test.width, std::max(test.num_classes, 10)};
    x = test.images.ToDType(DType::kF64);
    labels = test.labels;
  }
  std::unique_ptr<Model> model = info.create(ModelValues(info, flags), shape);
  model->params().Allocate(Device::Cpu(), seed, DType::kF64);

  TapeRecorder rec;
  LossOutput out;
  {
    TapeObserverGuard observe(&rec);
    out = model->Loss(x, labels, {seed, 0, true});
    out.loss.Backward();
  }
  std::printf("grads %s: batch %lld of %s %lldx%lld images, f64, seed %llu; loss %.6g",
              info.name.c_str(), static_cast<long long>(x.size(0)),
              flags.Get("data").empty() ? "synthetic" : "test",
              static_cast<long long>(shape.height), static_cast<long long>(shape.width),
              static_cast<unsigned long long>(seed), out.loss.item());
  for (const auto& [name, value] : out.parts) std::printf(", %s %.6g", name.c_str(), value.item());
  std::printf("\n");

  const std::vector<int>& order = rec.backward_order();
  std::vector<int> step(rec.entries().size(), 0);  // entry index -> backward step (1-based)
  for (size_t k = 0; k < order.size(); ++k) step[order[k]] = static_cast<int>(k) + 1;
  std::printf("tape: %zu nodes in the order backward runs them (#1 made the loss)\n"
              "  in:  where the input comes from (#k: the k-th node below, or a leaf), its shape, "
              "|grad| sent to it (- where none is needed)\n"
              "  out: shape, min/mean/max of the values, |grad| received (L2 norms)\n\n",
              order.size());
  const std::vector<NamedLeaf> leaves = ModelLeaves(*model, x, labels);
  for (size_t k = 0; k < order.size(); ++k) {
    const TapeEntry& e = rec.entries()[order[k]];
    std::printf("#%zu %s\n", k + 1, OpName(e.node->op()));
    for (size_t i = 0; i < e.inputs.size(); ++i) {
      if (!e.inputs[i].defined()) continue;
      std::printf("      in  %zu  %s %s  grad sent %s\n", i,
                  Pad(Origin(rec, step, e, i, leaves), 26).c_str(),
                  Pad(e.inputs[i].shape().ToString(), 14).c_str(),
                  e.grad_inputs[i].defined() ? GradNorm(e.grad_inputs[i]).c_str() : "-");
    }
    for (size_t j = 0; j < e.outputs.size(); ++j) {
      const ValueSummary s = Summarize(e.outputs[j]);
      std::printf("      out %zu  %s min %.4e mean %.4e max %.4e  grad received %s\n", j,
                  Pad(e.outputs[j].shape().ToString(), 14).c_str(), s.min, s.mean, s.max,
                  GradNorm(e.grad_outputs[j]).c_str());
    }
    // Both inputs of a VAE's reparam_kl need gradients; a graph where one does not (mu or
    // logvar a constant) has nothing to compare there.
    if (e.node->op() == OpKind::kReparamKl && e.grad_inputs[0].defined() &&
        e.grad_inputs[1].defined()) {
      PrintReparamClosedForm(e);
    }
  }
  const size_t off_tape = rec.entries().size() - order.size();
  if (off_tape > 0) {
    std::printf("\n%zu more node%s recorded for reported parts outside the loss; no gradient "
                "reaches them\n", off_tape, off_tape == 1 ? " was" : "s were");
  }
  return 0;
}

// --- graph ---------------------------------------------------------------------------------------

namespace {
constexpr const char* kGraphAbout =
    "Writes the autograd graph of one evaluation of the model's loss (28x28 synthetic inputs,\n"
    "f32, CPU) as Graphviz DOT to stdout: ellipses are ops (name and output shapes), filled\n"
    "boxes parameters, bold boxes the data (x, labels), dashed boxes other constants. Render it\n"
    "with:  latent graph --model vae > vae.dot && dot -Tpng vae.dot -o vae.png\n";
}  // namespace

int RunGraph(const Args& args) {
  Flags flags = StudyFlags("graph", args,
                           {{"model", "vae", "model to draw (see `latent models`)"},
                            {"batch", "2", "images in the batch (it only changes shapes)"},
                            {"seed", "1", "seed of the parameters, the inputs and the noise"}});
  if (Help(flags, args, kGraphAbout)) return 0;
  const ModelInfo& info = FindModel(flags.Get("model"));
  const int64_t batch = flags.GetInt("batch", 1, 100000);
  const uint64_t seed = static_cast<uint64_t>(flags.GetInt("seed", 0, INT64_MAX));
  const ModelShape shape;
  std::unique_ptr<Model> model = info.create(ModelValues(info, flags), shape);
  model->params().Allocate(Device::Cpu(), seed);
  const Tensor x = SyntheticImages(batch, shape, seed).ToDType(DType::kF32);
  const Tensor labels = CyclingLabels(batch, shape.num_classes);
  const Tensor loss = model->Loss(x, labels, {seed, 0, true}).loss;
  std::fputs(GraphToDot(loss, ModelLeaves(*model, x, labels)).c_str(), stdout);
  std::fprintf(stderr, "graph of %s's loss: %zu ops, %d parameter tensors\n", info.name.c_str(),
               TopologicalOrder(loss).size(), model->params().size());
  return 0;
}

}  // namespace latent
