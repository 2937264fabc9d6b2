// The ImageNet path at test scale: ResNet-50 on generated JPEGs, the validation folder as distributed
// (flat, with a ground-truth file and a synset list), calibration and distillation from unlabeled
// folders of 1, 8 and 100 images, and the bad input a user with real files can give.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "ErrorOf.h"
#include "TempDir.h"
#include "layers/models/Models.h"
#include "train/Checkpoint.h"
#include "train/Datasets.h"
#include "train/Trainer.h"

using namespace fgq;
using testing::errorOf;
namespace fs = std::filesystem;

namespace {

// Smooth random colour fields: JPEG-compressible, and different enough that batch statistics vary.
void writeJpegs(const std::string& dir, int count, uint64_t seed) {
  fs::create_directories(dir);
  cv::RNG rng(seed);
  for (int i = 0; i < count; ++i) {
    cv::Mat small(6, 6, CV_8UC3), image;
    rng.fill(small, cv::RNG::UNIFORM, 0, 256);
    cv::resize(small, image, {80, 72}, 0, 0, cv::INTER_CUBIC);
    char name[32];
    std::snprintf(name, sizeof name, "/img_%04d.JPEG", i);
    cv::imwrite(dir + name, image);
  }
}

void writeLines(const std::string& path, const std::vector<std::string>& lines) {
  std::ofstream out(path);
  for (const auto& line : lines) out << line << "\n";
}

// Random-init weights saved as a converted torchvision file would be.
std::string writeWeights(const std::string& path, const std::string& arch, int64_t classes) {
  saveModel(path, *createModel(arch, {3, classes, 224, 7}));
  return path;
}

nlohmann::json imagenetConfig(const testing::TempDir& dir, const std::string& weights) {
  nlohmann::json c = nlohmann::json::parse(R"({
    "name": "small_imagenet",
    "model": {"arch": "resnet50", "num_classes": 3, "input_size": 64},
    "data": {"dataset": "image_folder",
             "normalize": {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]},
             "train_transforms": {"random_resized_crop": {"size": 64}, "hflip": true},
             "eval_transforms": {"resize": 72, "center_crop": 64}},
    "train": {"epochs": 0, "eval_batch_size": 8}
  })");
  c["model"]["weights"] = weights;
  c["data"]["train_root"] = dir / "train";
  c["data"]["eval_root"] = dir / "val";
  c["data"]["eval_ground_truth"] = dir / "val_ground_truth.txt";
  c["data"]["synsets"] = dir / "synsets.txt";
  c["output"]["dir"] = dir / "run";
  return c;
}

// Three synsets; the training set holds two of them; the validation set is flat with six images.
void writeSmallImagenet(const testing::TempDir& dir) {
  writeLines(dir / "synsets.txt", {"n01440764 tench", "n01443537 goldfish", "n01484850 great white shark"});
  writeJpegs(dir / "train/n01440764", 4, 1);
  writeJpegs(dir / "train/n01484850", 4, 2);
  writeJpegs(dir / "val", 6, 3);
  writeLines(dir / "val_ground_truth.txt", {"n01484850", "n01440764", "n01443537", "n01443537", "n01440764", "n01484850"});
}

Experiment parse(const nlohmann::json& json) { return parseExperiment(ConfigNode::fromJson(json, "imagenet.json")); }

std::string runError(const nlohmann::json& config) {
  const std::string message = errorOf([&] { runExperiment(parse(config), {false, true, -1}); });
  CHECK(message.find('\n') == std::string::npos);
  return message;
}

}  // namespace

TEST_CASE("the validation set as distributed: a flat folder labelled by synsets, class folders looked up in the synset list") {
  testing::TempDir dir;
  writeSmallImagenet(dir);
  const Experiment e = parse(imagenetConfig(dir, ""));
  Random random(0);
  const auto val = makeDataset(e, false, e.data.evalTransforms);
  REQUIRE(val->size() == 6);
  CHECK(val->numClasses() == 3);
  const std::vector<int64_t> expected = {2, 0, 1, 1, 0, 2};
  for (int64_t i = 0; i < 6; ++i) CHECK(val->get(i, random).label == expected[static_cast<size_t>(i)]);
  CHECK(val->get(0, random).image.shape() == Shape{3, 64, 64});
  const auto train = makeDataset(e, true, e.data.trainTransforms);  // two of the three classes keep their indices
  CHECK(train->get(0, random).label == 0);
  CHECK(train->get(4, random).label == 2);
}

