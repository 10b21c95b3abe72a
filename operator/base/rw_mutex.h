// A reader-writer mutex that lets a waiting writer in before new readers,
// so a steady stream of lookups never starves an index update (glibc's
// std::shared_mutex prefers readers). Usable with std::shared_lock.
#pragma once
#include <pthread.h>

namespace keyward {

class RwMutex {
 public:
  RwMutex();
  ~RwMutex();
  RwMutex(const RwMutex&) = delete;
  RwMutex& operator=(const RwMutex&) = delete;

  void lock();
  void unlock();
  void lock_shared();
  void unlock_shared();

 private:
  pthread_rwlock_t lock_;
};

}  // namespace keyward
