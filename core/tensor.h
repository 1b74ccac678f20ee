// Tensor: a small value type. dtype, device, shape (<= 4 dims, contiguous row-major), a shared
// Storage plus an element offset (so views share memory), and a pointer to autograd state.
// Copying a Tensor copies the handle, not the data.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/device.h"
#include "kernels/error.h"
#include "core/shape.h"

namespace latent {

// One allocation on one device, returned to the device's caching allocator when the last tensor
// viewing it is destroyed.
class Storage {
 public:
  Storage(size_t bytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  Device device() const { return device_; }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
  Device device_;
};

class Node;
struct AutogradMeta;

class Tensor {
 public:
  Tensor() = default;  // undefined: holds nothing

  static Tensor Empty(const Shape& shape, DType dtype = DType::kF32, Device device = Device::Cpu());
  static Tensor Zeros(const Shape& shape, DType dtype = DType::kF32, Device device = Device::Cpu());
  static Tensor Full(const Shape& shape, double value, DType dtype = DType::kF32,
                     Device device = Device::Cpu());
  template <typename T>
  static Tensor FromVector(const std::vector<T>& values, const Shape& shape,
                           Device device = Device::Cpu());

  bool defined() const { return storage_ != nullptr; }
  const Shape& shape() const { return shape_; }
  int ndim() const { return shape_.ndim(); }
  int64_t size(int d) const { return shape_[d]; }
  int64_t numel() const { return shape_.numel(); }
  DType dtype() const { return dtype_; }
  Device device() const { return storage_ ? storage_->device() : Device::Cpu(); }
  size_t nbytes() const { return numel() * ElementSize(dtype_); }

  // Typed pointer to the first element; checks that T matches the dtype.
  template <typename T>
  T* data() const;
  void* raw_data() const;

  // Copies to the host as a vector of T (T must match the dtype).
  template <typename T>
  std::vector<T> ToVector() const;
  // Reads a one-element tensor (synchronizes with the device when on a GPU).
  double item() const;

  Tensor To(Device device) const;    // a copy on `device` (no autograd)
  Tensor ToDType(DType dtype) const;  // a converted copy, CPU only (no autograd)
  Tensor Clone() const;               // a copy on the same device (no autograd)
  void CopyFrom(const Tensor& src);   // same shape and dtype; any devices
  void Fill(double value);

  // Views share storage and carry no autograd history.
  Tensor View(const Shape& shape) const;            // same numel
  Tensor Rows(int64_t begin, int64_t end) const;    // rows [begin, end) of dim 0
  Tensor Flat(int64_t offset, const Shape& shape) const;  // `shape` at element `offset` of a 1-D buffer

  // --- autograd -------------------------------------------------------------------------------
  bool requires_grad() const;
  // Marks a leaf as needing a gradient. `grad`, when given, is the buffer gradients accumulate
  // into (a view into an optimizer's flat gradient buffer); otherwise one is allocated lazily.
  void SetRequiresGrad(bool on, const Tensor& grad);
  void SetRequiresGrad(bool on);
  // The accumulated gradient of a leaf (undefined if none yet). A gradient that ZeroGrad() marked
  // and no backward pass has written since is zero-filled here, on this first read.
  Tensor grad() const;
  // Sets the gradient to zero without touching its memory: the next backward pass overwrites it
  // instead of adding to it (one pass over the buffer instead of a fill and an add), and grad()
  // fills it with zeros if it is read first.
  void ZeroGrad();
  const std::shared_ptr<Node>& grad_fn() const;
  int output_index() const;
  // Reverse-mode pass from this scalar: d(this)/d(leaf) is accumulated (+=) into each leaf's grad.
  void Backward() const;

  // Used by the autograd engine and ops.
  void SetHistory(std::shared_ptr<Node> node, int output_index);
  AutogradMeta* autograd() const { return meta_.get(); }

 private:
  std::shared_ptr<Storage> storage_;
  int64_t offset_ = 0;  // in elements
  Shape shape_;
  DType dtype_ = DType::kF32;
  std::shared_ptr<AutogradMeta> meta_;
};

// Autograd state of a tensor: either a leaf (grad_fn null) with its gradient buffer, or the
// `output_index`-th output of the node that computed it.
struct AutogradMeta {
  bool requires_grad = false;
  std::shared_ptr<Node> grad_fn;
  int output_index = 0;
  Tensor grad;
  // Set by ZeroGrad(): grad's contents are stale and stand for zeros (see Tensor::ZeroGrad).
  bool grad_is_zero = false;
};

// Checks shared by ops: same device/dtype/shape, with messages naming the op and what was found.
void CheckSameDevice(const char* op, const Tensor& a, const Tensor& b);
void CheckSameDType(const char* op, const Tensor& a, const Tensor& b);
void CheckSameShape(const char* op, const Tensor& a, const Tensor& b);
void CheckDefined(const char* op, const Tensor& t, const char* what);
void CheckFloat(const char* op, const Tensor& t);
void CheckNDim(const char* op, const Tensor& t, int ndim, const char* what);

}  // namespace latent
