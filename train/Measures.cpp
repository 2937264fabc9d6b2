#include "train/Measures.h"

#include <sys/resource.h>

#include "quant/Accounting.h"
#include "train/Evaluate.h"

namespace fgq {

nlohmann::json measureModel(Module& model, Module* teacher, DataLoader& evalLoader, const Shape& imageShape, Module* accounted) {
  const EvalResult r = evaluate(model, evalLoader, teacher);
  nlohmann::json out = {{"top1", r.top1}, {"top5", r.top5}, {"loss", r.loss}, {"examples", r.examples}, {"images_per_second", r.imagesPerSecond}};
  if (teacher) {
    const EvalResult reference = evaluate(*teacher, evalLoader);
    out["teacher_top1"] = reference.top1;
    out["drop"] = reference.top1 - r.top1;
    out["agreement"] = r.agreement;
    out["logit_l1"] = r.logitL1;
  }
  out["cost"] = account(accounted ? *accounted : model, imageShape).toJson();
  return out;
}

int64_t peakResidentBytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;  // Linux reports kilobytes
}

}  // namespace fgq
