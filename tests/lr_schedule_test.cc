// The learning-rate schedules against their closed forms at the steps where they change shape:
// the warm-up's first and last step, the step schedule's boundaries, cosine at its start, half
// way and end.
#include "models/train/lr_schedule.h"

#include <gtest/gtest.h>

#include <cmath>

#include "kernels/error.h"

namespace latent {
namespace {

constexpr double kLr = 0.1;

TEST(LrSchedule, ConstantReturnsTheRateUnchanged) {
  const LrSchedule constant;
  // Exactly, not nearly: the default schedule must leave today's training bit for bit.
  for (uint64_t s : {0u, 1u, 999u, 1000000u}) EXPECT_EQ(constant.LrAt(kLr, s, 100), kLr);
}

TEST(LrSchedule, WarmUpRisesLinearlyToTheRate) {
  LrSchedule warm;
  warm.warmup_steps = 4;
  EXPECT_DOUBLE_EQ(warm.LrAt(kLr, 0, 100), kLr / 4);  // the first step is not wasted at 0
  EXPECT_DOUBLE_EQ(warm.LrAt(kLr, 1, 100), kLr * 2 / 4);
  EXPECT_DOUBLE_EQ(warm.LrAt(kLr, 3, 100), kLr);  // the last warm-up step reaches lr
  EXPECT_DOUBLE_EQ(warm.LrAt(kLr, 4, 100), kLr);
}

TEST(LrSchedule, StepMultipliesByGammaAtEachBoundaryAfterTheWarmUp) {
  LrSchedule step;
  step.kind = LrScheduleKind::kStep;
  step.warmup_steps = 2;
  step.step_size = 10;
  step.gamma = 0.5;
  EXPECT_DOUBLE_EQ(step.LrAt(kLr, 1, 100), kLr);       // warm-up's end
  EXPECT_DOUBLE_EQ(step.LrAt(kLr, 2, 100), kLr);       // s' = 0
  EXPECT_DOUBLE_EQ(step.LrAt(kLr, 11, 100), kLr);      // s' = 9, the last before the boundary
  EXPECT_DOUBLE_EQ(step.LrAt(kLr, 12, 100), kLr / 2);  // s' = 10
  EXPECT_DOUBLE_EQ(step.LrAt(kLr, 32, 100), kLr / 8);  // s' = 30
  step.min_lr = kLr / 5;
  EXPECT_DOUBLE_EQ(step.LrAt(kLr, 32, 100), kLr / 5);  // held at the floor
}

TEST(LrSchedule, CosineDecaysFromTheRateToTheFloorOverTheRun) {
  LrSchedule cosine;
  cosine.kind = LrScheduleKind::kCosine;
  cosine.warmup_steps = 10;
  cosine.min_lr = 0.01;
  const uint64_t total = 110;  // T' = 100 steps of decay
  EXPECT_DOUBLE_EQ(cosine.LrAt(kLr, 9, total), kLr);
  EXPECT_DOUBLE_EQ(cosine.LrAt(kLr, 10, total), kLr);               // cos(0) = 1
  EXPECT_DOUBLE_EQ(cosine.LrAt(kLr, 60, total), (kLr + 0.01) / 2);  // cos(pi / 2) = 0
  EXPECT_DOUBLE_EQ(cosine.LrAt(kLr, 35, total),                     // a quarter way
                   0.01 + (kLr - 0.01) * (1 + std::cos(M_PI / 4)) / 2);
  EXPECT_NEAR(cosine.LrAt(kLr, 110, total), 0.01, 1e-15);  // cos(pi) = -1
  EXPECT_NEAR(cosine.LrAt(kLr, 500, total), 0.01, 1e-15);  // past the end: held
  EXPECT_EQ(cosine.LrAt(kLr, 20, 5), 0.01);  // a run within its warm-up has no decay phase
}

TEST(LrSchedule, NamesRoundTripAndUnknownOnesAreErrors) {
  for (LrScheduleKind kind :
       {LrScheduleKind::kConstant, LrScheduleKind::kStep, LrScheduleKind::kCosine})
    EXPECT_EQ(ParseLrScheduleKind(LrScheduleName(kind)), kind);
  EXPECT_THROW(ParseLrScheduleKind("linear"), Error);
}

}  // namespace
}  // namespace latent
