// Helpers shared by the subcommands.
#pragma once

#include <string>
#include <vector>

#include "core/device.h"
#include "core/io/dataset.h"
#include "core/tensor.h"
#include "core/tensor_math.h"
#include "models/hyper_params.h"
#include "models/model.h"
#include "tools/cli/flags.h"

namespace latent {

// Parses `args` into `flags`; on --help prints the usage and returns true (the command is done).
bool ParseOrPrintHelp(Flags& flags, const std::vector<std::string>& args);
// --device and --threads, common to every command that computes.
std::vector<FlagSpec> DeviceFlags();
// Applies --threads and resolves --device, printing what was chosen to stderr.
Device SetUpDevice(const Flags& flags);
// --gemm: which GEMM runs the matrix products on a GPU, ours or cuBLAS (the baseline).
FlagSpec GemmFlag();
// The GEMM --gemm asks for, to hold in a math::CudaGemmScope around the work; reported on stderr
// for a CUDA `device`, and noted there when non-default on the CPU, where it has no effect.
math::CudaGemm SetUpGemm(const Flags& flags, Device device);
// The hyperparameters of `info` that `flags` (which declare them) were given on the command line,
// over their defaults.
HyperParams ModelValues(const ModelInfo& info, const Flags& flags);
// The value of `--name` in raw arguments ("--name v" or "--name=v"), or `fallback`.
std::string PeekFlag(const std::vector<std::string>& args, const std::string& name,
                     const std::string& fallback);
// Writes images (n, H*W) in [0, 1] as a PNG grid with `cols` columns.
void SaveImages(const std::string& path, const Tensor& images, int64_t height, int64_t width,
                int64_t cols);

// Writes the first cols * pairs images of `data` and their reconstructions by `model` as a grid:
// each row of originals above the row of their reconstructions.
void SaveReconstructions(const std::string& path, Model& model, const Dataset& data, int64_t cols,
                         int64_t pairs);

}  // namespace latent
