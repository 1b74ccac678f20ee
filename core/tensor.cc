#include "core/tensor.h"

#include <cstring>

#include "core/allocator.h"
#include "core/autograd.h"
#include "core/cuda_runtime.h"
#include "core/dispatch.h"
#include "kernels/elementwise.h"

namespace latent {

Storage::Storage(size_t bytes, Device device) : bytes_(bytes), device_(device) {
  data_ = AllocatorFor(device).Allocate(bytes);
}

Storage::~Storage() { AllocatorFor(device_).Free(data_, bytes_); }

Tensor Tensor::Empty(const Shape& shape, DType dtype, Device device) {
  Tensor t;
  t.shape_ = shape;
  t.dtype_ = dtype;
  t.storage_ = std::make_shared<Storage>(shape.numel() * ElementSize(dtype), device);
  return t;
}

Tensor Tensor::Zeros(const Shape& shape, DType dtype, Device device) {
  return Full(shape, 0.0, dtype, device);
}

Tensor Tensor::Full(const Shape& shape, double value, DType dtype, Device device) {
  Tensor t = Empty(shape, dtype, device);
  t.Fill(value);
  return t;
}

template <typename T>
Tensor Tensor::FromVector(const std::vector<T>& values, const Shape& shape, Device device) {
  LATENT_CHECK(static_cast<int64_t>(values.size()) == shape.numel(), "expected ", shape.numel(),
               " values for shape ", shape.ToString(), ", found ", values.size());
  Tensor t = Empty(shape, DTypeOf<T>::value, device);
  CopyBytes(t.raw_data(), device, values.data(), Device::Cpu(), values.size() * sizeof(T));
  return t;
}
template Tensor Tensor::FromVector(const std::vector<float>&, const Shape&, Device);
template Tensor Tensor::FromVector(const std::vector<double>&, const Shape&, Device);
template Tensor Tensor::FromVector(const std::vector<int32_t>&, const Shape&, Device);

void* Tensor::raw_data() const {
  LATENT_CHECK(defined(), "access to an undefined tensor");
  return static_cast<char*>(storage_->data()) + offset_ * ElementSize(dtype_);
}

template <typename T>
T* Tensor::data() const {
  LATENT_CHECK(dtype_ == DTypeOf<T>::value, "expected a ", DTypeName(DTypeOf<T>::value),
               " tensor, found ", DTypeName(dtype_));
  return static_cast<T*>(raw_data());
}
template float* Tensor::data<float>() const;
template double* Tensor::data<double>() const;
template int32_t* Tensor::data<int32_t>() const;

template <typename T>
std::vector<T> Tensor::ToVector() const {
  std::vector<T> out(numel());
  CopyBytes(out.data(), Device::Cpu(), data<T>(), device(), nbytes());
  return out;
}
template std::vector<float> Tensor::ToVector() const;
template std::vector<double> Tensor::ToVector() const;
template std::vector<int32_t> Tensor::ToVector() const;

double Tensor::item() const {
  LATENT_CHECK(numel() == 1, "item() needs a one-element tensor, found shape ", shape_.ToString());
  switch (dtype_) {
    case DType::kF32: return ToVector<float>()[0];
    case DType::kF64: return ToVector<double>()[0];
    case DType::kI32: return ToVector<int32_t>()[0];
  }
  return 0.0;
}

Tensor Tensor::To(Device target) const {
  Tensor t = Empty(shape_, dtype_, target);
  t.CopyFrom(*this);
  return t;
}

Tensor Tensor::Clone() const { return To(device()); }

Tensor Tensor::ToDType(DType target) const {
  LATENT_CHECK(device().is_cpu(), "ToDType runs on the CPU; found a tensor on ",
               device().ToString());
  Tensor t = Empty(shape_, target, Device::Cpu());
  const int64_t n = numel();
  auto convert = [&](auto* dst) {
    using D = std::remove_pointer_t<decltype(dst)>;
    for (int64_t i = 0; i < n; ++i) {
      switch (dtype_) {
        case DType::kF32: dst[i] = static_cast<D>(data<float>()[i]); break;
        case DType::kF64: dst[i] = static_cast<D>(data<double>()[i]); break;
        case DType::kI32: dst[i] = static_cast<D>(data<int32_t>()[i]); break;
      }
    }
  };
  switch (target) {
    case DType::kF32: convert(t.data<float>()); break;
    case DType::kF64: convert(t.data<double>()); break;
    case DType::kI32: convert(t.data<int32_t>()); break;
  }
  return t;
}

void Tensor::CopyFrom(const Tensor& src) {
  LATENT_CHECK(src.shape_ == shape_, "copy: expected shape ", shape_.ToString(), ", found ",
               src.shape_.ToString());
  LATENT_CHECK(src.dtype_ == dtype_, "copy: expected dtype ", DTypeName(dtype_), ", found ",
               DTypeName(src.dtype_));
  CopyBytes(raw_data(), device(), src.raw_data(), src.device(), nbytes());
}

void Tensor::Fill(double value) {
  Dispatch<float, double, int32_t>("fill", *this,
                                   LATENT_KERNELS(kernels::FillCpu, kernels::FillCuda),
                                   [&](auto fill, auto zero) {
                                     using T = decltype(zero);
                                     fill(numel(), static_cast<T>(value), data<T>());
                                   });
}

Tensor Tensor::View(const Shape& shape) const {
  LATENT_CHECK(shape.numel() == numel(), "view: cannot view ", numel(), " elements ",
               shape_.ToString(), " as shape ", shape.ToString());
  Tensor t = Detach(*this);
  t.shape_ = shape;
  return t;
}

Tensor Tensor::Rows(int64_t begin, int64_t end) const {
  LATENT_CHECK(ndim() >= 1 && 0 <= begin && begin <= end && end <= size(0), "rows [", begin, ", ",
               end, ") out of range for shape ", shape_.ToString());
  Tensor t = Detach(*this);
  t.offset_ += begin * shape_.row_size();
  t.shape_[0] = end - begin;
  return t;
}

Tensor Tensor::Flat(int64_t offset, const Shape& shape) const {
  LATENT_CHECK(offset >= 0 && offset + shape.numel() <= numel(), "flat view of ", shape.numel(),
               " elements at ", offset, " exceeds a buffer of ", numel());
  Tensor t = Detach(*this);
  t.offset_ += offset;
  t.shape_ = shape;
  return t;
}

bool Tensor::requires_grad() const { return meta_ && meta_->requires_grad; }

void Tensor::SetRequiresGrad(bool on) { SetRequiresGrad(on, Tensor()); }

void Tensor::SetRequiresGrad(bool on, const Tensor& grad) {
  LATENT_CHECK(!meta_ || !meta_->grad_fn, "SetRequiresGrad applies to leaves; this tensor was "
               "computed by op '", OpName(meta_->grad_fn->op()), "'");
  LATENT_CHECK(!on || dtype_ != DType::kI32, "integer tensors cannot require gradients");
  if (grad.defined()) {
    LATENT_CHECK(grad.shape_ == shape_ && grad.dtype_ == dtype_ && grad.device() == device(),
                 "gradient buffer must match the tensor: expected ", shape_.ToString(), " ",
                 DTypeName(dtype_), ", found ", grad.shape_.ToString(), " ",
                 DTypeName(grad.dtype_));
  }
  meta_ = std::make_shared<AutogradMeta>();
  meta_->requires_grad = on;
  meta_->grad = grad;
}

Tensor Tensor::grad() const {
  if (!meta_) return Tensor();
  if (meta_->grad_is_zero) {
    meta_->grad.Fill(0.0);
    meta_->grad_is_zero = false;
  }
  return meta_->grad;
}

void Tensor::ZeroGrad() {
  if (meta_ && meta_->grad.defined()) meta_->grad_is_zero = true;
}

const std::shared_ptr<Node>& Tensor::grad_fn() const {
  static const std::shared_ptr<Node> kNone;
  return meta_ ? meta_->grad_fn : kNone;
}

int Tensor::output_index() const { return meta_ ? meta_->output_index : 0; }

void Tensor::Backward() const { RunBackward(*this); }

void Tensor::SetHistory(std::shared_ptr<Node> node, int output_index) {
  if (!node) {
    meta_.reset();
    return;
  }
  meta_ = std::make_shared<AutogradMeta>();
  meta_->requires_grad = true;
  meta_->grad_fn = std::move(node);
  meta_->output_index = output_index;
}

void CheckSameDevice(const char* op, const Tensor& a, const Tensor& b) {
  LATENT_CHECK(a.device() == b.device(), op, ": tensors on different devices: ",
               a.device().ToString(), " and ", b.device().ToString());
}

void CheckSameDType(const char* op, const Tensor& a, const Tensor& b) {
  LATENT_CHECK(a.dtype() == b.dtype(), op, ": tensors of different dtypes: ", DTypeName(a.dtype()),
               " and ", DTypeName(b.dtype()));
}

void CheckSameShape(const char* op, const Tensor& a, const Tensor& b) {
  LATENT_CHECK(a.shape() == b.shape(), op, ": shapes differ: ", a.shape().ToString(), " and ",
               b.shape().ToString());
}

void CheckDefined(const char* op, const Tensor& t, const char* what) {
  LATENT_CHECK(t.defined(), op, ": ", what, " is an undefined tensor");
}

void CheckFloat(const char* op, const Tensor& t) {
  LATENT_CHECK(t.dtype() != DType::kI32, op, ": expected a floating-point tensor, found i32");
}

void CheckNDim(const char* op, const Tensor& t, int ndim, const char* what) {
  CheckDefined(op, t, what);
  LATENT_CHECK(t.ndim() == ndim, op, ": expected ", what, " to have ", ndim,
               " dimensions, found shape ", t.shape().ToString());
}

}  // namespace latent
