#include "train/Optimizer.h"

namespace fgq {

void Optimizer::saveSlots(std::map<std::string, Tensor>& out, const std::string& kind, const std::vector<Tensor>& slots) {
  for (size_t i = 0; i < slots.size(); ++i)
    if (slots[i].defined()) out[kind + "." + std::to_string(i)] = slots[i];
}

void Optimizer::loadSlots(const std::map<std::string, Tensor>& state, const std::string& kind, std::vector<Tensor>& slots,
                          const std::string& source) const {
  for (size_t i = 0; i < slots.size(); ++i) {
    auto it = state.find(kind + "." + std::to_string(i));
    if (it == state.end()) {
      slots[i] = Tensor();
      continue;
    }
    if (it->second.shape() != parameters_[i].shape())
      throw Error(source + ": optimizer state '" + it->first + "' has shape " + it->second.shape().str() +
                  ", its parameter " + parameters_[i].shape().str());
    slots[i] = it->second.clone();
  }
}

}  // namespace fgq
