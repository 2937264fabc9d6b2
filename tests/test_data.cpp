#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "TempDir.h"
#include "core/TensorOps.h"
#include "data/DataLoader.h"
#include "data/FashionMnist.h"
#include "data/ImageFolder.h"

using namespace fgq;

namespace {

// root/class_a, root/class_b with `perClass` 12x10 PNGs each.
void writeImageFolder(const std::string& root, int perClass) {
  for (int c = 0; c < 2; ++c) {
    const std::string dir = root + "/class_" + std::string(1, static_cast<char>('a' + c));
    std::filesystem::create_directories(dir);
    for (int i = 0; i < perClass; ++i) {
      cv::Mat image(10, 12, CV_8UC3, cv::Scalar(20 * i, 100 * c, 7));
      cv::imwrite(dir + "/" + std::to_string(i) + ".png", image);
    }
  }
}

}  // namespace

TEST_CASE("Fashion-MNIST loads from Debian's package: 60,000 + 10,000 images, 6,000 + 1,000 per class") {
  if (!std::filesystem::exists(kFashionMnistDefaultRoot)) {
    MESSAGE("dataset-fashion-mnist is not installed; skipped");
    return;
  }
  FashionMnist train(kFashionMnistDefaultRoot, "train", {}), test(kFashionMnistDefaultRoot, "test", {});
  CHECK(train.size() == 60000);
  CHECK(test.size() == 10000);
  std::vector<int> perClass(10);
  Random random(0);
  for (int64_t i = 0; i < test.size(); ++i) perClass[test.get(i, random).label]++;
  for (int count : perClass) CHECK(count == 1000);
  const Example e = train.get(0, random);
  CHECK(e.image.shape() == Shape{1, 28, 28});
  CHECK(maxAbs(e.image) <= 1.0);
}

TEST_CASE("a corrupt or missing IDX file is an error naming the file") {
  testing::TempDir dir;
  CHECK_THROWS_WITH_AS(FashionMnist(dir / "nothing", "train", {}), doctest::Contains("Fashion-MNIST directory not found"), Error);
  std::ofstream(dir / "train-images-idx3-ubyte.gz") << "garbage";
  CHECK_THROWS_WITH_AS(FashionMnist(dir.str(), "train", {}), doctest::Contains("train-images-idx3-ubyte.gz: "), Error);
}

TEST_CASE("image folder: classes from subfolders, transforms, corrupt images named or skipped") {
  testing::TempDir dir;
  writeImageFolder(dir.str(), 3);
  TransformOptions t;
  t.resize = 8;
  t.centerCrop = 8;
  t.mean = {0.5, 0.5, 0.5};
  t.std = {0.25, 0.25, 0.25};
  ImageFolder folder(dir.str(), t);
  CHECK(folder.size() == 6);
  CHECK(folder.classes() == std::vector<std::string>{"class_a", "class_b"});
  Random random(0);
  const Example e = folder.get(4, random);
  CHECK(e.label == 1);
  CHECK(e.image.shape() == Shape{3, 8, 8});
  // Channel 1 of class_b is 100/255: normalized (0.392 - 0.5) / 0.25.
  CHECK(e.image.toVector()[64] == doctest::Approx((100.0 / 255.0 - 0.5) / 0.25).epsilon(1e-4));

  std::ofstream(dir / "class_a/1.png") << "not a png";
  CHECK_THROWS_WITH_AS(folder.get(1, random), doctest::Contains("class_a/1.png: cannot decode image"), Error);
  ImageFolderOptions skip;
  skip.skipBadImages = true;
  ImageFolder skipping(dir.str(), t, skip);
  CHECK(skipping.get(1, random).image.shape() == Shape{3, 8, 8});  // the next readable image

  testing::TempDir empty;
  CHECK_THROWS_WITH_AS(ImageFolder(empty.str(), t), doctest::Contains(": no images"), Error);
  CHECK_THROWS_WITH_AS(ImageFolder(empty / "missing", t), doctest::Contains("missing: image folder not found"), Error);
}

TEST_CASE("the loader starts an epoch at any step with the batches an uninterrupted epoch has") {
  testing::TempDir dir;
  writeImageFolder(dir.str(), 10);
  TransformOptions t;
  t.randomCrop = RandomCrop{8, 2};
  t.horizontalFlip = true;
  ImageFolder folder(dir.str(), t);
  DataLoader loader(folder, {4, true, true, 7, 2, -1});
  CHECK(loader.stepsPerEpoch() == 5);
  std::vector<Batch> full;
  loader.startEpoch(3);
  while (auto b = loader.next()) full.push_back(*b);
  REQUIRE(full.size() == 5);
  loader.startEpoch(3, 2);
  for (size_t i = 2; i < 5; ++i) {
    auto b = loader.next();
    REQUIRE(b);
    CHECK(compare(b->images, full[i].images).maxAbsDiff == 0);
    CHECK(compare(b->labels.to(DType::kF64), full[i].labels.to(DType::kF64)).maxAbsDiff == 0);
  }
  CHECK_FALSE(loader.next());
  loader.startEpoch(4);
  CHECK(compare(loader.next()->images, full[0].images).maxAbsDiff > 0);  // another epoch, another order
}

