#include "kernels/sim/fiber.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "kernels/sim/internal.h"

#ifdef LATENT_SIM_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

#if defined(__x86_64__) && !defined(LATENT_SIM_UCONTEXT)
#define LATENT_SIM_ASM_SWITCH 1
#else
#include <ucontext.h>
#endif

#ifdef LATENT_SIM_ASM_SWITCH
// latent_sim_switch(save_sp, load_sp): pushes the callee-saved registers and the SSE and x87
// control words (the System V ABI says a callee preserves them), stores the stack pointer in
// *save_sp, loads load_sp and pops the same in reverse. Everything else is caller-saved, so the
// compiler has already spilled what it needs.
// latent_sim_trampoline: where a fresh fiber's first switch "returns" to; calls r13(r12). Its
// CFI marks the end of the call chain, so a debugger's backtrace in a fiber stops there.
extern "C" void latent_sim_switch(void** save_sp, void* load_sp);
extern "C" void latent_sim_trampoline();
asm(R"(
  .text
  .globl latent_sim_switch
  .type latent_sim_switch, @function
latent_sim_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size latent_sim_switch, .-latent_sim_switch

  .globl latent_sim_trampoline
  .type latent_sim_trampoline, @function
latent_sim_trampoline:
  .cfi_startproc
  .cfi_undefined rip
  movq %r12, %rdi
  callq *%r13
  ud2
  .cfi_endproc
  .size latent_sim_trampoline, .-latent_sim_trampoline
)");
#endif

