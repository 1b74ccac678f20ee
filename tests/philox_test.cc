// Philox4x32-10 against the known-answer vectors published with Random123 (kat_vectors), and the
// properties of the streams built on it.
#include <gtest/gtest.h>

#include <set>

#include "kernels/philox.h"
#include "core/random.h"

namespace latent {
namespace {

void ExpectPhilox(Philox4x32 ctr, uint32_t k0, uint32_t k1, Philox4x32 expected) {
  const Philox4x32 got = Philox4x32_10(ctr, k0, k1);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(got.v[i], expected.v[i]) << "word " << i;
}

TEST(Philox, Random123KnownAnswers) {
  ExpectPhilox({{0, 0, 0, 0}}, 0, 0, {{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}});
  ExpectPhilox({{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}}, 0xffffffff, 0xffffffff,
               {{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}});
  ExpectPhilox({{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}}, 0xa4093822, 0x299f31d0,
               {{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}});
}

TEST(Philox, SameSeedSameNumbersDifferentOffsetDifferentNumbers) {
  const Tensor a = RandomNormal({1000}, 7, 3);
  const Tensor b = RandomNormal({1000}, 7, 3);
  const Tensor c = RandomNormal({1000}, 7, 4);
  EXPECT_EQ(a.ToVector<float>(), b.ToVector<float>());
  EXPECT_NE(a.ToVector<float>(), c.ToVector<float>());
}

TEST(Philox, UniformsAreInTheOpenUnitInterval) {
  EXPECT_GT(UniformFromBits(0u), 0.0f);
  EXPECT_LT(UniformFromBits(0xffffffffu), 1.0f);
}

TEST(Philox, PermutationIsAPermutationAndDependsOnTheSeed) {
  const std::vector<int32_t> p = Permutation(1000, 1, 0);
  EXPECT_EQ(std::set<int32_t>(p.begin(), p.end()).size(), 1000u);
  EXPECT_EQ(*std::min_element(p.begin(), p.end()), 0);
  EXPECT_EQ(*std::max_element(p.begin(), p.end()), 999);
  EXPECT_EQ(p, Permutation(1000, 1, 0));
  EXPECT_NE(p, Permutation(1000, 2, 0));
  EXPECT_NE(p, Permutation(1000, 1, 1));
}

TEST(Philox, StreamOffsetsKeepPurposesApart) {
  EXPECT_NE(StreamOffset(Stream::kInit, 5), StreamOffset(Stream::kNoise, 5));
  EXPECT_EQ(StreamOffset(Stream::kNoise, 5) & 0xffff, 5u);
}

}  // namespace
}  // namespace latent
