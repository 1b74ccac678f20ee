// Command-line flags: values, defaults, and the errors users see.
#include <gtest/gtest.h>

#include "kernels/error.h"
#include "models/model.h"
#include "tools/cli/flags.h"
#include "tools/cli/train_flags.h"

#include <functional>

namespace latent {
namespace {

Flags TrainLike() {
  return Flags("train", {{"epochs", "10", "passes"}, {"lr", "1e-3", "rate"},
                         {"device", "auto", "where"}, {"binarize", "false", "draw pixels"}});
}

std::string ErrorOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Flags, ParsesBothFormsAndKeepsDefaults) {
  Flags f = TrainLike();
  f.Parse({"--epochs", "3", "--lr=0.01"});
  EXPECT_EQ(f.GetInt("epochs", 1, 100), 3);
  EXPECT_DOUBLE_EQ(f.GetDouble("lr", 0, 1), 0.01);
  EXPECT_EQ(f.Get("device"), "auto");
  EXPECT_FALSE(f.GetBool("binarize"));
  EXPECT_TRUE(f.IsSet("epochs"));
  EXPECT_FALSE(f.IsSet("device"));
}

TEST(Flags, ASwitchAloneMeansTrue) {
  Flags last = TrainLike();
  last.Parse({"--epochs", "3", "--binarize"});
  EXPECT_TRUE(last.GetBool("binarize"));
  Flags middle = TrainLike();
  middle.Parse({"--binarize", "--epochs", "3"});
  EXPECT_TRUE(middle.GetBool("binarize"));
  EXPECT_EQ(middle.GetInt("epochs", 1, 100), 3);
  Flags explicit_false = TrainLike();
  explicit_false.Parse({"--binarize", "false"});
  EXPECT_FALSE(explicit_false.GetBool("binarize"));
  // Only switches may stand alone: --epochs still needs its value.
  EXPECT_NE(ErrorOf([&] { TrainLike().Parse({"--epochs", "--binarize"}); })
                .find("--epochs expects a value; found the flag --binarize"),
            std::string::npos);
}

// eval's --binarize: its default "" leaves the choice to the run, and alone it means true, as
// train's --binarize does.
TEST(Flags, ADeclaredSwitchAloneMeansTrue) {
  const auto eval_like = [] {
    Flags f("eval", {{"run", "", "run directory"}, {"binarize", "", "true, false or as trained"}});
    f.DeclareSwitch("binarize");
    return f;
  };
  Flags unset = eval_like();
  unset.Parse({"--run", "r"});
  EXPECT_EQ(unset.Get("binarize"), "");
  Flags alone = eval_like();
  alone.Parse({"--binarize", "--run", "r"});
  EXPECT_TRUE(alone.GetBool("binarize"));
  EXPECT_EQ(alone.Get("run"), "r");
  Flags last = eval_like();
  last.Parse({"--run", "r", "--binarize"});
  EXPECT_TRUE(last.GetBool("binarize"));
  Flags explicit_false = eval_like();
  explicit_false.Parse({"--binarize", "false"});
  EXPECT_FALSE(explicit_false.GetBool("binarize"));
  // --run, with the same default, is no switch.
  EXPECT_NE(ErrorOf([&] { eval_like().Parse({"--run", "--binarize"}); })
                .find("--run expects a value; found the flag --binarize"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { eval_like().DeclareSwitch("binarise"); }).find("unknown flag --binarise"),
            std::string::npos);
}

TEST(Flags, UnknownFlagIsNamedWithTheKnownOnes) {
  Flags f = TrainLike();
  const std::string msg = ErrorOf([&] { f.Parse({"--epoch", "3"}); });
  EXPECT_NE(msg.find("unknown flag --epoch"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--epochs"), std::string::npos) << msg;
}

TEST(Flags, BadValuesSayWhatWasExpectedAndFound) {
  Flags f = TrainLike();
  f.Parse({"--epochs", "ten", "--lr", "-1", "--binarize", "maybe"});
  std::string msg = ErrorOf([&] { f.GetInt("epochs", 1, 100); });
  EXPECT_NE(msg.find("integer"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'ten'"), std::string::npos) << msg;
  msg = ErrorOf([&] { f.GetDouble("lr", 0, 1); });
  EXPECT_NE(msg.find("'-1'"), std::string::npos) << msg;
  msg = ErrorOf([&] { f.GetBool("binarize"); });
  EXPECT_NE(msg.find("'maybe'"), std::string::npos) << msg;
}

TEST(Flags, MissingValueAndPositionalArgumentsAreErrors) {
  Flags f = TrainLike();
  EXPECT_NE(ErrorOf([&] { f.Parse({"--epochs"}); }).find("expects a value"), std::string::npos);
  EXPECT_NE(ErrorOf([&] { TrainLike().Parse({"vae"}); }).find("'vae'"), std::string::npos);
}

TEST(Flags, HelpIsRecognizedAndUsageListsDefaults) {
  Flags f = TrainLike();
  f.Parse({"--help"});
  EXPECT_TRUE(f.help());
  EXPECT_NE(f.Usage().find("--lr"), std::string::npos);
  EXPECT_NE(f.Usage().find("(default: 1e-3)"), std::string::npos);
}

// latent train declares its own flags, then the trained model's hyperparameters: a name in both
// would make every `latent train --model NAME` fail ("declared twice"), as beta-vae's KL
// --warmup-steps once did beside a learning-rate warm-up of the same name.
TEST(Flags, TrainFlagsAndEveryModelsHyperparametersHaveDistinctNames) {
  for (const ModelInfo& info : ModelRegistry()) {
    Flags flags("train", TrainFlags());
    EXPECT_EQ(ErrorOf([&] { flags.Add(info.hyperparams); }), "") << "--model " << info.name;
  }
}

}  // namespace
}  // namespace latent
