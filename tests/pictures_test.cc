// The pictures of `latent eval`: figures have the size their layout implies, codes of any width
// can be scattered, and bad inputs (a wrong image size, a malformed metrics.csv) are errors that
// name the file and what was expected.
#include <gtest/gtest.h>
#include <stb_image.h>

#include <fstream>

#include "core/io/file_util.h"
#include "tools/plot/pictures.h"
#include "tests/test_util.h"

namespace latent {
namespace {

// Width and height of a PNG on disk, or (0, 0) when it does not decode.
std::pair<int, int> PngSize(const std::string& path) {
  int w = 0, h = 0, channels = 0;
  if (!stbi_info(path.c_str(), &w, &h, &channels)) return {0, 0};
  return {w, h};
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

TEST(Pictures, DigitFigureRowsOfTilesUnderATitle) {
  latent::testing::ScratchDir dir("pictures_figure");
  const ModelShape shape{3, 2, 10};
  const Tensor four = Tensor::Full({4, 6}, 0.5);
  WriteDigitFigure(dir.Path("a.png"), "t", {{"", four}, {"", four.Rows(0, 1)}}, shape, 2);
  // Width: 4 tiles of 2*2 pixels with 2-pixel gaps between, plus 10-pixel margins; the title is
  // narrower. Height: the title band, two rows of 3*2 pixels with one gap, the bottom margin.
  const auto [w, h] = PngSize(dir.Path("a.png"));
  EXPECT_EQ(w, 2 * 10 + 4 * 4 + 3 * 2);
  EXPECT_GT(h, 2 * 6 + 2 + 10);
  latent::testing::ExpectErrorContaining(
      [&] { WriteDigitFigure(dir.Path("b.png"), "t", {{"row", Tensor::Full({2, 5}, 0.5)}}, shape); },
      {"row 'row'", "3x2 = 6 pixels", "(2, 5)"});
}

TEST(Pictures, CodesOfOneTwoAndManyDimensionsAreScattered) {
  latent::testing::ScratchDir dir("pictures_scatter");
  const Tensor labels = Tensor::FromVector<int32_t>({0, 1, 2, 1, 0, 2}, {6});
  for (int64_t d : {1, 2, 5}) {
    std::vector<float> codes(6 * d);
    for (size_t i = 0; i < codes.size(); ++i) codes[i] = static_cast<float>((i * 7) % 11);
    const std::string path = dir.Path("codes" + std::to_string(d) + ".png");
    WriteCodeScatter(path, Tensor::FromVector(codes, {6, d}), labels);
    EXPECT_EQ(PngSize(path), std::make_pair(640, 480)) << d << "-d codes";
  }
}

TEST(Pictures, LossCurvesNeedTheirColumnsAndNumbers) {
  latent::testing::ScratchDir dir("pictures_loss");
  const std::string good = dir.Path("good.csv");
  WriteText(good, "epoch,train_loss,test_loss,seconds\n1,130.5,120.25,2.0\n2,110,108.5,2.1\n");
  WriteLossCurves(dir.Path("loss.png"), good);
  EXPECT_EQ(PngSize(dir.Path("loss.png")), std::make_pair(640, 480));
  // A run with a validation set gets a third curve.
  const std::string val = dir.Path("val.csv");
  WriteText(val, "epoch,train_loss,test_loss,val_loss,seconds\n1,130.5,120.25,125,2.0\n"
                 "2,110,108.5,112,2.1\n");
  WriteLossCurves(dir.Path("val.png"), val);
  EXPECT_EQ(PngSize(dir.Path("val.png")), std::make_pair(640, 480));
  EXPECT_NE(ReadFileBytes(dir.Path("val.png")), ReadFileBytes(dir.Path("loss.png")));

  const std::string missing = dir.Path("missing.csv");
  WriteText(missing, "epoch,train_loss\n1,130.5\n");
  latent::testing::ExpectErrorContaining(
      [&] { WriteLossCurves(dir.Path("x.png"), missing); },
      {"missing.csv line 1", "expected a header 'epoch,train_loss,test_loss"});
  const std::string ragged = dir.Path("ragged.csv");
  WriteText(ragged, "epoch,train_loss,test_loss,seconds\n1,130.5,120,1\n2,110,1\n");
  latent::testing::ExpectErrorContaining([&] { WriteLossCurves(dir.Path("x.png"), ragged); },
                                         {"ragged.csv line 3", "expected 4 cells", "found 3"});
  const std::string words = dir.Path("words.csv");
  WriteText(words, "epoch,train_loss,test_loss,seconds\n1,abc,120,1\n");
  latent::testing::ExpectErrorContaining([&] { WriteLossCurves(dir.Path("x.png"), words); },
                                         {"words.csv line 2", "expected a number", "abc"});
  latent::testing::ExpectErrorContaining(
      [&] { WriteLossCurves(dir.Path("x.png"), dir.Path("absent.csv")); },
      {"cannot open", "absent.csv"});
}

TEST(Pictures, FiltersOfTheFirstPixelReadingLayer) {
  latent::testing::ScratchDir dir("pictures_filters");
  const ModelShape shape{4, 4, 10};
  std::unique_ptr<Model> ae = latent::testing::MakeModel("ae", shape, {"latent-dim=12"});
  ae->params().Allocate(Device::Cpu(), 1);
  ASSERT_TRUE(WriteFilters(dir.Path("f.png"), *ae, shape, 100));
  // 12 filters of 4x4 drawn 14x larger (56 / 4), 10 to a row: two rows.
  const auto [w, h] = PngSize(dir.Path("f.png"));
  EXPECT_EQ(w, 2 * 10 + 10 * 56 + 9 * 2);
  EXPECT_GT(h, 2 * 56);
}

// Ten test images of 4x4, one of each digit: every pair the latent walks look for is there.
Dataset TenDigits() {
  Dataset d;
  d.height = d.width = 4;
  d.num_classes = 10;
  d.images = RandomUniform({10, 16}, 6, 0);
  std::vector<int32_t> labels(10);
  for (int32_t i = 0; i < 10; ++i) labels[i] = i;
  d.labels = Tensor::FromVector(labels, {10});
  return d;
}

std::vector<std::string> Files(const std::vector<Picture>& pictures) {
  std::vector<std::string> files;
  for (const Picture& p : pictures) files.push_back(p.file);
  return files;
}

TEST(Pictures, ReportPicturesDependOnTheModelAndTheRun) {
  latent::testing::ScratchDir dir("pictures_report");
  const ModelShape shape{4, 4, 10};
  const Dataset test = TenDigits();
  std::unique_ptr<Model> vae =
      latent::testing::MakeModel("vae", shape, {"latent-dim=2", "hidden=8"});
  vae->params().Allocate(Device::Cpu(), 1);
  WriteText(dir.Path("metrics.csv"), "epoch,train_loss,test_loss,seconds\n1,130.5,120.25,2.5\n");
  const std::vector<Picture> all =
      WriteReportPictures(dir.dir(), *vae, test, shape, dir.dir(), 1, 4);
  EXPECT_EQ(Files(all), (std::vector<std::string>{"reconstructions.png", "samples.png",
                                                  "interpolation.png", "manifold.png", "codes.png",
                                                  "filters.png", "loss_curves.png"}));
  for (const Picture& p : all) {
    EXPECT_NE(PngSize(dir.Path(p.file)).first, 0) << p.file;
    EXPECT_FALSE(p.caption.empty()) << p.file;
  }
  EXPECT_EQ(all[2].caption, "latent walks between pairs of test images: linear, then spherical");

  // An autoencoder has no prior to sample, and a run without metrics.csv no loss curves.
  latent::testing::ScratchDir ae_dir("pictures_report_ae");
  std::unique_ptr<Model> ae = latent::testing::MakeModel("ae", shape, {"latent-dim=3"});
  ae->params().Allocate(Device::Cpu(), 1);
  const std::vector<Picture> some =
      WriteReportPictures(ae_dir.dir(), *ae, test, shape, ae_dir.dir(), 1, 4);
  EXPECT_EQ(Files(some), (std::vector<std::string>{"reconstructions.png", "interpolation.png",
                                                   "codes.png", "filters.png"}));
  EXPECT_EQ(some[1].caption, "latent walks between pairs of test images (linear)");
  EXPECT_EQ(some[2].caption, "test codes on their two principal components");
}

TEST(Pictures, DenoisingAndRocPicturesGoIntoTheDirectory) {
  latent::testing::ScratchDir dir("pictures_sections");
  const ModelShape shape{4, 4, 10};
  const Dataset test = TenDigits();
  DenoisingResult noise;
  noise.noise = "gaussian";
  noise.noisy_examples = test.images.Rows(0, 3);
  noise.output_examples = test.images.Rows(3, 6);
  EXPECT_EQ(WriteDenoisingPicture(dir.dir(), test, {noise}, shape).file, "denoising.png");
  const int one_noise = PngSize(dir.Path("denoising.png")).second;
  WriteDenoisingPicture(dir.dir(), test, {noise, noise}, shape);
  // Under the clean row, two rows per noise (corrupted, denoised) of 4 x 2 pixels and a gap of 2.
  EXPECT_EQ(PngSize(dir.Path("denoising.png")).second - one_noise, 2 * (8 + 2));
  AnomalyResult anomaly;
  anomaly.per_digit = {{0, 0.75, {{0, 0}, {0.5, 1}, {1, 1}}}};
  EXPECT_EQ(WriteRocPicture(dir.dir(), anomaly).file, "roc.png");
  EXPECT_EQ(PngSize(dir.Path("roc.png")), std::make_pair(640, 480));
}

}  // namespace
}  // namespace latent
