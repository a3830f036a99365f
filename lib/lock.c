// SPDX-License-Identifier: BSD-3-Clause
/*
 * libdmacopy's short lock (lib/lock.h): what happens under contention, and the futex calls.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <unistd.h>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#endif

#include "lock.h"

/* Spins before a waiter sleeps: the lock is held for the length of a push or a poll. */
#define LOCK_SPINS 128

void lib_futex_wait(uint32_t *word, uint32_t val)
{
#if defined(__linux__)
	syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
#else
	(void)word;
	(void)val;
	sched_yield();
#endif
}

void lib_futex_wake(uint32_t *word, int count)
{
#if defined(__linux__)
	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
#else
	(void)word;
	(void)count;
#endif
}

/*
 * The lock was held: spin while it stays held and nobody sleeps, then mark it contended (2) and
 * sleep until it is free. A thread that took it through this path leaves it marked 2, so its
 * unlock wakes the next sleeper, if any (one spare wake at most).
 */
void lib_lock_wait(struct lib_lock *l)
{
	for (unsigned int i = 0; i < LOCK_SPINS; i++) {
		uint32_t w = __atomic_load_n(&l->word, __ATOMIC_RELAXED);

		if (w == 2)
			break;
		if (!w && __atomic_compare_exchange_n(&l->word, &w, 1, false, __ATOMIC_ACQUIRE,
						      __ATOMIC_RELAXED))
			return;
		lib_cpu_relax();
	}
	while (__atomic_exchange_n(&l->word, 2, __ATOMIC_ACQUIRE))
		lib_futex_wait(&l->word, 2);
}

void lib_lock_wake(struct lib_lock *l)
{
	lib_futex_wake(&l->word, 1);
}
