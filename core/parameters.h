// A model's parameters, stored as views into one flat buffer, with their gradients as views into a
// second flat buffer: an optimizer updates every parameter in one pass (one kernel launch on a
// GPU), and zeroing gradients is one fill.
//
// Two phases: layers Declare() their parameters while the model is built, then Allocate()
// creates the buffers on a device and initializes every parameter.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/io/safetensors.h"
#include "core/tensor.h"

namespace latent {

// How a parameter starts: U(-bound, bound), or a constant.
struct Init {
  enum Kind { kUniform, kConstant } kind = kUniform;
  double value = 0.0;  // bound for kUniform, the value for kConstant
  static Init Uniform(double bound) { return {kUniform, bound}; }
  static Init Constant(double value) { return {kConstant, value}; }
};

class Parameters {
 public:
  // Returns the parameter's index. Names are unique ("encoder.fc1.weight").
  int Declare(const std::string& name, const Shape& shape, Init init);
  // Creates the flat buffers on `device`; parameter i is initialized from the Philox stream
  // (seed, StreamOffset(kInit, i)), so a seed fixes the initial model on every device. Training
  // uses f32; f64 (CPU) exists for gradient checks of whole models. A model larger than the
  // device's memory is an error naming its parameter count, before any buffer exists.
  void Allocate(Device device, uint64_t seed, DType dtype = DType::kF32);

  const Tensor& operator[](int index) const { return values_.at(index); }
  int size() const { return static_cast<int>(entries_.size()); }
  const std::string& name(int index) const { return entries_.at(index).name; }
  int64_t count() const;  // number of scalar parameters (without alignment padding)
  bool allocated() const { return flat_values_.defined(); }
  Device device() const { return flat_values_.device(); }

  Tensor& flat_values() { return flat_values_; }
  // Every gradient, in one buffer; those of parameters no backward pass reached since ZeroGrad()
  // are zero-filled first (Tensor::grad).
  Tensor& flat_grads();
  // Marks every gradient zero (Tensor::ZeroGrad): the next backward pass writes each instead of
  // adding to it. The alignment padding between parameters is zero from Allocate() on and stays
  // zero (no gradient is written there; clipping scales it).
  void ZeroGrad();

  // Checkpoint I/O: every parameter by name, as f32 arrays on the host.
  std::vector<NamedArray> ToArrays() const;
  // Loads values by name; every parameter must be present with its shape and finite values, and
  // every array must be a parameter. Throws latent::Error naming `source` and the tensor
  // otherwise, before any value is changed.
  void FromArrays(const std::vector<NamedArray>& arrays, const std::string& source);

 private:
  struct Entry {
    std::string name;
    Shape shape;
    Init init;
    int64_t offset = 0;  // in the flat buffer
  };
  std::vector<Entry> entries_;
  std::vector<Tensor> values_;
  int64_t total_ = 0;
  Tensor flat_values_, flat_grads_;
};

}  // namespace latent
