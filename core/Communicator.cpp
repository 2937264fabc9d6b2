#include "core/Communicator.h"

#include <mpi.h>

#include <cstdlib>

#include "core/Error.h"

namespace fgq {
namespace {

void check(int status, const char* what) {
  if (status == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(status, text, &length);
  throw Error(std::string("MPI ") + what + " failed: " + std::string(text, static_cast<size_t>(length)));
}

int count(size_t n) {
  FGQ_CHECK(n <= static_cast<size_t>(INT32_MAX), "an MPI message of " << n << " elements, over MPI's int count");
  return static_cast<int>(n);
}

static_assert(sizeof(MPI_Request) <= 8 && alignof(MPI_Request) <= 8, "an MPI_Request fits PendingSum's storage");

}  // namespace

bool launchedByMpi() { return std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMI_SIZE"); }

Communicator& Communicator::world() {
  static Communicator world;
  return world;
}

Communicator::Communicator() {
  if (!launchedByMpi()) return;
  int provided = 0;
  // Only the training thread calls MPI (the data loader's threads never do).
  check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "initialization");
  initialized_ = true;
  check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "rank");
  check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "size");
}

Communicator::~Communicator() {
  if (initialized_) MPI_Finalize();
}

void Communicator::allreduceSum(std::span<double> values) const {
  if (!distributed()) return;
  check(MPI_Allreduce(MPI_IN_PLACE, values.data(), count(values.size()), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD), "allreduce");
}

void Communicator::allreduceMax(std::span<double> values) const {
  if (!distributed()) return;
  check(MPI_Allreduce(MPI_IN_PLACE, values.data(), count(values.size()), MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD), "allreduce");
}

void Communicator::broadcast(std::span<std::byte> bytes, int root) const {
  if (!distributed()) return;
  check(MPI_Bcast(bytes.data(), count(bytes.size()), MPI_BYTE, root, MPI_COMM_WORLD), "broadcast");
}

void Communicator::barrier() const {
  if (distributed()) check(MPI_Barrier(MPI_COMM_WORLD), "barrier");
}

Communicator::PendingSum Communicator::startAllreduceSum(std::span<float> values) const {
  PendingSum sum;
  if (!distributed()) return sum;
  auto* request = reinterpret_cast<MPI_Request*>(sum.request_);
  check(MPI_Iallreduce(MPI_IN_PLACE, values.data(), count(values.size()), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, request), "allreduce");
  sum.active_ = true;
  return sum;
}

bool Communicator::poll(PendingSum& sum) const {
  if (!sum.active_) return true;
  int done = 0;
  check(MPI_Test(reinterpret_cast<MPI_Request*>(sum.request_), &done, MPI_STATUS_IGNORE), "test");
  sum.active_ = done == 0;
  return !sum.active_;
}

void Communicator::wait(PendingSum& sum) const {
  if (!sum.active_) return;
  check(MPI_Wait(reinterpret_cast<MPI_Request*>(sum.request_), MPI_STATUS_IGNORE), "wait");
  sum.active_ = false;
}

void Communicator::abort(int code) const {
  if (initialized_) MPI_Abort(MPI_COMM_WORLD, code);
  std::exit(code);
}

}  // namespace fgq
