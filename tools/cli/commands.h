// The subcommands of the `latent` command-line tool, listed once: LATENT_COMMANDS below is the
// table from which the declarations of their functions, the dispatch (kCommands) and the usage
// text (tools/cli/latent.cc) are made. A command's function is defined in tools/cli/cmd_*.cc.
#pragma once

#include <string>
#include <vector>

namespace latent {

using Args = std::vector<std::string>;

// X(function, name, one line of help), in the order the usage lists them. A macro because C++
// has no other way to make one list both declare functions and fill a table.
#define LATENT_COMMANDS(X)                                                                        \
  X(RunTrain, "train", "train a model on an IDX data set (MNIST) and write a run directory")      \
  X(RunSample, "sample", "decode samples from a trained run's prior into a PNG grid")             \
  X(RunReconstruct, "reconstruct", "test images above their reconstructions by a trained run")    \
  X(RunEval, "eval",                                                                              \
    "measure a trained run (PCA, probes, denoising, ...) and write a Markdown report")            \
  X(RunBench, "bench",                                                                            \
    "time a training step (bench step), an IWAE estimate (bench iwae) or a GEMM (bench gemm)")    \
  X(RunModels, "models", "list the registered models")                                            \
  X(RunOps, "ops", "list the differentiable ops and their derivatives (Markdown)")                \
  X(RunInfo, "info", "what this build is (CUDA off, nvcc or simulated) and the devices it sees")  \
  X(RunGradcheck, "gradcheck",                                                                    \
    "check a model's loss gradient against finite differences, per parameter")                    \
  X(RunGrads, "grads", "trace one backward pass node by node (closed-form VAE gradients beside)") \
  X(RunGraph, "graph", "write the autograd graph of a model's loss as Graphviz DOT")

#define LATENT_DECLARE_COMMAND(function, name, help) int function(const Args& args);
LATENT_COMMANDS(LATENT_DECLARE_COMMAND)
#undef LATENT_DECLARE_COMMAND

struct Command {
  const char* name;              // as typed: latent NAME [flags]
  const char* help;              // its line in the usage text
  int (*run)(const Args& args);  // the flags after the name; returns the exit status
};

#define LATENT_COMMAND_ROW(function, name, help) {name, help, function},
inline constexpr Command kCommands[] = {LATENT_COMMANDS(LATENT_COMMAND_ROW)};
#undef LATENT_COMMAND_ROW

}  // namespace latent
