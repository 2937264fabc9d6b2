#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/Safetensors.h"
#include "core/TensorOps.h"

using namespace fgq;
namespace fs = std::filesystem;

namespace {

std::string tempPath(const std::string& name) { return (fs::temp_directory_path() / ("fgq_test_" + name)).string(); }

void writeRaw(const std::string& path, const std::string& header, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  const uint64_t n = header.size();
  out.write(reinterpret_cast<const char*>(&n), 8);
  out << header << data;
}

std::string loadError(const std::string& path) {
  try {
    loadSafetensors(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("safetensors round trip keeps names, shapes, dtypes, values and metadata") {
  const std::string path = tempPath("roundtrip.safetensors");
  Tensor f = Tensor::fromVector({2, 2}, {1.5f, -2.f, 3.25f, 0.f});
  Tensor i = Tensor::full({3}, 7, DType::kS64);
  Tensor u = Tensor::full({}, 200, DType::kU8);
  saveSafetensors(path, {{"w", f}, {"count", i}, {"byte", u}}, {{"format", "pt"}});
  CHECK_FALSE(fs::exists(path + ".tmp"));
  const TensorFile file = loadSafetensors(path);
  CHECK(file.metadata.at("format") == "pt");
  CHECK(compare(file.tensors.at("w"), f).maxAbsDiff == 0);
  CHECK(file.tensors.at("count").dtype() == DType::kS64);
  CHECK(file.tensors.at("count").data<int64_t>()[2] == 7);
  CHECK(file.tensors.at("byte").shape().rank() == 0);
  CHECK(file.tensors.at("byte").data<uint8_t>()[0] == 200);
}

TEST_CASE("safetensors widens F16 and BF16 to f32") {
  const std::string path = tempPath("half.safetensors");
  const uint16_t half[2] = {0x3c00, 0xc000};  // 1.0, -2.0
  const uint16_t bf16[1] = {0x4049};          // 3.140625
  std::string data(reinterpret_cast<const char*>(half), 4);
  data.append(reinterpret_cast<const char*>(bf16), 2);
  writeRaw(path,
           R"({"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[4,6]}})",
           data);
  const TensorFile file = loadSafetensors(path);
  CHECK(file.tensors.at("h").toVector() == std::vector<float>{1.f, -2.f});
  CHECK(file.tensors.at("b").toVector()[0] == doctest::Approx(3.140625));
}

TEST_CASE("bad safetensors files give one-line errors naming the file and tensor") {
  const std::string path = tempPath("bad.safetensors");
  CHECK(loadError(tempPath("does_not_exist.safetensors")).find("cannot open") != std::string::npos);

  std::ofstream(path, std::ios::binary) << "abc";
  CHECK(loadError(path).find("truncated") != std::string::npos);

  writeRaw(path, "{not json", "");
  CHECK(loadError(path).find("safetensors header: malformed JSON") != std::string::npos);

  writeRaw(path, R"({"w":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}})", "x");
  CHECK(loadError(path).find("tensor 'w': unsupported dtype 'Q4'") != std::string::npos);

  writeRaw(path, R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", "12345678");
  const std::string outside = loadError(path);
  CHECK(outside.find(path) == 0);
  CHECK(outside.find("tensor 'w': data_offsets [0, 16] outside the 8 data bytes") != std::string::npos);

  writeRaw(path, R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", "12345678");
  CHECK(loadError(path).find("F32 [3] needs 12") != std::string::npos);

  // A valid file cut short.
  saveSafetensors(path, {{"w", Tensor::zeros({100})}});
  fs::resize_file(path, fs::file_size(path) - 10);
  CHECK(loadError(path).find("tensor 'w': data_offsets") != std::string::npos);
  CHECK(loadError(path).find('\n') == std::string::npos);
}

TEST_CASE("hostile safetensors headers fail on named limits before anything is allocated") {
  const std::string path = tempPath("hostile.safetensors");
  auto refusal = [&](const std::string& header) {
    writeRaw(path, header, "");
    const std::string error = loadError(path);
    CHECK(error.find(path) == 0);
    CHECK(error.find('\n') == std::string::npos);
    return error;
  };
  // 2^32 x 2^32 elements: the product wraps to 0 in 64 bits, which once read as a tensor of 0 bytes.
  CHECK(refusal(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}})")
            .find("tensor 'w': shape [4294967296,4294967296] has more than 1099511627776 elements") != std::string::npos);
  CHECK(refusal(R"({"w":{"dtype":"U8","shape":[1,1,1,1,1,1,1,1,1],"data_offsets":[0,1]}})")
            .find("tensor 'w': shape has 9 dimensions (at most 8)") != std::string::npos);
  CHECK(refusal(R"({"w":{"dtype":"F32","shape":[1e309],"data_offsets":[0,4]}})").find("safetensors header: malformed JSON") !=
        std::string::npos);
  CHECK(refusal(std::string(100'000, '[') + std::string(100'000, ']')).find("nested deeper than 100 levels") != std::string::npos);

  // A header length over safetensors' own limit (the file is sparse: no 100 MB written).
  writeRaw(path, "{}", "");
  const uint64_t claimed = kMaxSafetensorsHeaderBytes + 8;
  {
    std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
    f.write(reinterpret_cast<const char*>(&claimed), 8);
  }
  fs::resize_file(path, claimed + 8);
  CHECK(loadError(path).find("safetensors header of 100000008 bytes (at most 100000000)") != std::string::npos);
}

TEST_CASE("saving into a directory that does not exist names the path") {
  CHECK_THROWS_WITH_AS(saveSafetensors("/nonexistent_dir/x.safetensors", {{"w", Tensor::zeros({1})}}),
                       doctest::Contains("/nonexistent_dir/x.safetensors: cannot write"), Error);
}
