// Optimizers over a model's flat parameter buffer (core/parameters.h). The update formulas are
// in kernels/optim.h; Step() is one kernel call over the whole buffer.
#pragma once

#include <cstdint>

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

class Adam : public Optimizer {
 public:
  Adam(Parameters& params, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
       double eps = 1e-8);
  void Step() override;
  int64_t steps() const { return t_; }

 private:
  double lr_, beta1_, beta2_, eps_;
  int64_t t_ = 0;
  Tensor m_, v_;
};

}  // namespace latent
