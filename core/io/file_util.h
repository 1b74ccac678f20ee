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

}  // namespace latent
