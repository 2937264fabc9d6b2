#include "train/ReplicaState.h"

#include <vector>

namespace fgq {

void broadcastState(const Communicator& group, Module& model) {
  for (auto& [name, tensor] : model.stateDict()) {
    FGQ_CHECK(tensor.isPlain(), "replica state '" << name << "' is not in plain layout");
    group.broadcast(std::span<std::byte>(static_cast<std::byte*>(tensor.raw()), tensor.bytes()));
  }
}

bool anyRank(const Communicator& group, bool mine) {
  std::vector<double> votes{mine ? 1.0 : 0.0};
  group.allreduceSum(votes);
  return votes[0] > 0;
}

}  // namespace fgq
