// Optimizers over a model's flat parameter buffer (core/parameters.h). The update formulas are
// in kernels/optim.h; Step() is one kernel call over the whole buffer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/parameters.h"

namespace latent {

class Optimizer {
 public:
  explicit Optimizer(Parameters& params) : params_(params) {}
  virtual ~Optimizer() = default;
  virtual void Step() = 0;
  void ZeroGrad() { params_.ZeroGrad(); }

 protected:
  Parameters& params_;
};

class Sgd : public Optimizer {
 public:
  Sgd(Parameters& params, double lr, double momentum = 0.0);
  void Step() override;

 private:
  double lr_, momentum_;
  Tensor velocity_;
};

// Adam, or AdamW with a weight_decay > 0 (the formulas: kernels/optim.h).
class Adam : public Optimizer {
 public:
  Adam(Parameters& params, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
       double eps = 1e-8, double weight_decay = 0.0);
  void Step() override;
  int64_t steps() const { return t_; }
  double lr() const { return lr_; }
  // The rate of the next steps (a schedule sets it before each step); throws latent::Error
  // outside [0, 1e6].
  void set_lr(double lr);

  // What a checkpoint keeps to continue exactly: both moments, laid out as the flat parameter
  // buffer, and the step count (the bias corrections' exponent).
  std::vector<float> first_moment() const { return m_.ToVector<float>(); }
  std::vector<float> second_moment() const { return v_.ToVector<float>(); }
  // Throws latent::Error naming `source` if a moment's size differs from the parameter buffer's,
  // a value is not finite or a second moment is negative, or steps is negative.
  void Restore(const std::vector<float>& m, const std::vector<float>& v, int64_t steps,
               const std::string& source);

 private:
  double lr_, beta1_, beta2_, eps_, weight_decay_;
  int64_t t_ = 0;
  Tensor m_, v_;
};

}  // namespace latent
