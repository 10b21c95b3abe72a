#include "base/rw_mutex.h"

#include <cstdio>
#include <cstdlib>

namespace keyward {
namespace {

void Check(int rc, const char* what) {
  if (rc == 0) return;
  std::fprintf(stderr, "keyward: %s failed (%d)\n", what, rc);
  std::abort();
}

}  // namespace

RwMutex::RwMutex() {
  pthread_rwlockattr_t attr;
  Check(pthread_rwlockattr_init(&attr), "pthread_rwlockattr_init");
  // Writers first; the lock is never taken recursively (it would deadlock).
  Check(pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP),
        "pthread_rwlockattr_setkind_np");
  Check(pthread_rwlock_init(&lock_, &attr), "pthread_rwlock_init");
  pthread_rwlockattr_destroy(&attr);
}

RwMutex::~RwMutex() { pthread_rwlock_destroy(&lock_); }
void RwMutex::lock() { Check(pthread_rwlock_wrlock(&lock_), "pthread_rwlock_wrlock"); }
void RwMutex::unlock() { pthread_rwlock_unlock(&lock_); }
void RwMutex::lock_shared() { Check(pthread_rwlock_rdlock(&lock_), "pthread_rwlock_rdlock"); }
void RwMutex::unlock_shared() { pthread_rwlock_unlock(&lock_); }

}  // namespace keyward
