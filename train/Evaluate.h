#pragma once
// Top-1 / Top-5 accuracy and mean cross-entropy of a model over every batch a loader yields (eval
// mode, no gradients). Top-5 counts the label among the five highest scores, so it is 100% for five
// classes or fewer; a tie with the label's score counts against it, in both.
#include "data/DataLoader.h"
#include "layers/Module.h"

namespace fgq {

struct EvalResult {
  double top1 = 0, top5 = 0, loss = 0;  // accuracies in percent
  int64_t examples = 0;
  // With a teacher: how often the top-1 classes agree (percent), and the mean |logit difference|.
  double agreement = -1, logitL1 = -1;
  // The model's forward passes per second of their own time (data loading and the teacher excluded),
  // after the first batch, which creates primitives and buffers; over every batch when there is one.
  double imagesPerSecond = 0;
};

// With a sharded loader (data parallelism) every rank evaluates its shard and the counts are summed
// over the ranks: each gets the whole set's result (images/s stays its own).
EvalResult evaluate(Module& model, DataLoader& loader, Module* teacher = nullptr);

// Counts of correct predictions in one batch: logits [N, K], labels [N].
struct TopK {
  int64_t top1 = 0, top5 = 0;
};
TopK countCorrect(const Tensor& logits, const Tensor& labels);
// Rows of two logit tensors [N, K] whose top-1 classes agree.
int64_t countAgreements(const Tensor& a, const Tensor& b);

}  // namespace fgq
