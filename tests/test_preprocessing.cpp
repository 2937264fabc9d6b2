#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "TempDir.h"
#include "core/Safetensors.h"
#include "data/ImageDecoding.h"
#include "data/ImageFolder.h"
#include "data/PillowResample.h"

using namespace fgq;
namespace fs = std::filesystem;

namespace {

const std::string kImages = std::string(FGQ_GOLDEN_DIR) + "/../images";

cv::Mat asMat(const Tensor& t) {  // [H, W, C] u8
  return cv::Mat(static_cast<int>(t.shape()[0]), static_cast<int>(t.shape()[1]), CV_8UC(static_cast<int>(t.shape()[2])),
                 const_cast<uint8_t*>(t.data<uint8_t>()));
}

int maxDifference(const cv::Mat& a, const cv::Mat& b) {
  if (a.size() != b.size() || a.type() != b.type()) return 256;
  double worst = 0;
  cv::Mat diff;
  cv::absdiff(a.reshape(1), b.reshape(1), diff);
  cv::minMaxLoc(diff, nullptr, &worst);
  return static_cast<int>(worst);
}

TransformOptions imagenetEvaluation(Preprocessing preprocessing) {
  TransformOptions o;
  o.resize = 256;
  o.centerCrop = 224;
  o.preprocessing = preprocessing;
  return o;
}

// Resize(256) + CenterCrop(224) of one photograph, as u8 RGB.
cv::Mat evaluationPixels(const std::string& path, Preprocessing preprocessing) {
  Random random(0);
  const cv::Mat image = decodeImage(path, 3, preprocessing);
  REQUIRE_MESSAGE(!image.empty(), path);
  return resizeAndCrop(image, imagenetEvaluation(preprocessing), random).clone();
}

cv::Mat torchvisionPixels(const std::string& photo) {
  cv::Mat expected = cv::imread(kImages + "/torchvision/" + fs::path(photo).stem().string() + ".png", cv::IMREAD_COLOR);
  REQUIRE(!expected.empty());
  cv::cvtColor(expected, expected, cv::COLOR_BGR2RGB);
  return expected;
}

std::vector<std::string> photographs() {
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(kImages + "/photos")) files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

TEST_CASE("Pillow's bilinear resize is matched bit for bit, shrinking, enlarging and keeping each axis") {
  const TensorFile golden = loadSafetensors(std::string(FGQ_GOLDEN_DIR) + "/pillow_resize.safetensors");
  const cv::Mat input = asMat(golden.tensors.at("input"));
  REQUIRE(golden.tensors.size() == 8);
  for (const auto& [name, expected] : golden.tensors) {
    if (name == "input") continue;
    const cv::Mat want = asMat(expected);
    INFO(name);
    CHECK(maxDifference(pillowResizeBilinear(input, want.cols, want.rows), want) == 0);
  }
}

TEST_CASE("ImageNet evaluation inputs equal torchvision's on photographs of every kind") {
  const std::vector<std::string> photos = photographs();
  REQUIRE(photos.size() >= 14);
  for (const std::string& photo : photos) {
    const int difference = maxDifference(evaluationPixels(photo, Preprocessing::torchvision), torchvisionPixels(photo));
    INFO(photo << ": worst pixel differs by " << difference << "/255");
    CHECK(difference == 0);
  }
}

TEST_CASE("the opencv preprocessing stays available by name and is what it was: cv::imread and INTER_LINEAR") {
  const std::string retina = kImages + "/photos/retina.jpg";  // 1411 x 1411: shrunk 5.5x, where aliasing shows
  cv::Mat old = cv::imread(retina, cv::IMREAD_COLOR);
  cv::cvtColor(old, old, cv::COLOR_BGR2RGB);
  cv::resize(old, old, cv::Size(256, 256), 0, 0, cv::INTER_LINEAR);
  const cv::Mat opencv = evaluationPixels(retina, Preprocessing::opencv);
  CHECK(maxDifference(opencv, old(cv::Rect(16, 16, 224, 224))) == 0);
  CHECK(maxDifference(opencv, torchvisionPixels(retina)) > 16);
  // OpenCV applies the EXIF orientation, torchvision does not: the rotated photo's crop is another picture.
  const std::string rotated = kImages + "/photos/motorcycle_exif_rotated.jpg";
  CHECK(decodeImage(rotated, 3, Preprocessing::opencv).rows == 700);
  CHECK(decodeImage(rotated, 3, Preprocessing::torchvision).rows == 333);
}

TEST_CASE("one channel is Pillow's gray conversion of the RGB image") {
  const cv::Mat rgb = decodeImage(kImages + "/photos/chelsea.png", 3, Preprocessing::torchvision);
  const cv::Mat gray = decodeImage(kImages + "/photos/chelsea.png", 1, Preprocessing::torchvision);
  REQUIRE(gray.channels() == 1);
  const cv::Vec3b p = rgb.at<cv::Vec3b>(100, 200);
  CHECK(gray.at<uint8_t>(100, 200) == (p[0] * 19595 + p[1] * 38470 + p[2] * 7471 + 0x8000) >> 16);
}

TEST_CASE("a truncated or corrupt JPEG is not decoded (an error naming it, or skipped), as torchvision refuses it") {
  testing::TempDir dir;
  std::ifstream in(kImages + "/photos/coffee.jpg", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string truncated = dir / "truncated.jpg", corrupt = dir / "corrupt.jpg";
  std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  std::ofstream(corrupt, std::ios::binary) << bytes.substr(0, 200) + std::string(400, '\x55');
  CHECK(decodeImage(truncated, 3, Preprocessing::torchvision).empty());
  CHECK(decodeImage(corrupt, 3, Preprocessing::torchvision).empty());
  CHECK_FALSE(decodeImage(kImages + "/photos/coffee.jpg", 3, Preprocessing::torchvision).empty());
}
