// Looking inside a model's gradients, the computations behind `latent gradcheck` and `latent
// grads` (tools/cli/cmd_study.cc), kept here so the tests can run them:
//
//   - a whole model's loss gradient against central differences, parameter tensor by parameter
//     tensor, in f64 on the small shapes that make every registered model cheap to check;
//   - a recorder of the tape (core/autograd.h's TapeObserver): each node's outputs and the
//     gradients that flowed through it;
//   - the closed-form gradients of the fused reparameterize + KL op, to set beside autograd's.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/autograd.h"
#include "core/gradcheck.h"
#include "core/graph_dot.h"
#include "models/model.h"

namespace latent {

// --- whole-model gradient checks -----------------------------------------------------------------

// Where `latent gradcheck` checks a model: images of 3x4 (4x8 for the convolutional models,
// which halve the image twice) and, for the hyperparameters the user leaves unset, narrow layers
// (latent-dim 6, hidden 8, widths 10,8,6, channels 4). Every parameter element costs two loss
// evaluations, so small shapes keep the check fast; narrower layers than these leave whole ReLU
// layers dead for some seeds (an identically zero gradient, which checks nothing).
struct GradCheckSetting {
  ModelShape shape;
  std::vector<std::pair<std::string, std::string>> narrow;  // (hyperparameter, value)
};
GradCheckSetting GradCheckSettingFor(const std::string& model_name);
// Gives every hyperparameter of `setting` that `values` declare and that was not Set its narrow
// value; returns those as "name=value name=value" (empty when none).
std::string ApplyNarrowValues(const GradCheckSetting& setting, HyperParams& values);

// The same tolerances as the op table's checks (core/op_table.cc): autograd and f64 central
// differences agree to within atol + rtol |numeric| on smooth losses.
constexpr double kModelGradCheckAtol = 1e-6, kModelGradCheckRtol = 1e-5;

struct ParameterCheck {
  Shape shape;
  GradCheckEntry result;         // name, max abs/rel errors, passed
  double max_abs_gradient = 0;  // max_i |autograd_i|: 0 means the check compared zeros only
};

// Checks d loss / d p for every parameter tensor p of `model`, whose parameters must be allocated
// in f64 on the CPU. The loss is model.Loss(x, labels, ctx).loss: a fixed ctx fixes the noise
// (VAE sampling, corruption, dropout), so every evaluation computes the same function.
std::vector<ParameterCheck> CheckModelGradients(Model& model, const Tensor& x, const Tensor& labels,
                                                const StepContext& ctx, double atol, double rtol);

// The leaves to name in tapes and graphs: every parameter of `model`, then x and labels.
std::vector<NamedLeaf> ModelLeaves(Model& model, const Tensor& x, const Tensor& labels);

// --- the tape, as a TapeObserver sees it ---------------------------------------------------------

struct TapeEntry {
  // Kept alive while the recorder lives, so no two entries can share an address.
  std::shared_ptr<Node> node;
  // Detached handles, taken when the node was recorded: what the op read and what it computed.
  std::vector<Tensor> inputs, outputs;
  // Which node produced each input (null for leaves), and which of its outputs.
  std::vector<const Node*> producers;
  std::vector<int> producer_outputs;
  // Filled when backward runs the node: the gradients its outputs received and those it returned
  // for its inputs (undefined where none).
  bool backward_ran = false;
  std::vector<Tensor> grad_outputs, grad_inputs;
};

// Records every node of the tape while installed with a TapeObserverGuard.
class TapeRecorder : public TapeObserver {
 public:
  void OnRecord(const std::shared_ptr<Node>& node, const std::vector<Tensor>& outputs) override;
  void OnBackward(const Node& node, const std::vector<Tensor>& grad_outputs,
                  const std::vector<Tensor>& grad_inputs) override;

  // In the order the ops were recorded (forward order).
  const std::vector<TapeEntry>& entries() const { return entries_; }
  // Indices into entries(), in the order backward ran the nodes.
  const std::vector<int>& backward_order() const { return backward_order_; }
  // The index of `node`'s entry, or -1.
  int IndexOf(const Node* node) const;

 private:
  std::vector<TapeEntry> entries_;
  std::vector<int> backward_order_;
};

// --- the reparameterize + KL op in closed form ---------------------------------------------------

// kernels/reparam_kl.h's backward written out term by term, from the node's inputs mu and logvar
// (B, D), its output z and the gradients its outputs received, dz (B, D) and w = dkl (B) (either
// undefined when none arrived). The noise is recovered from the output, eps = (z - mu) /
// exp(logvar / 2), so nothing depends on how the kernel draws it:
//   through z:   dz/dmu = 1,                   dz/dlogvar = exp(logvar / 2) eps / 2
//   through KL:  dKL/dmu = mu,                 dKL/dlogvar = (exp(logvar) - 1) / 2
//   dmu = dz + w mu,   dlogvar = dz eps exp(logvar / 2) / 2 + w (exp(logvar) - 1) / 2
// All tensors f64 on the CPU, (B, D).
struct ReparamKlClosedForm {
  Tensor eps;
  Tensor dmu_via_z, dmu_via_kl, dlogvar_via_z, dlogvar_via_kl;
  Tensor dmu, dlogvar;  // the sums
  Tensor kl;            // (B): -1/2 sum_d (1 + logvar - mu^2 - exp(logvar)), the forward output
};
ReparamKlClosedForm ReparamKlGradients(const Tensor& mu, const Tensor& logvar, const Tensor& z,
                                       const Tensor& dz, const Tensor& dkl);

// What `latent grads` prints of a tensor (any float dtype, CPU): its extremes, mean and L2 norm.
struct ValueSummary {
  double min = 0, mean = 0, max = 0, norm = 0;
};
ValueSummary Summarize(const Tensor& t);

// max_i |a_i - b_i| over two tensors of one shape (any float dtype, CPU).
double MaxAbsDifference(const Tensor& a, const Tensor& b);

}  // namespace latent
