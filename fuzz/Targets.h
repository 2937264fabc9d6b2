#pragma once
// The readers of files strangers send, each taking one input's bytes as the file it would read: it
// returns (the input was read) or throws fgq::Error (refused by name); anything else is a finding.
// The libFuzzer harnesses (fuzz/Harness.cpp) run them, and the suite replays the regression files of
// tests/fuzz/corpus/ through them (tests/test_fuzz_regressions.cpp).
#include <string>
#include <string_view>

namespace fgq::fuzz {

using Target = void (*)(std::string_view input);

void readSafetensors(std::string_view input);
// A config's text, then (after a NUL byte) one `--set` override per line, through parseExperiment.
void readConfig(std::string_view input);
// FGQ quantized models and VBD exports with their embedded configs, built and loaded in the FP32 and
// the integer engine.
void readModelFile(std::string_view input);
// The header check, then OpenCV's decoding, as the data folders do (pixel limit 2^20, so that time goes
// to headers rather than to decoding large valid images).
void readImage(std::string_view input);
void readIdx(std::string_view input);
// An ONNX file through the importer, then shape inference, tracing and a forward pass on a 3x32x32 image.
void readOnnx(std::string_view input);

// By corpus name: "safetensors", "config", "model_file", "image", "idx", "onnx"; throws for any other.
Target targetNamed(const std::string& name);

}  // namespace fgq::fuzz
