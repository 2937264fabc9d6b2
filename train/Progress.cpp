#include "train/Progress.h"

#include <unistd.h>

#include <cstdio>

#include "core/Communicator.h"

namespace fgq {

std::string formatDuration(double seconds) {
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  char buffer[32];
  if (s >= 3600)
    std::snprintf(buffer, sizeof buffer, "%ldh%02ldm", static_cast<long>(s / 3600), static_cast<long>(s % 3600 / 60));
  else if (s >= 60)
    std::snprintf(buffer, sizeof buffer, "%ldm%02lds", static_cast<long>(s / 60), static_cast<long>(s % 60));
  else
    std::snprintf(buffer, sizeof buffer, "%lds", static_cast<long>(s));
  return buffer;
}

Progress::Progress(int64_t epoch, int64_t epochs, int64_t steps, int64_t batchSize, std::string metric)
    : epoch_(epoch), epochs_(epochs), steps_(steps), batchSize_(batchSize), metric_(std::move(metric)), terminal_(isatty(fileno(stderr))),
      shown_(Communicator::world().isMain()), start_(std::chrono::steady_clock::now()) {}

std::string Progress::line(int64_t step, double loss, double metric) const {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const int64_t done = step + 1 - firstStep_;
  const double rate = elapsed > 0 ? static_cast<double>(done * batchSize_) / elapsed : 0;
  const double eta = done > 0 ? elapsed / static_cast<double>(done) * static_cast<double>(steps_ - step - 1) : 0;
  constexpr int kWidth = 20;
  const int filled = static_cast<int>(kWidth * (step + 1) / steps_);
  char buffer[256];
  const char* unit = metric_ == "bits" ? "" : "%";
  std::snprintf(buffer, sizeof buffer, "epoch %ld/%ld [%s%s] %ld/%ld loss %.4f %s %.2f%s %.0f img/s ETA %s",
                static_cast<long>(epoch_ + 1), static_cast<long>(epochs_), std::string(filled, '#').c_str(),
                std::string(kWidth - filled, '.').c_str(), static_cast<long>(step + 1), static_cast<long>(steps_), loss,
                metric_.c_str(), metric, unit, rate, formatDuration(eta).c_str());
  return buffer;
}

void Progress::update(int64_t step, double loss, double metric) {
  if (!shown_) return;
  if (firstStep_ < 0) firstStep_ = step;
  const auto now = std::chrono::steady_clock::now();
  if (terminal_) {
    if (step + 1 < steps_ && now - lastDraw_ < std::chrono::milliseconds(200)) return;
    lastDraw_ = now;
    std::fprintf(stderr, "\r%s\033[K", line(step, loss, metric).c_str());
  } else {
    const int64_t tenth = 10 * (step + 1) / steps_;
    if (tenth == lastTenth_) return;
    lastTenth_ = tenth;
    std::fprintf(stderr, "%s\n", line(step, loss, metric).c_str());
  }
  std::fflush(stderr);
}

void Progress::finish() {
  if (terminal_ && shown_) std::fprintf(stderr, "\n");
}

}  // namespace fgq
