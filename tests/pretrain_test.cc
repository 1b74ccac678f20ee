// Greedy layer-wise pre-training of deep-ae (models/train/pretrain.h): each stage is the shallow
// autoencoder of the layer below, and trains that layer pair alone.
#include "models/train/pretrain.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "core/ops.h"
#include "test_util.h"

namespace latent {
namespace {

// 16-pixel images on a 3-d manifold (so that the autoencoders have something to learn), and a
// deep-ae 16-12-8-6-4 with `epochs` of pre-training per layer.
Dataset Images(int64_t n) {
  const Tensor mix = RandomUniform({n, 3}, 7, 0);
  const Tensor basis = RandomUniform({3, 16}, 8, 0);
  Dataset d;
  d.images = Sigmoid(AddScalar(Scale(Matmul(mix, basis), 3.0), -2.0));
  d.labels = Tensor::FromVector(std::vector<int32_t>(n, 0), {n});
  d.height = 4;
  d.width = 4;
  d.num_classes = 1;
  return d;
}

std::unique_ptr<Model> SmallDeepAe(int epochs, const std::string& units = "relu") {
  auto model = testing::MakeModel("deep-ae", ModelShape{4, 4, 1},
                                  {"widths=12,8,6", "latent-dim=4", "activation=" + units,
                                   "pretrain-epochs=" + std::to_string(epochs)});
  model->params().Allocate(Device::Cpu(), 3);
  return model;
}

std::map<std::string, std::vector<float>> Snapshot(const Parameters& params) {
  std::map<std::string, std::vector<float>> values;
  for (int i = 0; i < params.size(); ++i) values[params.name(i)] = params[i].ToVector<float>();
  return values;
}

double Value(const Tensor& scalar) { return scalar.item(); }

TEST(Pretrain, EachStageIsTheShallowAutoencoderOfTheLayerBelow) {
  for (const std::string units : {"relu", "sigmoid"}) {
    SCOPED_TRACE(units);
    auto model = SmallDeepAe(1, units);
    ASSERT_EQ(model->pretrain_stages(), 4);
    const Parameters& p = model->params();
    std::map<std::string, Tensor> w;
    for (int i = 0; i < p.size(); ++i) w[p.name(i)] = p[i];
    auto act = [&](const Tensor& t) { return units == "relu" ? Relu(t) : Sigmoid(t); };
    auto layer = [&](const std::string& name, const Tensor& x) {
      return Linear(x, w[name + ".weight"], w[name + ".bias"]);
    };
    const Tensor x = Images(10).images;
    // Stage 1: x -> h1 -> logits through decoder.fc4, the layer that makes the pixels.
    const Tensor h1 = act(layer("encoder.fc1", x));
    EXPECT_NEAR(Value(model->PretrainLoss(0, x).loss),
                Value(Sum(BceWithLogits(layer("decoder.fc4", h1), x))), 1e-4);
    // Stage 2: h1 -> h2 -> back to h1 through decoder.fc3, scored by squared error.
    const Tensor h2 = act(layer("encoder.fc2", h1));
    EXPECT_NEAR(Value(model->PretrainLoss(1, x).loss),
                Value(Sum(Mse(act(layer("decoder.fc3", h2)), h1))), 1e-5);
    // Stage 4: the code layer is linear, its mirror decoder.fc1 is a hidden layer.
    const Tensor h3 = act(layer("encoder.fc3", h2));
    const Tensor code = layer("encoder.fc4", h3);
    EXPECT_NEAR(Value(model->PretrainLoss(3, x).loss),
                Value(Sum(Mse(act(layer("decoder.fc1", code)), h3))), 1e-5);
  }
}

TEST(Pretrain, EachStageChangesOnlyItsLayerPairAndLowersItsLoss) {
  auto model = SmallDeepAe(4);
  const Dataset data = Images(512);
  std::vector<std::map<std::string, std::vector<float>>> after_stage = {
      Snapshot(model->params())};
  std::vector<PretrainEpoch> epochs;
  TrainOptions options;
  options.batch_size = 32;
  options.lr = 3e-3;
  Pretrain(*model, data, options, [&](const PretrainEpoch& e) {
    epochs.push_back(e);
    if (e.epoch == 4) after_stage.push_back(Snapshot(model->params()));
  });
  ASSERT_EQ(epochs.size(), 16u);
  ASSERT_EQ(after_stage.size(), 5u);
  for (int s = 0; s < 4; ++s) {
    SCOPED_TRACE("stage " + std::to_string(s + 1));
    EXPECT_EQ(epochs[4 * s].stage, s);
    EXPECT_EQ(epochs[4 * s + 3].epoch, 4);
    EXPECT_LT(epochs[4 * s + 3].loss, epochs[4 * s].loss);
    const std::string mine[] = {"encoder.fc" + std::to_string(s + 1),
                                "decoder.fc" + std::to_string(4 - s)};
    for (const auto& [name, before] : after_stage[s]) {
      const bool trained = name.rfind(mine[0] + ".", 0) == 0 || name.rfind(mine[1] + ".", 0) == 0;
      if (trained) {
        EXPECT_NE(after_stage[s + 1].at(name), before) << name;
      } else {
        EXPECT_EQ(after_stage[s + 1].at(name), before) << name;
      }
    }
  }
}

TEST(Pretrain, NoEpochsOrNoStagesLeaveTheModelAsItIs) {
  auto model = SmallDeepAe(0);
  const auto before = Snapshot(model->params());
  int calls = 0;
  Pretrain(*model, Images(64), TrainOptions(), [&](const PretrainEpoch&) { ++calls; });
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(Snapshot(model->params()), before);

  auto vae = testing::MakeModel("vae", ModelShape{4, 4, 1});
  vae->params().Allocate(Device::Cpu(), 1);
  EXPECT_EQ(vae->pretrain_stages(), 0);
  testing::ExpectErrorContaining([&] { vae->PretrainLoss(0, Images(2).images); },
                                 {"no layer-wise pre-training"});
  testing::ExpectErrorContaining([&] { model->PretrainLoss(4, Images(2).images); },
                                 {"stages 0..3", "stage 4"});
}

}  // namespace
}  // namespace latent
