// latent: train, sample, benchmark and inspect autoencoders.
#include <cstdio>
#include <exception>
#include <string>

#include "kernels/error.h"
#include "tools/cli/commands.h"

namespace {

constexpr const char* kUsage =
    "usage: latent COMMAND [flags]   (latent COMMAND --help for its flags)\n"
    "\n"
    "commands:\n"
    "  train        train a model on an IDX data set (MNIST) and write a run directory\n"
    "  sample       decode samples from a trained run's prior into a PNG grid\n"
    "  reconstruct  test images above their reconstructions by a trained run\n"
    "  eval         measure a trained run (test error, likelihood, PCA, probes, denoising,\n"
    "               anomaly detection) and write a Markdown report with pictures\n"
    "  bench        time a training step (bench step) or a GEMM (bench gemm)\n"
    "  models       list the registered models\n"
    "  ops          list the differentiable ops and their derivatives (Markdown)\n"
    "  info         what this build is (CUDA off, nvcc or simulated) and the devices it sees\n"
    "  gradcheck    check a model's loss gradient against finite differences, per parameter\n"
    "  grads        trace one backward pass node by node (closed-form VAE gradients beside)\n"
    "  graph        write the autograd graph of a model's loss as Graphviz DOT\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string command = argv[1];
  const latent::Args args(argv + 2, argv + argc);
  try {
    if (command == "train") return latent::RunTrain(args);
    if (command == "sample") return latent::RunSample(args);
    if (command == "reconstruct") return latent::RunReconstruct(args);
    if (command == "eval") return latent::RunEval(args);
    if (command == "bench") return latent::RunBench(args);
    if (command == "models") return latent::RunModels(args);
    if (command == "ops") return latent::RunOps(args);
    if (command == "info") return latent::RunInfo(args);
    if (command == "gradcheck") return latent::RunGradcheck(args);
    if (command == "grads") return latent::RunGrads(args);
    if (command == "graph") return latent::RunGraph(args);
    if (command == "--help" || command == "-h" || command == "help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    std::fprintf(stderr, "latent: unknown command '%s'\n\n%s", command.c_str(), kUsage);
    return 2;
  } catch (const latent::Error& e) {
    std::fprintf(stderr, "latent %s: error: %s\n", command.c_str(), e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "latent %s: internal error: %s\n", command.c_str(), e.what());
    return 3;
  }
}
