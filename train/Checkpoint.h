#pragma once
// Training checkpoints: one safetensors file with the model ("model.<name>", PyTorch's names), the
// optimizer state ("optimizer.<slot>.<index>") and, in the metadata, the progress of the run as JSON.
// Written to a temporary file and renamed, so an interrupted write leaves the previous checkpoint.
#include <nlohmann/json.hpp>

#include "layers/Module.h"
#include "train/Optimizer.h"

namespace fgq {

void saveCheckpoint(const std::string& path, const Module& model, const Optimizer& optimizer, const nlohmann::json& progress);
// Loads model and optimizer state; returns the progress. Throws naming the file and tensor for a
// checkpoint that does not fit the model.
nlohmann::json loadCheckpoint(const std::string& path, Module& model, Optimizer& optimizer);

// A plain state dict (PyTorch's names) for a model alone: what torch's load_state_dict reads.
void saveModel(const std::string& path, const Module& model);
void loadModel(const std::string& path, Module& model);

}  // namespace fgq