namespace latent::sim {
namespace {

// Kernels need little stack, but AddressSanitizer's redzones multiply frame sizes. The mapping
// is lazy, so untouched pages cost nothing; a guard page below turns an overflow into a fault.
constexpr size_t kStackBytes = size_t{256} << 10;

[[noreturn]] void Die(const char* what) {
  std::perror(what);
  std::abort();
}

}  // namespace

struct Fiber::Impl {
  char* mapping = nullptr;  // guard page + stack; null for the host fiber
  size_t mapped = 0;
  char* stack_lo = nullptr;  // the usable stack: [stack_lo, stack_lo + stack_size)
  size_t stack_size = 0;
  void (*entry)(void*) = nullptr;
  void* arg = nullptr;
  void* asan_fake_stack = nullptr;
#ifdef LATENT_SIM_ASM_SWITCH
  void* sp = nullptr;
#else
  ucontext_t context{};
#endif
};

namespace {

#ifdef LATENT_SIM_ASAN
// Fibers switch only to and from the host fiber, so the stack a resumed fiber came from is the
// host thread's own: AddressSanitizer reports its bounds, and the switch back needs them.
void RememberHostStack(const void* lo, size_t size);
#endif

// What a fiber runs first: completes the switch for AddressSanitizer, then the entry, which
// never returns.
void FiberStart(void* raw) {
  auto* impl = static_cast<Fiber::Impl*>(raw);
#ifdef LATENT_SIM_ASAN
  const void* host_lo = nullptr;
  size_t host_size = 0;
  __sanitizer_finish_switch_fiber(nullptr, &host_lo, &host_size);
  RememberHostStack(host_lo, host_size);
#endif
  impl->entry(impl->arg);
  std::fputs("latent sim: a fiber's entry returned\n", stderr);
  std::abort();
}

#ifndef LATENT_SIM_ASM_SWITCH
thread_local Fiber::Impl* starting = nullptr;
void UcontextStart() { FiberStart(starting); }
#endif

}  // namespace

Fiber::Fiber() : impl_(new Impl) {}

Fiber::~Fiber() {
  if (impl_->mapping != nullptr) munmap(impl_->mapping, impl_->mapped);
  delete impl_;
}

Fiber& Fiber::Host() {
  static thread_local Fiber host;
  return host;
}

#ifdef LATENT_SIM_ASAN
namespace {
void RememberHostStack(const void* lo, size_t size) {
  Fiber::Impl& host = Fiber::Host().impl();
  host.stack_lo = static_cast<char*>(const_cast<void*>(lo));
  host.stack_size = size;
}
}  // namespace
#endif

void Fiber::Reset(void (*entry)(void*), void* arg) {
  Impl& f = *impl_;
  if (f.mapping == nullptr) {
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    f.mapped = kStackBytes + page;
    void* m = mmap(nullptr, f.mapped, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) Die("latent sim: mmap of a fiber stack");
    f.mapping = static_cast<char*>(m);
    if (mprotect(f.mapping, page, PROT_NONE) != 0) Die("latent sim: mprotect of a guard page");
    f.stack_lo = f.mapping + page;
    f.stack_size = kStackBytes;
  }
#ifdef LATENT_SIM_ASAN
  // A fiber that was abandoned (its block failed a check) or ended by switching away left its
  // frames' redzones poisoned; a new fiber on this stack starts clean.
#ifdef LATENT_SIM_ASM_SWITCH
  // Frames that returned were unpoisoned on the way out; only those live at the last switch
  // away, above its stack pointer, remain. Clearing just those saves 32 KiB of shadow a thread.
  char* const lo = f.sp != nullptr ? static_cast<char*>(f.sp) : f.stack_lo;
#else
  char* const lo = f.stack_lo;
#endif
  __asan_unpoison_memory_region(lo, static_cast<size_t>(f.stack_lo + f.stack_size - lo));
#endif
  f.entry = entry;
  f.arg = arg;
#ifdef LATENT_SIM_ASM_SWITCH
  // The frame latent_sim_switch pops, from the new stack pointer up: control words, r15, r14,
  // r13 = FiberStart, r12 = this fiber, rbx, rbp, the return address (the trampoline), and 16
  // bytes so that the trampoline's call leaves FiberStart a 16-byte-aligned frame as the ABI
  // requires.
  auto top = reinterpret_cast<uintptr_t>(f.stack_lo + f.stack_size) & ~uintptr_t{15};
  auto* sp = reinterpret_cast<uint64_t*>(top - 80);
  uint32_t mxcsr = 0;
  uint16_t fpu_control = 0;
  asm volatile("stmxcsr %0" : "=m"(mxcsr));
  asm volatile("fnstcw %0" : "=m"(fpu_control));
  sp[0] = mxcsr | (uint64_t{fpu_control} << 32);
  sp[1] = sp[2] = sp[5] = sp[6] = 0;
  sp[3] = reinterpret_cast<uint64_t>(&FiberStart);
  sp[4] = reinterpret_cast<uint64_t>(impl_);
  sp[7] = reinterpret_cast<uint64_t>(&latent_sim_trampoline);
  sp[8] = sp[9] = 0;
  f.sp = sp;
#else
  if (getcontext(&f.context) != 0) Die("latent sim: getcontext");
  f.context.uc_stack.ss_sp = f.stack_lo;
  f.context.uc_stack.ss_size = f.stack_size;
  f.context.uc_link = nullptr;
  makecontext(&f.context, &UcontextStart, 0);
#endif
}

void Fiber::Switch(Fiber& from, Fiber& to, bool finished) {
  Impl& a = *from.impl_;
  Impl& b = *to.impl_;
#ifdef LATENT_SIM_ASAN
  // Only the host switches to a fresh fiber, and a fiber learns the host's stack (below, and in
  // FiberStart) before it switches back, so b's bounds are known here.
  __sanitizer_start_switch_fiber(finished ? nullptr : &a.asan_fake_stack, b.stack_lo, b.stack_size);
#else
  (void)finished;
#endif
#ifdef LATENT_SIM_ASM_SWITCH
  latent_sim_switch(&a.sp, b.sp);
#else
  starting = &b;
  if (swapcontext(&a.context, &b.context) != 0) Die("latent sim: swapcontext");
#endif
#ifdef LATENT_SIM_ASAN
  // Resumed. A fiber was resumed by the host: remember the host's stack for the switch back.
  const void* from_lo = nullptr;
  size_t from_size = 0;
  __sanitizer_finish_switch_fiber(a.asan_fake_stack, &from_lo, &from_size);
  if (&from != &Host()) RememberHostStack(from_lo, from_size);
#endif
}

}  // namespace latent::sim
