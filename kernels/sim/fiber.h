// Fibers: the simulated CUDA threads of a block, each with its own stack, switched by hand on
// one host thread. A switch saves the callee-saved registers and the stack pointer and loads
// another's: on x86-64 a dozen instructions (fiber.cc); elsewhere POSIX ucontext, which is
// portable but enters the kernel on every switch to save the signal mask.
//
// Switches are annotated for AddressSanitizer, so that it knows which stack is live and reports
// nothing false about the others.
#pragma once

#include <cstddef>

namespace latent::sim {

class Fiber {
 public:
  Fiber();
  ~Fiber();
  Fiber(const Fiber&) = delete;
  Fiber& operator=(const Fiber&) = delete;

  // Makes the fiber start entry(arg) at the next SwitchTo. entry must never return: it ends by
  // switching away with `finished` set.
  void Reset(void (*entry)(void*), void* arg);

  // Saves the running context in `from` and resumes `to`. `finished`: `from` will never be
  // resumed (its stack may be reused), which AddressSanitizer needs to know.
  static void Switch(Fiber& from, Fiber& to, bool finished = false);

  // The fiber of the host thread itself (no stack of its own), from which the others are run.
  static Fiber& Host();

  struct Impl;  // the stack and saved context; defined in fiber.cc
  Impl& impl() { return *impl_; }

 private:
  Impl* impl_;
};

}  // namespace latent::sim
