#pragma once
// The processes of a data-parallel run. Under mpirun (OMPI_COMM_WORLD_SIZE or PMI_SIZE in the
// environment) it is MPI's world, initialized on first use and finalized at exit; otherwise it is the
// one process, and MPI is never initialized. Collectives are called by every rank in the same order.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace fgq {

class Communicator {
 public:
  static Communicator& world();

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool isMain() const { return rank_ == 0; }
  bool distributed() const { return size_ > 1; }

  // This rank's share of work listed alike on every rank: items rank, rank + size, rank + 2 size, ...
  template <class T>
  std::vector<T> shareOf(const std::vector<T>& items) const {
    std::vector<T> mine;
    for (size_t i = static_cast<size_t>(rank_); i < items.size(); i += static_cast<size_t>(size_)) mine.push_back(items[i]);
    return mine;
  }

  // In place: every rank ends with the elementwise sum over the ranks.
  void allreduceSum(std::span<double> values) const;
  // In place: every rank ends with the elementwise maximum over the ranks.
  void allreduceMax(std::span<double> values) const;
  // Rank `root`'s bytes to every rank.
  void broadcast(std::span<std::byte> bytes, int root = 0) const;
  void barrier() const;

  // A sum started now and completed by wait(), so that it proceeds while the caller computes. Open MPI's
  // shared-memory transport progresses only inside MPI calls: poll() from the computation.
  class PendingSum {
    friend class Communicator;
    alignas(8) std::byte request_[8]{};  // an MPI_Request
    bool active_ = false;
  };
  PendingSum startAllreduceSum(std::span<float> values) const;
  bool poll(PendingSum& sum) const;  // true once complete
  void wait(PendingSum& sum) const;

  // Stops every rank at once (mpirun names this one); for an error on one rank, which would otherwise
  // leave the others waiting in a collective.
  [[noreturn]] void abort(int code) const;

  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

 private:
  Communicator();
  ~Communicator();
  int rank_ = 0, size_ = 1;
  bool initialized_ = false;
};

// Whether this process was started by an MPI launcher (its environment says so).
bool launchedByMpi();

}  // namespace fgq
