// Helpers shared by the libFuzzer harnesses in this folder.
//
// Several parsers read a path, not bytes (ReadIdx, LoadIdxSplit, ReadSafetensors), so a harness
// writes each input to a file first. The files live in one directory per process, under /dev/shm
// (memory, not disk) where it exists, so that parallel fuzzers never share a file and a million
// executions do not wear the disk.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace latent::fuzz {

// A directory of this process, created when it is made and removed with its files when it goes
// away (at exit: a crash leaves it behind, beside the reproducer libFuzzer writes).
class ProcessDir {
 public:
  ProcessDir() {
    const std::filesystem::path base = std::filesystem::is_directory("/dev/shm")
                                           ? "/dev/shm"
                                           : std::filesystem::temp_directory_path();
    path_ = (base / ("latent-fuzz-" + std::to_string(getpid()))).string();
    std::filesystem::create_directories(path_);
  }
  ~ProcessDir() { std::filesystem::remove_all(path_); }
  ProcessDir(const ProcessDir&) = delete;
  ProcessDir& operator=(const ProcessDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// This process's scratch directory, made on first use.
inline const std::string& ScratchDir() {
  static const ProcessDir dir;
  return dir.path();
}

// ScratchDir()/name.
inline std::string ScratchPath(const std::string& name) { return ScratchDir() + "/" + name; }

// Replaces the file `path` with `size` bytes. Aborts when it cannot: then the harness, not the
// parser under test, has failed, and carrying on would test a stale file.
inline void WriteBytes(const std::string& path, const uint8_t* data, size_t size) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr || std::fwrite(data, 1, size, file) != size || std::fclose(file) != 0) {
    std::perror(path.c_str());
    std::abort();
  }
}

}  // namespace latent::fuzz
