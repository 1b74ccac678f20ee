// Shared memory in the simulator, and its race detector.
//
// Every __shared__ variable is a static in the linker section "latent_shared" (see the
// simulator's cuda_runtime.h); the linker brackets it with __start_/__stop_latent_shared. Since
// blocks run one at a time, that one copy is each block's shared memory in turn. It is filled
// with NaN (all bits set) before every block, so a read of a value no thread of this block wrote
// shows up, where a GPU would hand over whatever the previous block left.
//
// The race detector is the counterpart of compute-sanitizer's racecheck. The kernel files are
// compiled with clang's -fsanitize-coverage=trace-loads,trace-stores, which calls a hook before
// every load and store; for addresses in the section the hooks keep, per 4-byte word, the last
// writer and the readers of the current barrier interval. A byte one thread writes and another
// reads or writes within one interval (no __syncthreads between them) is a race: the order of the
// two is up to the GPU.
#include <cxxabi.h>
#include <elf.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "kernels/sim/internal.h"
#include "kernels/sim/launch.h"

extern "C" {
// Defined by the linker when some object has a "latent_shared" section; null otherwise.
extern char __start_latent_shared[] __attribute__((weak));
extern char __stop_latent_shared[] __attribute__((weak));
}

namespace latent::sim {
namespace {

constexpr unsigned char kFill = 0xFF;  // as f32 and f64: NaN

uintptr_t SectionBegin() { return reinterpret_cast<uintptr_t>(__start_latent_shared); }
size_t SectionSize() { return static_cast<size_t>(__stop_latent_shared - __start_latent_shared); }

// --- the arrays, by their symbols ----------------------------------------------------------------

struct SharedArray {
  uintptr_t begin;
  size_t size;
  std::string name;
};

// "latent::kernels::(anonymous namespace)::ColumnSumKernel<float, float>(long, ...)::lane_sums"
// -> "ColumnSumKernel<float, float>::lane_sums": the enclosing function's parameters and the
// project's namespaces say nothing a reader needs.
std::string ShortName(std::string name) {
  const size_t var = name.rfind("::");
  if (var != std::string::npos && var > 0 && name[var - 1] == ')') {
    int depth = 0;
    size_t open = var - 1;
    for (size_t i = var; i-- > 0;) {
      if (name[i] == ')') ++depth;
      if (name[i] == '(' && --depth == 0) {
        open = i;
        break;
      }
    }
    name.erase(open, var - open);
  }
  for (const char* prefix :
       {"latent::kernels::", "(anonymous namespace)::", "cuda_detail::", "latent::"}) {
    for (size_t at; (at = name.find(prefix)) != std::string::npos;)
      name.erase(at, std::strlen(prefix));
  }
  return name;
}

// The objects of the section, read from the program's own symbol table (/proc/self/exe). Empty
// if the program is stripped: reports then give offsets only.
std::vector<SharedArray> ReadArrays() {
  std::vector<SharedArray> arrays;
  std::ifstream file("/proc/self/exe", std::ios::binary);
  const auto read = [&](uint64_t offset, void* dst, size_t bytes) {
    file.seekg(static_cast<std::streamoff>(offset));
    file.read(static_cast<char*>(dst), static_cast<std::streamsize>(bytes));
    return static_cast<bool>(file);
  };
  Elf64_Ehdr eh{};
  if (!read(0, &eh, sizeof eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
      eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_shentsize != sizeof(Elf64_Shdr))
    return arrays;
  std::vector<Elf64_Shdr> sections(eh.e_shnum);
  if (!read(eh.e_shoff, sections.data(), sections.size() * sizeof(Elf64_Shdr)) ||
      eh.e_shstrndx >= sections.size())
    return arrays;
  const auto section_bytes = [&](const Elf64_Shdr& s) {
    std::vector<char> bytes(s.sh_size);
    if (!read(s.sh_offset, bytes.data(), bytes.size())) bytes.clear();
    return bytes;
  };
  const std::vector<char> names = section_bytes(sections[eh.e_shstrndx]);
  size_t shared_index = 0, symtab_index = 0;
  for (size_t i = 0; i < sections.size(); ++i) {
    if (sections[i].sh_name >= names.size()) continue;
    if (std::strcmp(&names[sections[i].sh_name], "latent_shared") == 0) shared_index = i;
    if (sections[i].sh_type == SHT_SYMTAB) symtab_index = i;
  }
  if (shared_index == 0 || symtab_index == 0) return arrays;
  const Elf64_Shdr& symtab = sections[symtab_index];
  if (symtab.sh_link >= sections.size()) return arrays;
  const std::vector<char> strings = section_bytes(sections[symtab.sh_link]);
  const std::vector<char> raw = section_bytes(symtab);
  // The section's link-time address against where it is now: the load bias of a PIE.
  const uintptr_t bias = SectionBegin() - sections[shared_index].sh_addr;
  for (size_t at = 0; at + sizeof(Elf64_Sym) <= raw.size(); at += sizeof(Elf64_Sym)) {
    Elf64_Sym sym;
    std::memcpy(&sym, &raw[at], sizeof sym);
    if (sym.st_shndx != shared_index || ELF64_ST_TYPE(sym.st_info) != STT_OBJECT ||
        sym.st_size == 0 || sym.st_name >= strings.size())
      continue;
    const char* mangled = &strings[sym.st_name];
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> demangled(
        abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free);
    arrays.push_back(
        {sym.st_value + bias, sym.st_size, ShortName(status == 0 ? demangled.get() : mangled)});
  }
  std::sort(arrays.begin(), arrays.end(),
            [](const SharedArray& a, const SharedArray& b) { return a.begin < b.begin; });
  return arrays;
}

const std::vector<SharedArray>& Arrays() {
  static const std::vector<SharedArray> arrays = ReadArrays();
  return arrays;
}

const SharedArray* ArrayAt(uintptr_t address) {
  const auto& arrays = Arrays();
  auto it = std::upper_bound(arrays.begin(), arrays.end(), address,
                             [](uintptr_t a, const SharedArray& s) { return a < s.begin; });
  if (it == arrays.begin()) return nullptr;
  --it;
  return address < it->begin + it->size ? &*it : nullptr;
}

// --- the race detector ---------------------------------------------------------------------------

// The bytes of the section written since it was last filled with NaN: [dirty_begin, dirty_end).
size_t dirty_begin = 0, dirty_end = 0;

// Barrier intervals are numbered across blocks and launches, so a byte's record from an earlier
// interval is simply older and nothing needs clearing between blocks.
uint32_t interval = 1;
std::string interval_start = "the start of the block";

constexpr int16_t kSeveralReaders = -2;
// One record per 4-byte word: kernels move floats, ints and doubles, so a word is the smallest
// unit two threads share (an access to part of a word counts as one to the word).
constexpr size_t kWord = 4;
struct WordRecord {
  uint32_t write_interval = 0, read_interval = 0;
  int16_t writer = -1, reader = -1;  // thread indices; reader may be kSeveralReaders
};
std::vector<WordRecord> records;  // one per word of the section

[[noreturn]] void ReportRace(uintptr_t address, bool write, int other, bool other_wrote) {
  const int self = running_thread;
  std::string report = "shared-memory race: " + DescribeThread(self) +
                       (write ? " writes " : " reads ") + DescribeSharedAddress(address) +
                       ", which ";
  report += other == kSeveralReaders ? "other threads" : "thread " + std::to_string(other);
  report += (other_wrote ? " wrote" : " read") + std::string(" since ") + interval_start +
            ", with no __syncthreads between the two accesses";
  KernelFault(report);
}

}  // namespace

// Called by the hooks at the end of this file, before every load and store of the kernels: the
// hot path of the simulator, so not instrumented itself.
__attribute__((no_sanitize("address", "undefined"))) void Access(const void* p, size_t bytes,
                                                                 bool write) {
  const uintptr_t offset = reinterpret_cast<uintptr_t>(p) - SectionBegin();
  if (offset >= SectionSize() || running_thread < 0) return;
  // Plain comparisons, not std::min: an instrumented call from this uninstrumented function
  // would not be inlined.
  const size_t end = offset + bytes < SectionSize() ? offset + bytes : SectionSize();
  if (write) {
    if (offset < dirty_begin) dirty_begin = offset;
    if (end > dirty_end) dirty_end = end;
  }
  if (!race_detector) return;
  if (records.size() <= SectionSize() / kWord) records.resize(SectionSize() / kWord + 1);
  WordRecord* record = records.data();  // not operator[]: it would be instrumented, and slow
  const auto self = static_cast<int16_t>(running_thread);
  for (size_t w = offset / kWord; w <= (end - 1) / kWord; ++w) {
    WordRecord& r = record[w];
    const uintptr_t address = SectionBegin() + w * kWord;
    if (r.write_interval == interval && r.writer != self)
      ReportRace(address, write, r.writer, /*other_wrote=*/true);
    if (write) {
      if (r.read_interval == interval && r.reader != self)
        ReportRace(address, write, r.reader, /*other_wrote=*/false);
      r.write_interval = interval;
      r.writer = self;
    } else if (r.read_interval != interval) {
      r.read_interval = interval;
      r.reader = self;
    } else if (r.reader != self) {
      r.reader = kSeveralReaders;
    }
  }
}

void BeginBlockShared(bool whole) {
  // Refill what was written since the last fill (the rest still holds NaN), or everything.
  if (whole) {
    dirty_begin = 0;
    dirty_end = SectionSize();
  }
  if (dirty_begin < dirty_end)
    std::memset(__start_latent_shared + dirty_begin, kFill, dirty_end - dirty_begin);
  dirty_begin = SIZE_MAX;
  dirty_end = 0;
  ++interval;
  interval_start = "the start of the block";
}

void BarrierShared(const char* file, int line) {
  ++interval;
  interval_start = std::string("the __syncthreads at ") + file + ":" + std::to_string(line);
}

size_t SharedFootprint(std::string* names) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(__start_latent_shared);
  size_t total = 0;
  const SharedArray* last = nullptr;
  for (size_t i = 0; i < SectionSize(); ++i) {
    if (bytes[i] == kFill) continue;
    const SharedArray* array = ArrayAt(SectionBegin() + i);
    if (array == nullptr) {
      ++total;  // a stripped program: count bytes
      continue;
    }
    if (array == last) continue;
    last = array;
    total += array->size;
    if (names != nullptr) {
      if (!names->empty()) *names += ", ";
      *names += array->name + ": " + std::to_string(array->size) + " bytes";
    }
    i = array->begin + array->size - SectionBegin() - 1;
  }
  return total;
}

std::string DescribeSharedAddress(uintptr_t address) {
  const SharedArray* array = ArrayAt(address);
  if (array == nullptr)
    return "shared byte " + std::to_string(address - SectionBegin()) + " (no symbol)";
  const std::string base = array->name.substr(
      array->name.rfind("::") == std::string::npos ? 0 : array->name.rfind("::") + 2);
  return base + "[+" + std::to_string(address - array->begin) + " bytes] (" + array->name + ", " +
         std::to_string(array->size) + " bytes)";
}

}  // namespace latent::sim

// The hooks clang's -fsanitize-coverage=trace-loads,trace-stores calls before each load and
// store of the kernel files. Only shared-memory addresses matter; everything else returns at
// the first comparison.
#define LATENT_SIM_HOOKS_(bytes, type)                                                           \
  extern "C" void __sanitizer_cov_load##bytes(type* p) { latent::sim::Access(p, bytes, false); } \
  extern "C" void __sanitizer_cov_store##bytes(type* p) { latent::sim::Access(p, bytes, true); }

LATENT_SIM_HOOKS_(1, uint8_t)
LATENT_SIM_HOOKS_(2, uint16_t)
LATENT_SIM_HOOKS_(4, uint32_t)
LATENT_SIM_HOOKS_(8, uint64_t)
LATENT_SIM_HOOKS_(16, __int128)
