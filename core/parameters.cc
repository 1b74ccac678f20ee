#include "core/parameters.h"

#include <cmath>

#include "core/allocator.h"
#include "core/random.h"

namespace latent {

namespace {
// Each parameter starts on a 64-element (256-byte) boundary so vectorized kernels may treat it as
// aligned. The padding holds zeros with zero gradients, which every optimizer leaves at zero.
constexpr int64_t kAlign = 64;
}  // namespace

int Parameters::Declare(const std::string& name, const Shape& shape, Init init) {
  LATENT_CHECK(!allocated(), "parameter '", name, "' declared after the parameters were allocated");
  for (const Entry& e : entries_)
    LATENT_CHECK(e.name != name, "parameter '", name, "' declared twice");
  const int64_t padded = (shape.numel() + kAlign - 1) / kAlign * kAlign;
  // Shape bounds each parameter; this bounds their sum, so that the flat buffer's shape is valid.
  LATENT_CHECK(total_ <= Shape::kMaxNumel - padded, "parameter '", name, "' of shape ",
               shape.ToString(), ": expected a model of at most ", Shape::kMaxNumel,
               " parameters, found ", total_, " before it");
  entries_.push_back({name, shape, init, total_});
  total_ += padded;
  return static_cast<int>(entries_.size()) - 1;
}

void Parameters::Allocate(Device device, uint64_t seed, DType dtype) {
  LATENT_CHECK(dtype != DType::kI32, "parameters are f32 or f64");
  // Before the first buffer, so that a model too large for the device is reported by its size:
  // its values and gradients on `device`, and the f32 buffer on the host they start from.
  const std::string model = "a model of " + std::to_string(count()) + " parameters";
  const std::string values = std::string(DTypeName(dtype)) + " values and gradients";
  if (device.is_cpu()) {
    CheckFitsInMemory(device, total_, 2 * ElementSize(dtype) + 4,
                      model + " (" + values + ", f32 initial values)");
  } else {
    CheckFitsInMemory(device, total_, 2 * ElementSize(dtype), model + " (" + values + ")");
    CheckFitsInMemory(Device::Cpu(), total_, 4, "the f32 initial values of " + model);
  }
  Tensor host = Tensor::Zeros({total_}, DType::kF32, Device::Cpu());
  for (size_t i = 0; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    Tensor view = host.Flat(e.offset, e.shape);
    if (e.init.kind == Init::kConstant) {
      view.Fill(e.init.value);
    } else {
      // U(-bound, bound) from uniforms in (0, 1).
      Tensor u = RandomUniform(e.shape, seed, StreamOffset(Stream::kInit, i));
      float* dst = view.data<float>();
      const float* src = u.data<float>();
      for (int64_t k = 0; k < e.shape.numel(); ++k)
        dst[k] = static_cast<float>((2.0 * src[k] - 1.0) * e.init.value);
    }
  }
  flat_values_ = (dtype == DType::kF32 ? host : host.ToDType(dtype)).To(device);
  flat_grads_ = Tensor::Zeros({total_}, dtype, device);
  values_.clear();
  for (const Entry& e : entries_) {
    Tensor p = flat_values_.Flat(e.offset, e.shape);
    p.SetRequiresGrad(true, flat_grads_.Flat(e.offset, e.shape));
    values_.push_back(p);
  }
}

Tensor& Parameters::flat_grads() {
  for (const Tensor& value : values_) value.grad();  // zero-fills a gradient still marked zero
  return flat_grads_;
}

void Parameters::ZeroGrad() {
  for (Tensor& value : values_) value.ZeroGrad();
}

int64_t Parameters::count() const {
  int64_t n = 0;
  for (const Entry& e : entries_) n += e.shape.numel();
  return n;
}

std::vector<NamedArray> Parameters::ToArrays() const {
  std::vector<NamedArray> arrays;
  for (size_t i = 0; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    std::vector<int64_t> shape(e.shape.ndim());
    for (int d = 0; d < e.shape.ndim(); ++d) shape[d] = e.shape[d];
    const Tensor host = values_[i].device().is_cpu() ? values_[i] : values_[i].To(Device::Cpu());
    const Tensor f32 = host.dtype() == DType::kF32 ? host : host.ToDType(DType::kF32);
    arrays.push_back({e.name, shape, f32.ToVector<float>()});
  }
  return arrays;
}

void Parameters::FromArrays(const std::vector<NamedArray>& arrays, const std::string& source) {
  LATENT_CHECK(allocated(), "parameters must be allocated before loading ", source);
  // A tensor the model does not have means a file of another model (or of another version of
  // this one): loading the rest would hide that.
  for (const NamedArray& a : arrays) {
    bool known = false;
    std::string names;
    for (const Entry& e : entries_) {
      known = known || e.name == a.name;
      names += (names.empty() ? "" : ", ") + e.name;
    }
    LATENT_CHECK(known, source, ": tensor '", a.name, "' is not a parameter of this model; "
                 "expected only its ", entries_.size(), " parameters: ", names);
  }
  // Every parameter is checked before any is copied, so that a rejected file leaves the model as
  // it was.
  std::vector<const NamedArray*> sources(entries_.size(), nullptr);
  for (size_t i = 0; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    for (const NamedArray& a : arrays)
      if (a.name == e.name) sources[i] = &a;
    const NamedArray* found = sources[i];
    LATENT_CHECK(found != nullptr, source, ": parameter '", e.name, "' is missing");
    LATENT_CHECK(found->shape.size() == static_cast<size_t>(e.shape.ndim()), source,
                 ": parameter '", e.name, "' should have shape ", e.shape.ToString(), ", found ",
                 found->shape.size(), " dimensions");
    for (int d = 0; d < e.shape.ndim(); ++d)
      LATENT_CHECK(found->shape[d] == e.shape[d], source, ": parameter '", e.name,
                   "' should have shape ", e.shape.ToString(), ", found dimension ", d, " = ",
                   found->shape[d]);
    // A NaN or infinite weight (a diverged run's checkpoint, a damaged file) would load and then
    // turn every output it touches into NaN, without a word.
    for (size_t k = 0; k < found->values.size(); ++k)
      LATENT_CHECK(std::isfinite(found->values[k]), source, ": parameter '", e.name, "' holds ",
                   found->values[k], " at index ", k, " of its ", found->values.size(),
                   " values; expected finite values");
  }
  for (size_t i = 0; i < entries_.size(); ++i) {
    Tensor host = Tensor::FromVector(sources[i]->values, entries_[i].shape);
    values_[i].CopyFrom(values_[i].dtype() == DType::kF32 ? host : host.ToDType(values_[i].dtype()));
  }
}

}  // namespace latent
