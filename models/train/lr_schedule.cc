#include "models/train/lr_schedule.h"

#include <algorithm>
#include <cmath>

#include "kernels/error.h"

namespace latent {

double LrSchedule::LrAt(double lr, uint64_t step, uint64_t total_steps) const {
  if (step < warmup_steps) return lr * double(step + 1) / double(warmup_steps);
  const uint64_t s = step - warmup_steps;
  switch (kind) {
    case LrScheduleKind::kConstant:
      return lr;  // returned as given, so that the default schedule leaves Adam's rate untouched
    case LrScheduleKind::kStep:
      return std::max(min_lr, lr * std::pow(gamma, double(s / step_size)));
    case LrScheduleKind::kCosine: {
      // A run no longer than its warm-up has no decay phase: it ends at the floor.
      const uint64_t span = total_steps > warmup_steps ? total_steps - warmup_steps : 0;
      if (span == 0) return min_lr;
      const double progress = double(std::min(s, span)) / double(span);
      return min_lr + (lr - min_lr) * 0.5 * (1.0 + std::cos(M_PI * progress));
    }
  }
  LATENT_FAIL("unknown learning-rate schedule ", static_cast<int>(kind));
}

LrScheduleKind ParseLrScheduleKind(const std::string& name) {
  for (LrScheduleKind kind :
       {LrScheduleKind::kConstant, LrScheduleKind::kStep, LrScheduleKind::kCosine}) {
    if (name == LrScheduleName(kind)) return kind;
  }
  LATENT_FAIL("expected a learning-rate schedule constant, step or cosine, found '", name, "'");
}

const char* LrScheduleName(LrScheduleKind kind) {
  switch (kind) {
    case LrScheduleKind::kConstant:
      return "constant";
    case LrScheduleKind::kStep:
      return "step";
    case LrScheduleKind::kCosine:
      return "cosine";
  }
  return "?";
}

}  // namespace latent
