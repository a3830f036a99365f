/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What every guest test program shares: failure reporting under the program's name (each defines
 * test_name before including this), a monotonic clock, and a reproducible PRNG.
 */
#ifndef PROGS_UTIL_H
#define PROGS_UTIL_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

__attribute__((format(printf, 1, 2), noreturn)) static inline void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: FAIL: ", test_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

__attribute__((format(printf, 1, 2))) static inline void note(const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", test_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static inline double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* xorshift64*: reproducible from the seed each program prints. */
static inline uint64_t rnd_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static inline uint64_t rnd_below(uint64_t *s, uint64_t n)
{
	return n ? rnd_next(s) % n : 0;
}

/* Log-uniform in [lo, hi]: every power-of-two octave is about as likely. */
static inline uint64_t rnd_log(uint64_t *s, uint64_t lo, uint64_t hi)
{
	unsigned int bits = 64 - (unsigned int)__builtin_clzll(hi);
	uint64_t v;

	do {
		unsigned int k = (unsigned int)rnd_below(s, bits);
		uint64_t base = 1ull << k;

		v = base + rnd_below(s, base);
	} while (v < lo || v > hi);
	return v;
}

static inline void rnd_fill(uint64_t *s, void *buf, size_t len)
{
	unsigned char *p = buf;
	uint64_t v;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		v = rnd_next(s);
		memcpy(p + i, &v, 8);
	}
	v = rnd_next(s);
	if (i < len)
		memcpy(p + i, &v, len - i);
}

/*
 * A check that does not stop the program, for programs using libdmacopy: prints where and what
 * failed with the library's last error, and counts it in check_failures.
 */
static int check_failures __attribute__((unused));

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("FAIL  %s:%d: ", __func__, __LINE__);                               \
			printf(__VA_ARGS__);                                                       \
			printf("  [last error: %s]\n", dmacopy_last_error());                      \
			fflush(stdout);                                                            \
			check_failures++;                                                          \
		}                                                                                  \
	} while (0)

/*
 * The page frame of the 4 KiB page at va, from fd open on /proc/self/pagemap (root needed): 0 and
 * *pfn, or -1 when it cannot be read or the page is not present.
 */
static inline int pagemap_pfn(int fd, uintptr_t va, uint64_t *pfn)
{
	uint64_t e;

	if (pread(fd, &e, sizeof(e), (off_t)(va / 4096 * sizeof(e))) != sizeof(e) || !(e >> 63) ||
	    !(e & ((1ull << 55) - 1)))
		return -1;
	*pfn = e & ((1ull << 55) - 1);
	return 0;
}

#endif /* PROGS_UTIL_H */
