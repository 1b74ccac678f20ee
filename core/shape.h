// A tensor's shape: up to four dimensions, row-major.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>

#include "kernels/error.h"

namespace latent {

class Shape {
 public:
  static constexpr int kMaxDims = 4;
  // The most elements a shape may have: 2^60 - 1, so that numel() and a tensor's bytes (8 per f64
  // element) fit in int64 without wrapping. No machine holds a tensor near it; the bound turns
  // absurd dimensions (a corrupt header, a mistyped width) into an error naming them rather than
  // a product that wraps to a small or negative size.
  static constexpr int64_t kMaxNumel = std::numeric_limits<int64_t>::max() / 8;

  Shape() = default;
  Shape(std::initializer_list<int64_t> dims) {
    LATENT_CHECK(dims.size() <= kMaxDims, "shapes have at most ", kMaxDims, " dimensions, found ",
                 dims.size());
    for (int64_t d : dims) {
      LATENT_CHECK(d >= 0, "shape dimensions must be non-negative, found ", d);
      dims_[ndim_++] = d;
    }
    // The product of the nonzero dimensions bounds every partial product numel() and row_size()
    // form, in any order, even where a zero makes the shape empty. Checked a step ahead so that
    // the check itself cannot overflow.
    int64_t n = 1;
    for (int i = 0; i < ndim_; ++i) {
      if (dims_[i] == 0) continue;
      LATENT_CHECK(n <= kMaxNumel / dims_[i], "shape ", ToString(), ": expected at most ",
                   kMaxNumel, " elements (2^60 - 1, so that its bytes fit in 64 bits), found a "
                   "product of dimensions beyond that");
      n *= dims_[i];
    }
  }

  int ndim() const { return ndim_; }
  int64_t operator[](int i) const { return dims_[i]; }
  int64_t& operator[](int i) { return dims_[i]; }
  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < ndim_; ++i) n *= dims_[i];
    return n;
  }
  // Product of all dimensions but the first: the length of one row of a (B, ...) tensor.
  int64_t row_size() const {
    int64_t n = 1;
    for (int i = 1; i < ndim_; ++i) n *= dims_[i];
    return n;
  }

  bool operator==(const Shape& o) const {
    if (ndim_ != o.ndim_) return false;
    for (int i = 0; i < ndim_; ++i)
      if (dims_[i] != o.dims_[i]) return false;
    return true;
  }
  bool operator!=(const Shape& o) const { return !(*this == o); }

  std::string ToString() const {
    std::string s = "(";
    for (int i = 0; i < ndim_; ++i) s += (i ? ", " : "") + std::to_string(dims_[i]);
    return s + (ndim_ == 1 ? ",)" : ")");
  }

 private:
  std::array<int64_t, kMaxDims> dims_{};
  int ndim_ = 0;
};

}  // namespace latent
