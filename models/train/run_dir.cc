#include "models/train/run_dir.h"

#include <fstream>
#include <map>

#include "core/io/file_util.h"
#include "core/io/safetensors.h"

namespace latent {

Json RunConfig(const ModelInfo& info, const HyperParams& values, const ModelShape& shape,
               const TrainOptions& options, const std::string& data_dir) {
  Json model_flags = Json::MakeObject();
  for (const HyperParamSpec& spec : info.hyperparams)
    model_flags.Set(spec.name, values.Get(spec.name));
  Json train = Json::MakeObject();
  train.Set("epochs", options.epochs);
  train.Set("batch_size", options.batch_size);
  train.Set("lr", options.lr);
  train.Set("seed", static_cast<double>(options.seed));
  train.Set("binarize", options.binarize);
  Json data = Json::MakeObject();
  data.Set("dir", data_dir);
  data.Set("height", shape.height);
  data.Set("width", shape.width);
  data.Set("num_classes", shape.num_classes);
  Json config = Json::MakeObject();
  config.Set("model", info.name);
  config.Set("model_flags", model_flags);
  config.Set("train", train);
  config.Set("data", data);
  return config;
}

void SaveRun(const std::string& dir, Model& model, const Json& config) {
  WriteSafetensors(dir + "/model.safetensors", model.params().ToArrays(),
                   {{"model", config.At("model").AsString()}, {"framework", "latent"}});
  const std::string text = config.Dump(2) + "\n";
  WriteFileAtomic(dir + "/config.json", {text});
}

std::unique_ptr<Model> ModelFromConfig(const Json& config, ModelShape* shape) {
  const ModelInfo& info = FindModel(config.At("model").AsString());
  HyperParams values(info.hyperparams);
  for (const auto& [name, value] : config.At("model_flags").AsObject())
    values.Set(name, value.AsString());
  const Json& data = config.At("data");
  *shape = {data.At("height").AsInt64(), data.At("width").AsInt64(),
            static_cast<int>(data.At("num_classes").AsInt64())};
  return info.create(values, *shape);
}

TrainOptions TrainOptionsFromConfig(const Json& config) {
  const Json& train = config.At("train");
  TrainOptions options;
  options.epochs = static_cast<int>(train.At("epochs").AsInt64());
  options.batch_size = train.At("batch_size").AsInt64();
  options.lr = train.At("lr").AsNumber();
  options.seed = static_cast<uint64_t>(train.At("seed").AsInt64());
  options.binarize = train.At("binarize").AsBool();
  return options;
}

LoadedRun LoadRun(const std::string& dir, Device device) {
  const std::string config_path = dir + "/config.json";
  LoadedRun run;
  try {
    run.config = Json::Parse(ReadFileBytes(config_path));
    run.model = ModelFromConfig(run.config, &run.shape);
    run.options = TrainOptionsFromConfig(run.config);
  } catch (const Error& e) {
    LATENT_FAIL(config_path, ": ", e.what());
  }
  run.model->params().Allocate(device, 0);
  const std::string weights = dir + "/model.safetensors";
  run.model->params().FromArrays(ReadSafetensors(weights), weights);
  return run;
}

void AppendMetrics(const std::string& dir, const EpochMetrics& m) {
  const std::string path = dir + "/metrics.csv";
  std::ofstream out(path, m.epoch == 1 ? std::ios::trunc : std::ios::app);
  LATENT_CHECK(out.good(), "cannot write ", path);
  if (m.epoch == 1) {
    out << "epoch,train_loss,test_loss";
    for (const auto& [name, v] : m.train.parts) out << ",train_" << name << ",test_" << name;
    out << ",seconds\n";
  }
  out << m.epoch << ',' << m.train.loss << ',' << m.test.loss;
  for (const auto& [name, v] : m.train.parts) out << ',' << v << ',' << m.test.parts.at(name);
  out << ',' << m.seconds << '\n';
  LATENT_CHECK(out.good(), "failed writing ", path);
}

}  // namespace latent
