// Whole-file reads and crash-safe whole-file writes, shared by every writer of run outputs
// (checkpoints, images, reports).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace latent {

// Returns the bytes of `path`. Throws latent::Error naming the file if it cannot be opened or read.
std::string ReadFileBytes(const std::string& path);

// Writes the concatenation of `chunks` to `path` so that a crash leaves either the old file or the
// complete new one, never a prefix: the bytes go to PATH.tmp, are fsynced, and PATH.tmp is renamed
// over PATH. On failure the .tmp file is removed and latent::Error names the file and the reason.
void WriteFileAtomic(const std::string& path, const std::vector<std::string_view>& chunks);

// Makes `path` a symbolic link to `target` (a path relative to the link's directory, or
// absolute), replacing whatever link or file was there in one rename(2): a reader, or a crash,
// sees the old entry or the new link, never neither. Durable once it returns.
void ReplaceWithSymlink(const std::string& path, const std::string& target);

// fsyncs the directory `dir`, so that the files created or renamed in it survive a crash.
// Best effort: some file systems refuse to fsync a directory.
void SyncDirectory(const std::string& dir);

}  // namespace latent
