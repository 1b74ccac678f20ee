// The subcommands of the `latent` command-line tool, one file each.
#pragma once

#include <string>
#include <vector>

namespace latent {

using Args = std::vector<std::string>;

int RunTrain(const Args& args);   // tools/cli/cmd_train.cc
int RunSample(const Args& args);       // tools/cli/cmd_sample.cc
int RunReconstruct(const Args& args);  // tools/cli/cmd_sample.cc
int RunEval(const Args& args);         // tools/cli/cmd_eval.cc
int RunBench(const Args& args);   // tools/cli/cmd_bench.cc
int RunModels(const Args& args);  // tools/cli/cmd_info.cc
int RunOps(const Args& args);     // tools/cli/cmd_info.cc
int RunInfo(const Args& args);    // tools/cli/cmd_info.cc
int RunGradcheck(const Args& args);  // tools/cli/cmd_study.cc
int RunGrads(const Args& args);      // tools/cli/cmd_study.cc
int RunGraph(const Args& args);      // tools/cli/cmd_study.cc

}  // namespace latent
