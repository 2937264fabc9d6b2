#pragma once
// The integer engine behind the Module interface, so that evaluation, agreement with the teacher and
// saved outputs run on it unchanged. Evaluation only: it has no parameters and no gradients.
#include "infer/IntegerModel.h"

namespace fgq::infer {

class IntegerModule : public Module {
 public:
  explicit IntegerModule(IntegerModel engine) : engine_(std::move(engine)) {}
  Variable forward(const Variable& x) override { return Variable(engine_.forward(x.tensor())); }
  const IntegerModel& engine() const { return engine_; }

 private:
  IntegerModel engine_;
};

}  // namespace fgq::infer