TEST_CASE("bad ImageNet input: an empty val folder, a ground-truth count that does not match, weights of another architecture") {
  testing::TempDir dir;
  writeSmallImagenet(dir);
  const std::string resnet50 = writeWeights(dir / "resnet50.safetensors", "resnet50", 3);
  nlohmann::json c = imagenetConfig(dir, resnet50);
  c["quantization"] = {{"weights", {{"group_size", 64}}}, {"calibration", {{"images", 2}, {"recipe", "plain"}}}};

  nlohmann::json bad = c;
  fs::create_directories(dir / "empty_val");
  bad["data"]["eval_root"] = dir / "empty_val";
  CHECK(runError(bad) == dir / "empty_val" + ": no images (expected class subfolders of .jpg/.png/... files, or image files directly)");

  writeLines(dir / "short_ground_truth.txt", {"n01484850", "n01440764"});
  bad = c;
  bad["data"]["eval_ground_truth"] = dir / "short_ground_truth.txt";
  CHECK(runError(bad) == dir / "short_ground_truth.txt" + ": 2 labels for the 6 images in " + dir / "val");

  writeJpegs(dir / "train/n09999999", 1, 4);
  CHECK(runError(c) == dir / "train/n09999999" + ": class folder is not a synset of " + dir / "synsets.txt");
  fs::remove_all(dir / "train/n09999999");

  bad = c;
  bad["data"].erase("synsets");
  bad["data"].erase("eval_ground_truth");
  bad["data"]["eval_root"] = dir / "train";
  CHECK(runError(bad) == dir / "train" + ": 2 classes, but model.num_classes is 3 (for a subset of the classes give data.synsets, "
                                         "the full list of class names)");

  bad = c;
  bad["model"]["arch"] = "resnet101";  // resnet101 has every resnet50 tensor, and 17 more blocks in layer3
  CHECK(runError(bad) == resnet50 + ": does not fit the model (another architecture or class count?): 306 of its 626 tensors "
                                    "missing, 0 unexpected, 0 of another shape; first: missing tensor 'layer3.10.bn1.bias' "
                                    "(expected shape [256])");
  bad = c;
  bad["model"]["weights"] = writeWeights(dir / "alexnet.safetensors", "alexnet", 3);
  CHECK(runError(bad) == dir / "alexnet.safetensors" + ": does not fit the model (another architecture or class count?): 320 of its "
                                                      "320 tensors missing, 16 unexpected, 0 of another shape; first: missing tensor "
                                                      "'bn1.bias' (expected shape [64])");
  bad = c;
  bad["model"]["weights"] = writeWeights(dir / "resnet50_1000.safetensors", "resnet50", 1000);
  CHECK(runError(bad) == dir / "resnet50_1000.safetensors" + ": does not fit the model (another architecture or class count?): 0 of "
                                                            "its 320 tensors missing, 0 unexpected, 2 of another shape; first: "
                                                            "tensor 'fc.bias' has shape [1000], expected [3]");
}

TEST_CASE("calibration and distillation work from 1, 8 and 100 unlabeled images on ResNet-50") {
  testing::TempDir dir;
  writeSmallImagenet(dir);
  writeJpegs(dir / "unlabeled", 100, 5);
  const std::string weights = writeWeights(dir / "resnet50.safetensors", "resnet50", 3);
  for (const int64_t images : {1, 8, 100}) {
    CAPTURE(images);
    nlohmann::json c = imagenetConfig(dir, weights);
    // The default recipe below 256 images (synthesized inputs, batch-norm distillation) at test budgets.
    c["quantization"] = {{"weights", {{"group_size", 64}}},
                         {"calibration", {{"folder", dir / "unlabeled"}, {"images", images}, {"views", 1}, {"batch_size", 32},
                                          {"synthetic_images", 2}, {"synthesis_steps", 1}}},
                         {"distillation", {{"steps", 2}, {"batch_size", 4}, {"holdout_views", 4}}}};
    c["output"]["dir"] = dir / ("converted_" + std::to_string(images));
    const nlohmann::json converted = runExperiment(parse(c), {});
    CHECK(converted["calibration_images"] == images);
    CHECK(converted["calibration_mode"] == "images and synthesized");
    CHECK(converted["bn_distillation"]["steps"] == 2);

    c["finetune"] = {{"folder", dir / "unlabeled"}, {"images", images}, {"batch_size", 8}, {"optimizer", {{"type", "adam"}, {"lr", 1e-3}}}};
    if (images == 100) {
      c["finetune"]["epochs"] = 0.16;  // a fraction of a pass over the 100 images: 16 views, 2 steps
    } else {
      c["finetune"]["steps"] = 2;
    }
    c["output"]["dir"] = dir / ("finetuned_" + std::to_string(images));
    const nlohmann::json finetuned = runExperiment(parse(c), {});
    CHECK(finetuned["steps"] == 2);
    CHECK(finetuned["calibration_images"] == images);
    // Distillation moved the ternary student towards its teacher on images it never saw.
    CHECK(finetuned["logit_l1"].get<double>() < converted["logit_l1"].get<double>());
  }
}
