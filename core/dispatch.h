// Dispatch: the one road from core/ to a kernel. It picks the kernel of a family by the tensor's
// device and element type, checks that the family has one for it, makes the tensor's GPU current
// and opens an NVTX range named `op` around the launch (core/profiler.h: Nsight shows which op
// each kernel belongs to), and, in a build without CUDA, says so clearly.
//
// A kernel family (kernels/<family>.h) is a CPU reference, a template over the element type that
// is the specification; a CUDA launcher (f32, plus i32 where the op moves integers); and, for a
// few families, a faster CPU version for f32. The call site names the family and writes the
// kernel's arguments once, for every device and type:
//
//   Dispatch("add", a, LATENT_KERNELS(kernels::BinaryCpu, kernels::BinaryCuda),
//            [&](auto binary, auto zero) {
//              using T = decltype(zero);  // float or double on the CPU, float on CUDA
//              binary(op, a.numel(), a.data<T>(), b.data<T>(), c.data<T>());
//            });
//
// `binary` is the family's kernel for the tensor's device and type, `zero` a value of that type.
// An op that takes other element types than f32 and f64 lists them: Dispatch<int32_t>(...) for
// one that reads i32 labels, Dispatch<float>(...) for the optimizers, which update f32 only.
// CUDA kernels never take f64: it exists on the CPU, for gradient checks.
//
// The call is a generic lambda, so in a build without CUDA it is never instantiated with a CUDA
// kernel and no *Cuda symbol is referenced.
#pragma once

#include <initializer_list>
#include <string>
#include <type_traits>
#include <utility>

#include "core/cuda_runtime.h"
#include "core/profiler.h"
#include "core/tensor.h"

namespace latent {

// The fast_cpu of a family that has none.
struct NoFastCpu {};

// One kernel family, as callables that take the kernel's arguments.
template <typename Cpu, typename Cuda, typename FastCpu = NoFastCpu>
struct Kernels {
  Kernels(Cpu cpu, Cuda cuda, FastCpu fast_cpu = {}) : cpu(cpu), cuda(cuda), fast_cpu(fast_cpu) {}
  Cpu cpu;           // the reference, for every element type the op takes
  Cuda cuda;         // f32 (and i32)
  FastCpu fast_cpu;  // f32 only, tested against the reference
};

// A function template or an overload set as one value, so that a family can hold
// kernels::FooCpu: each call deduces the element type from the pointers it is given.
#define LATENT_KERNEL(fn) [](auto&&... args) { fn(std::forward<decltype(args)>(args)...); }
// A family of two: the CPU reference and the CUDA launcher.
#define LATENT_KERNELS(cpu, cuda) \
  ::latent::Kernels { LATENT_KERNEL(cpu), LATENT_KERNEL(cuda) }
// A family of three: the same, and a faster CPU kernel that f32 takes.
#define LATENT_KERNELS_WITH_FAST_CPU(cpu, cuda, fast_cpu) \
  ::latent::Kernels { LATENT_KERNEL(cpu), LATENT_KERNEL(cuda), LATENT_KERNEL(fast_cpu) }

namespace dispatch_internal {

template <typename... Ts>
struct TypeList {};

// Whether one of Ts is the element type of `dtype`.
template <typename... Ts>
bool Takes(TypeList<Ts...>, DType dtype) {
  return ((DTypeOf<Ts>::value == dtype) || ...);
}

// Calls f(T{}) for the T among Ts whose dtype is `dtype`.
template <typename... Ts, typename F>
void Visit(TypeList<Ts...>, DType dtype, F&& f) {
  ((DTypeOf<Ts>::value == dtype ? f(Ts{}) : void()), ...);
}

// "f32", "f32 or f64", "f32, f64 or i32": the dtypes of Ts, less f64 when `cuda`.
template <typename... Ts>
std::string Names(TypeList<Ts...>, bool cuda) {
  std::string out;
  int left = 0;
  for (DType d : {DTypeOf<Ts>::value...}) left += !(cuda && d == DType::kF64);
  for (DType d : {DTypeOf<Ts>::value...}) {
    if (cuda && d == DType::kF64) continue;
    out += DTypeName(d);
    --left;
    out += left > 1 ? ", " : left == 1 ? " or " : "";
  }
  return out;
}

}  // namespace dispatch_internal

template <typename... Ts, typename Cpu, typename Cuda, typename FastCpu, typename Call>
void Dispatch(const char* op, const Tensor& t, const Kernels<Cpu, Cuda, FastCpu>& kernels,
              Call&& call) {
  using Types = std::conditional_t<sizeof...(Ts) == 0, dispatch_internal::TypeList<float, double>,
                                   dispatch_internal::TypeList<Ts...>>;
  if (t.device().is_cpu()) {
    LATENT_CHECK(dispatch_internal::Takes(Types{}, t.dtype()), op, ": expected an ",
                 dispatch_internal::Names(Types{}, false), " tensor, found ", DTypeName(t.dtype()));
    dispatch_internal::Visit(Types{}, t.dtype(), [&](auto zero) {
      // f32 takes a family's fast kernel when it has one; f64 takes the reference, so gradient
      // checks run through the specification that the fast kernels are tested against.
      if constexpr (std::is_same_v<decltype(zero), float> && !std::is_same_v<FastCpu, NoFastCpu>) {
        call(kernels.fast_cpu, zero);
      } else {
        call(kernels.cpu, zero);
      }
    });
    return;
  }
#ifdef LATENT_WITH_CUDA
  LATENT_CHECK(t.dtype() != DType::kF64 && dispatch_internal::Takes(Types{}, t.dtype()), op,
               ": CUDA kernels take ", dispatch_internal::Names(Types{}, true), " tensors, found ",
               DTypeName(t.dtype()));
  CudaSetDevice(t.device().index);
  NvtxRange range(op);
  dispatch_internal::Visit(Types{}, t.dtype(), [&](auto zero) {
    if constexpr (!std::is_same_v<decltype(zero), double>) call(kernels.cuda, zero);
  });
#else
  LATENT_FAIL(op, ": this build of latent has no CUDA support; use --device cpu");
#endif
}

}  // namespace latent
