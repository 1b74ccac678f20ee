// The learning rate of each optimizer step: a pure function of the global step and the run's
// total steps, never accumulated, so that a run resumed at step s takes exactly the rates of an
// uninterrupted one (trainer.h's TrainState holds s). With lr the base rate, W = warmup_steps,
// s the 0-based step and s' = s - W the step counted from the end of the warm-up:
//
//   warm-up (s < W):  lr * (s + 1) / W          (the first step takes lr / W, step W - 1 takes lr)
//   constant:         lr
//   step:             max(min_lr, lr * gamma^floor(s' / step_size))
//   cosine:           min_lr + (lr - min_lr) * (1 + cos(pi * min(s', T') / T')) / 2,
//                     T' = total_steps - W (the decay reaches min_lr at the run's end)
#pragma once

#include <cstdint>
#include <string>

namespace latent {

enum class LrScheduleKind { kConstant, kStep, kCosine };

struct LrSchedule {
  LrScheduleKind kind = LrScheduleKind::kConstant;
  uint64_t warmup_steps = 0;
  uint64_t step_size = 1000;  // step: steps between two multiplications by gamma
  double gamma = 0.1;         // step: the factor
  double min_lr = 0.0;        // step and cosine: the floor

  // The rate of step `step` (0-based, counted across epochs) of a run of `total_steps` steps.
  double LrAt(double lr, uint64_t step, uint64_t total_steps) const;
};

// "constant", "step" or "cosine"; throws latent::Error naming the three otherwise.
LrScheduleKind ParseLrScheduleKind(const std::string& name);
const char* LrScheduleName(LrScheduleKind kind);

}  // namespace latent
