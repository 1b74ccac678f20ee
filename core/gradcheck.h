// Gradient checking: autograd's gradient of a scalar function against central finite differences,
// in double precision on the CPU.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace latent {

struct GradCheckEntry {
  std::string name;
  double max_abs_error = 0.0;  // max_i |autograd_i - numeric_i|
  double max_rel_error = 0.0;  // max_i |autograd_i - numeric_i| / max(|numeric_i|, 1e-3)
  bool passed = false;         // every i within atol + rtol |numeric_i|
};

// `loss` recomputes the scalar from `inputs` (f64 CPU leaves that require gradients; their
// values are perturbed in place by +-h and restored). Returns one entry per input.
std::vector<GradCheckEntry> GradCheck(const std::function<Tensor()>& loss,
                                      const std::vector<Tensor>& inputs,
                                      const std::vector<std::string>& names, double atol,
                                      double rtol, double h = 1e-6);

}  // namespace latent
