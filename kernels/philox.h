// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11), the
// counter-based generator behind every random number in latent. The same (key, counter) gives the
// same four 32-bit words on the CPU and on a GPU, so noise, dropout masks and shuffles agree
// across devices, and a kernel can regenerate its noise from the counter instead of storing it.
//
// Stream layout used everywhere: key = seed; counter = (block, offset), where `offset` names one
// draw (e.g. the training step) and `block` = element index / 4. One call yields four uniforms, or
// four normals via both outputs of two Box-Muller pairs.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/host_device.h"

namespace latent {

struct Philox4x32 {
  uint32_t v[4];
};

namespace philox_detail {
constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;    // round multipliers
constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;  // key schedule increments

LATENT_HOST_DEVICE void MulHiLo(uint32_t a, uint32_t b, uint32_t* hi, uint32_t* lo) {
  const uint64_t p = static_cast<uint64_t>(a) * b;
  *hi = static_cast<uint32_t>(p >> 32);
  *lo = static_cast<uint32_t>(p);
}
}  // namespace philox_detail

// Ten rounds of Philox4x32 on counter c with key (k0, k1).
LATENT_HOST_DEVICE Philox4x32 Philox4x32_10(Philox4x32 c, uint32_t k0, uint32_t k1) {
  using namespace philox_detail;
  for (int round = 0; round < 10; ++round) {
    uint32_t hi0, lo0, hi1, lo1;
    MulHiLo(kMul0, c.v[0], &hi0, &lo0);
    MulHiLo(kMul1, c.v[2], &hi1, &lo1);
    c = Philox4x32{{hi1 ^ c.v[1] ^ k0, lo1, hi0 ^ c.v[3] ^ k1, lo0}};
    k0 += kWeyl0;
    k1 += kWeyl1;
  }
  return c;
}

// The four words for element block `block` of draw `offset` under `seed`.
LATENT_HOST_DEVICE Philox4x32 PhiloxBlock(uint64_t seed, uint64_t offset, uint64_t block) {
  Philox4x32 c{{static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32),
                static_cast<uint32_t>(offset), static_cast<uint32_t>(offset >> 32)}};
  return Philox4x32_10(c, static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
}

// A word to a uniform in the open interval (0, 1): the top 23 bits plus one half is exact in
// float's 24-bit significand (24 bits plus a half would round the largest value up to 1.0), so
// neither 0 (log(0) in Box-Muller) nor 1 can occur.
LATENT_HOST_DEVICE float UniformFromBits(uint32_t x) {
  return (static_cast<float>(x >> 9) + 0.5f) * (1.0f / 8388608.0f);
}

// Element i of the uniform stream (seed, offset).
LATENT_HOST_DEVICE float PhiloxUniform(uint64_t seed, uint64_t offset, uint64_t i) {
  return UniformFromBits(PhiloxBlock(seed, offset, i / 4).v[i % 4]);
}

// Element i of the standard-normal stream (seed, offset): Box-Muller on the pair of uniforms
// (u[2p], u[2p+1]) with p = (i % 4) / 2; even i take the cosine output, odd i the sine.
// Computed in T so that f64 gradient checks see the same noise up to float rounding of u.
template <typename T>
LATENT_HOST_DEVICE T PhiloxNormal(uint64_t seed, uint64_t offset, uint64_t i) {
  using std::cos, std::log, std::sin, std::sqrt;  // the float overloads when T is float
  const Philox4x32 r = PhiloxBlock(seed, offset, i / 4);
  const int pair = static_cast<int>(i % 4) / 2;
  const T u1 = static_cast<T>(UniformFromBits(r.v[2 * pair]));
  const T u2 = static_cast<T>(UniformFromBits(r.v[2 * pair + 1]));
  const T radius = sqrt(T(-2) * log(u1));
  const T angle = T(6.283185307179586476925286766559) * u2;
  return (i % 2 == 0) ? radius * cos(angle) : radius * sin(angle);
}

}  // namespace latent
