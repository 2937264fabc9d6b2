#include <doctest/doctest.h>

#include "core/Safetensors.h"
#include "core/TensorOps.h"
#include "train/Adam.h"
#include "train/LrSchedule.h"
#include "train/Sgd.h"

using namespace fgq;

namespace {

// Three steps with the golden gradients; each result must equal PyTorch's to float rounding.
void checkAgainstTorch(const std::string& name, const std::function<std::unique_ptr<Optimizer>(std::vector<Variable>)>& make) {
  const TensorFile g = loadSafetensors(std::string(FGQ_GOLDEN_DIR) + "/optimizers.safetensors");
  Variable p(g.tensors.at("p0").clone(), true);
  auto optimizer = make({p});
  const std::vector<float> grads = g.tensors.at("grads").toVector(), expected = g.tensors.at(name).toVector();
  for (int step = 0; step < 3; ++step) {
    p.zeroGrad();
    p.addGrad(Tensor::fromVector({6}, std::vector<float>(grads.begin() + 6 * step, grads.begin() + 6 * step + 6)));
    optimizer->step();
    const std::vector<float> actual = p.tensor().toVector();
    for (int i = 0; i < 6; ++i) {
      INFO(name << " step " << step + 1 << " element " << i);
      CHECK(actual[i] == doctest::Approx(expected[6 * step + i]).epsilon(1e-5));
    }
  }
}

}  // namespace

TEST_CASE("SGD, Adam and AdamW updates equal PyTorch's") {
  checkAgainstTorch("sgd_nesterov", [](auto ps) { return std::make_unique<Sgd>(ps, SgdOptions{0.1, 0.9, 0.0, 0.01, true}); });
  checkAgainstTorch("sgd_dampening", [](auto ps) { return std::make_unique<Sgd>(ps, SgdOptions{0.1, 0.9, 0.5, 0.0, false}); });
  checkAgainstTorch("adam", [](auto ps) { return std::make_unique<Adam>(ps, AdamOptions{0.01, 0.8, 0.99, 1e-6, 0.01, false}); });
  checkAgainstTorch("adamw", [](auto ps) { return std::make_unique<Adam>(ps, AdamOptions{0.01, 0.8, 0.99, 1e-6, 0.1, true}); });
}

TEST_CASE("optimizer state round-trips, and a mismatched state names the source") {
  Variable p(Tensor::fromVector({2}, {1, 2}), true);
  Adam adam({p}, AdamOptions{});
  p.addGrad(Tensor::fromVector({2}, {0.5, -1}));
  adam.step();
  const auto state = adam.state();
  Adam restored({p}, AdamOptions{});
  restored.loadState(state, "ckpt");
  CHECK(compare(restored.state().at("exp_avg.0"), state.at("exp_avg.0")).maxAbsDiff == 0);
  Variable q(Tensor::zeros({3}), true);
  Adam other({q}, AdamOptions{});
  CHECK_THROWS_WITH_AS(other.loadState(state, "ckpt"), doctest::Contains("ckpt: optimizer state 'exp_avg.0' has shape [2]"), Error);
}

TEST_CASE("learning-rate schedules: warm-up, step, multistep, cosine") {
  LrSchedule s;
  s.baseLr = 1.0;
  s.warmupSteps = 4;
  CHECK(s.at(0) == doctest::Approx(0.25));
  CHECK(s.at(3) == doctest::Approx(1.0));
  s.type = "cosine";
  s.totalSteps = 14;
  s.minLr = 0.1;
  CHECK(s.at(4) == doctest::Approx(1.0));
  CHECK(s.at(9) == doctest::Approx(0.55));
  CHECK(s.at(14) == doctest::Approx(0.1));
  s.warmupSteps = 0;
  s.type = "step";
  s.stepSize = 10;
  s.gamma = 0.5;
  CHECK(s.at(25) == doctest::Approx(0.25));
  s.type = "multistep";
  s.milestones = {3, 7};
  CHECK(s.at(2) == doctest::Approx(1.0));
  CHECK(s.at(3) == doctest::Approx(0.5));
  CHECK(s.at(9) == doctest::Approx(0.25));
  s.type = "linear";
  CHECK_THROWS_WITH_AS(s.validate(), doctest::Contains("unknown schedule type 'linear'"), Error);
}
