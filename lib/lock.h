/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libdmacopy's short lock for the per-batch path, and the futex calls under it.
 *
 * A polled engine takes its channel's lock twice per batch. pthread_mutex_lock() and
 * pthread_mutex_unlock() are calls into the C library through its PLT that look at the mutex's
 * type before its word; this lock is one compare-and-swap to take and one exchange to release,
 * inline, and reaches the kernel only under contention: a holder that finds waiters wakes one.
 * Its word: 0 free, 1 held, 2 held and someone may sleep on it.
 */
#ifndef DMACOPY_LOCK_H
#define DMACOPY_LOCK_H

#include <stdbool.h>
#include <stdint.h>

struct lib_lock {
	uint32_t word;
};

void lib_lock_wait(struct lib_lock *l);
void lib_lock_wake(struct lib_lock *l);
void lib_futex_wait(uint32_t *word, uint32_t val);
void lib_futex_wake(uint32_t *word, int count);

static inline void lib_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

static inline __attribute__((always_inline)) void lib_lock(struct lib_lock *l)
{
	uint32_t free_word = 0;

	if (__builtin_expect(!__atomic_compare_exchange_n(&l->word, &free_word, 1, false,
							  __ATOMIC_ACQUIRE, __ATOMIC_RELAXED), 0))
		lib_lock_wait(l);
}

static inline __attribute__((always_inline)) void lib_unlock(struct lib_lock *l)
{
	if (__builtin_expect(__atomic_exchange_n(&l->word, 0, __ATOMIC_RELEASE) == 2, 0))
		lib_lock_wake(l);
}

#endif
