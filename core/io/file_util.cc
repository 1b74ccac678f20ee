#include "core/io/file_util.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "kernels/error.h"

namespace latent {

std::string ReadFileBytes(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  LATENT_CHECK(fd >= 0, "cannot open '", path, "' for reading: ", std::strerror(errno));
  std::string bytes;
  char buffer[1 << 16];
  int error = 0;
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      error = errno;
      break;
    }
    bytes.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  LATENT_CHECK(error == 0, "cannot read '", path, "': ", std::strerror(error));
  return bytes;
}

namespace {

// Writes all of `data` to `fd`, retrying short writes and interrupted calls. Returns false and
// leaves errno set on failure.
bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t written = ::write(fd, data.data(), data.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(written));
  }
  return true;
}

// Makes a completed rename durable (the new entry is already complete and in place by then).
void SyncParentDirectory(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  SyncDirectory(slash == std::string::npos ? "." : path.substr(0, slash + 1));
}

}  // namespace

void SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

void ReplaceWithSymlink(const std::string& path, const std::string& target) {
  const std::string tmp = path + ".tmp";
  std::remove(tmp.c_str());  // a link a crash left behind
  LATENT_CHECK(::symlink(target.c_str(), tmp.c_str()) == 0, "cannot point '", path, "' at '",
               target, "': cannot create the link '", tmp, "': ", std::strerror(errno));
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    std::remove(tmp.c_str());
    LATENT_FAIL("cannot point '", path, "' at '", target, "': renaming '", tmp,
                "' over it failed: ", reason);
  }
  SyncParentDirectory(path);
}

void WriteFileAtomic(const std::string& path, const std::vector<std::string_view>& chunks) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  LATENT_CHECK(fd >= 0, "cannot write '", path, "': cannot create '", tmp, "': ",
               std::strerror(errno));
  int error = 0;
  for (std::string_view chunk : chunks) {
    if (!WriteAll(fd, chunk)) {
      error = errno;
      break;
    }
  }
  // fsync before rename: otherwise the rename can reach the disk before the data does, and a
  // crash would leave PATH pointing at an empty or partial file.
  if (error == 0 && ::fsync(fd) != 0) error = errno;
  if (::close(fd) != 0 && error == 0) error = errno;
  if (error != 0) {
    std::remove(tmp.c_str());
    LATENT_FAIL("cannot write '", path, "': writing '", tmp, "' failed: ", std::strerror(error));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    std::remove(tmp.c_str());
    LATENT_FAIL("cannot write '", path, "': renaming '", tmp, "' over it failed: ", reason);
  }
  SyncParentDirectory(path);
}

}  // namespace latent