TEST_CASE("a failure while assembling a batch reaches the training thread") {
  testing::TempDir dir;
  writeImageFolder(dir.str(), 4);
  std::ofstream(dir / "class_b/2.png") << "broken";
  ImageFolder folder(dir.str(), {});
  DataLoader loader(folder, {2, false, true, 0, 1, -1});
  loader.startEpoch(0);
  auto drain = [&] {
    while (loader.next()) {
    }
  };
  CHECK_THROWS_WITH_AS(drain(), doctest::Contains("class_b/2.png: cannot decode image"), Error);
}

TEST_CASE("a flat folder takes its labels from a ground-truth file, by index or synset, and a count mismatch is named") {
  testing::TempDir dir;
  for (int i = 0; i < 3; ++i) cv::imwrite(dir / ("val_" + std::to_string(i) + ".jpg"), cv::Mat(8, 8, CV_8UC3, cv::Scalar(i * 50, 0, 0)));
  std::ofstream(dir / "synsets.txt") << "n01 tench\nn02 goldfish\nn03 shark\n";
  std::ofstream(dir / "gt.txt") << "n03\nn01\nn02\n";
  ImageFolderOptions options;
  options.groundTruth = dir / "gt.txt";
  options.synsets = dir / "synsets.txt";
  ImageFolder folder(dir.str(), {}, options);
  Random random(0);
  CHECK(folder.get(0, random).label == 2);
  CHECK(folder.get(1, random).label == 0);
  CHECK(folder.numClasses() == 3);
  std::ofstream(dir / "indices.txt") << "1\n0\n";
  options.groundTruth = dir / "indices.txt";
  CHECK_THROWS_WITH_AS(ImageFolder(dir.str(), {}, options), doctest::Contains("indices.txt: 2 labels for the 3 images"), Error);
  std::ofstream(dir / "bad.txt") << "n09\nn01\nn02\n";
  options.groundTruth = dir / "bad.txt";
  CHECK_THROWS_WITH_AS(ImageFolder(dir.str(), {}, options), doctest::Contains("bad.txt: line 1: 'n09' is not a class index"), Error);
}


TEST_CASE("an image whose header claims more pixels than data.max_image_pixels is refused naming the file, before decoding") {
  testing::TempDir dir;
  const cv::Mat small(10, 10, CV_8UC3, cv::Scalar(40, 80, 120));
  TransformOptions none;
  Random random(1);
  for (const char* ext : {".png", ".jpg", ".bmp", ".webp", ".tiff"}) {
    INFO(ext);
    const std::string path = dir / (std::string("small") + ext);
    REQUIRE(cv::imwrite(path, small));
    REQUIRE(readImageSize(path).has_value());
    CHECK(readImageSize(path)->width == 10);
    CHECK(loadImage(path, 3, 100, none, random).defined());
    CHECK_THROWS_WITH_AS(loadImage(path, 3, 99, none, random), (path + ": image of 10 x 10 pixels, over the limit of 99 (data.max_image_pixels)").c_str(), Error);
  }
  // PNGs claiming 30,000 x 30,000 pixels (under OpenCV's own limit of 2^30, a 2.7 GB allocation),
  // 100,000 x 100,000 (over it) and 3,722,304,989 squared (over 2^64: fuzz_image's first finding, see
  // tests/fuzz/corpus/image/regression_pixel_count_overflow.png): the IHDR's width and height patched.
  for (const uint32_t side : {30'000u, 100'000u, 3'722'304'989u}) {
    const std::string path = dir / ("claims" + std::to_string(side) + ".png");
    REQUIRE(cv::imwrite(path, small));
    std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
    const uint8_t bigEndian[4] = {uint8_t(side >> 24), uint8_t(side >> 16), uint8_t(side >> 8), uint8_t(side)};
    for (const std::streamoff at : {16, 20}) {
      f.seekp(at);
      f.write(reinterpret_cast<const char*>(bigEndian), 4);
    }
    f.close();
    const std::string s = std::to_string(side);
    CHECK_THROWS_WITH_AS(loadImage(path, 3, kDefaultMaxImagePixels, none, random),
                         (path + ": image of " + s + " x " + s + " pixels, over the limit of 67108864 (data.max_image_pixels)").c_str(), Error);
  }
  std::ofstream(dir / "garbage.png") << "not an image at all";
  CHECK_FALSE(loadImage(dir / "garbage.png", 3, kDefaultMaxImagePixels, none, random).defined());
}
