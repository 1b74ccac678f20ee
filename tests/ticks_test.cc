// The tick rules of tools/plot/ticks.h against hand-worked cases: linear ticks at 1, 2 or 5 x 10^k,
// logarithmic ticks, labels with the decimals the step needs, and errors that say what was
// expected.
#include "tools/plot/ticks.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "tests/test_util.h"

namespace latent {
namespace {

using latent::testing::ExpectErrorContaining;

void ExpectTicks(const std::vector<double>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], 1e-9 * std::max(1.0, std::fabs(want[i]))) << "tick " << i;
}

TEST(PlotTicks, NiceTicksAreMultiplesOfOneTwoOrFiveTimesAPowerOfTen) {
  ExpectTicks(NiceTicks(0.0, 1.0), {0.0, 0.2, 0.4, 0.6, 0.8, 1.0});
  ExpectTicks(NiceTicks(103.2, 127.9), {105, 110, 115, 120, 125});
  // span 5.9 / 5 = 1.18 -> step 2
  ExpectTicks(NiceTicks(-3.7, 2.2), {-2, 0, 2});
  // span 0.00078 / 5 = 0.000156 -> step 0.0002
  ExpectTicks(NiceTicks(0.00013, 0.00091), {0.0002, 0.0004, 0.0006, 0.0008});
  // Rounding: 0.30000000000000004 / 3 is a step of 0.1, and 0.3 / 0.1 < 3 still reaches 0.3.
  ExpectTicks(NiceTicks(0.1, 0.4, 3), {0.1, 0.2, 0.3, 0.4});
  ExpectTicks(NiceTicks(0.1, 0.3, 2), {0.1, 0.2, 0.3});
  // span 90 / 10 = 9 -> step 10, ends included
  ExpectTicks(NiceTicks(10.0, 100.0, 10), {10, 20, 30, 40, 50, 60, 70, 80, 90, 100});
  EXPECT_EQ(NiceTicks(-1.0, 1.0)[2], 0.0);
  EXPECT_FALSE(std::signbit(NiceTicks(-1.0, 1.0)[2]));
  ExpectErrorContaining([] { NiceTicks(1.0, 1.0); }, {"lo < hi", "lo=1 hi=1"});
  ExpectErrorContaining([] { NiceTicks(0.0, NAN); }, {"hi=nan"});
}

TEST(PlotTicks, LogTicksArePowersOfTenOrOneTwoFiveWithinADecade) {
  ExpectTicks(LogTicks(0.001, 100.0), {0.001, 0.01, 0.1, 1, 10, 100});
  ExpectTicks(LogTicks(2.0, 30.0), {2, 5, 10, 20});
  ExpectTicks(LogTicks(0.5, 3.0), {0.5, 1, 2});
  ExpectErrorContaining([] { LogTicks(0.0, 1.0); }, {"0 < lo < hi", "lo=0"});
}

TEST(PlotTicks, LabelsShowTheDecimalsTheStepNeeds) {
  EXPECT_EQ(FormatTick(0.6000000000000001, 0.2), "0.6");
  EXPECT_EQ(FormatTick(1e-17, 0.2), "0.0");
  EXPECT_EQ(FormatTick(-1e-17, 0.2), "0.0");
  EXPECT_EQ(FormatTick(105.0, 5.0), "105");
  EXPECT_EQ(FormatTick(-2.0, 2.0), "-2");
  EXPECT_EQ(FormatTick(0.001, 0.001), "0.001");
  EXPECT_EQ(FormatTick(0.0004, 0.0002), "0.0004");
  EXPECT_EQ(FormatTick(2.5e-5, 5e-6), "2.5e-5");
  EXPECT_EQ(FormatTick(-2e-5, 1e-5), "-2e-5");
  EXPECT_EQ(FormatTick(1.5e7, 5e6), "1.5e7");
  EXPECT_EQ(FormatTick(0.0, 5e6), "0");
  EXPECT_EQ(FormatTick(250000.0, 50000.0), "250000");
}

}  // namespace
}  // namespace latent
