//===- ThreadPool.h - the runtime's workers behind tern_parallel_for -*- C++ -*-===//
#ifndef TERN_RUNTIME_THREADPOOL_H
#define TERN_RUNTIME_THREADPOOL_H

#include "runtime/include/tern/runtime.h"

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace tern::rt {

/// A fixed pool: the calling thread plus size()-1 workers. A parallel-for
/// splits its range into one contiguous share per thread, which its owner
/// runs from the front a grain at a time; a thread out of work takes half of
/// what is left of another's share from the back. Threads sharing DRAM do not
/// finish equal shares at the same time (one stream starts warmer, another
/// core is interrupted), and without stealing every call would wait for the
/// slowest. Workers spin briefly
/// before sleeping, because a decode step dispatches hundreds of short loops
/// and a condition-variable wake-up per loop would cost more than the loop;
/// with more threads than cores they sleep at once instead. The mutex and
/// condition variables are touched only when someone actually sleeps.
class ThreadPool {
public:
  explicit ThreadPool(int numThreads);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }
  void parallelFor(int64_t count, tern_task_fn fn, void *closure);

private:
  void workerLoop(int index);
  /// Runs share `self`, then what it can steal, until no share has work.
  void runShares(int self);
  bool takeFront(int self, int64_t &begin, int64_t &end);
  bool stealInto(int self);
  /// Returns the first generation different from `seen`, spinning then
  /// sleeping.
  uint64_t awaitGeneration(uint64_t seen);
  void publish(); // next generation, waking sleepers

  std::vector<std::thread> workers_;
  std::mutex callerMutex_; // one parallel-for at a time
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  // Each on its own cache line: the caller writes one, the workers the other.
  alignas(64) std::atomic<uint64_t> generation_{0};
  alignas(64) std::atomic<int> pending_{0};
  alignas(64) std::atomic<int> sleepingWorkers_{0};
  std::atomic<bool> callerSleeping_{false};
  std::atomic<bool> stop_{false};
  // Polling only pays when every thread has a core of its own.
  int spinIterations_ = 0;
  // The current job, published by generation_.
  tern_task_fn fn_ = nullptr;
  void *closure_ = nullptr;
  int64_t count_ = 0;
  int64_t unit_ = 1; // iterations per unit of a share
  int chunks_ = 0;
  /// Share i of the current job: [begin, end) packed as begin << 32 | end.
  struct alignas(64) Share {
    std::atomic<uint64_t> range{0};
  };
  std::unique_ptr<Share[]> shares_;
};

} // namespace tern::rt

#endif // TERN_RUNTIME_THREADPOOL_H
