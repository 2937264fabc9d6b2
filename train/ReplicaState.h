#pragma once
// Data-parallel replicas start equal: every parameter and buffer is rank 0's (as DDP does at
// construction), whatever each rank's initialization or file system gave it.
#include "core/Communicator.h"
#include "layers/Module.h"

namespace fgq {

void broadcastState(const Communicator& group, Module& model);

// Whether any rank says yes (every rank calls it at the same point).
bool anyRank(const Communicator& group, bool mine);

}  // namespace fgq
