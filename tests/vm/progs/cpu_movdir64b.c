// SPDX-License-Identifier: BSD-3-Clause
/*
 * cpu_movdir64b: the guest CPU's MOVDIR64B, as the DSA drivers use it.
 *
 *   cpu_movdir64b [-n STORES_PER_THREAD]
 *
 * 1. CPUID.(7,0):ECX[28] and /proc/cpuinfo's "movdir64b" flag are set.
 * 2. A store copies 64 bytes from any source alignment and touches nothing
 *    around the destination line.
 * 3. Two threads on two CPUs store to the same 64 lines at once, each store
 *    eight equal quadwords naming its thread and sequence number: at the end
 *    every line holds the eight quadwords of one store (a store split into
 *    pieces that interleave with the other thread's would mix them), and the
 *    last value of each line is one that thread really wrote.
 * 4. Faults as on hardware, with nothing stored: a destination not aligned to
 *    64 bytes raises #GP (SIGSEGV, SI_KERNEL); an unmapped destination or
 *    source, or a read-only destination, raises a page fault (SIGSEGV with
 *    the faulting address).
 */
#define _GNU_SOURCE
static const char *test_name = "cpu_movdir64b";

#include <cpuid.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <unistd.h>

#include "progs_util.h"

#define LINES 64

/* movdir64b (%rdx), %rax: 64 bytes from src to the 64-byte aligned dst. */
static inline void movdir64b(void *dst, const void *src)
{
	__asm__ volatile(".byte 0x66, 0x0f, 0x38, 0xf8, 0x02"
			 : "+m"(*(volatile char(*)[64])dst)
			 : "m"(*(const char(*)[64])src), "a"(dst), "d"(src)
			 : "memory");
}

static sigjmp_buf fault_jmp;
static volatile sig_atomic_t fault_code;
static void *volatile fault_addr;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	fault_code = si->si_code;
	fault_addr = si->si_addr;
	siglongjmp(fault_jmp, 1);
}

/* Run one store expected to fault; returns the si_code (0 if it did not fault). */
static int faulting_store(void *dst, const void *src)
{
	fault_code = 0;
	fault_addr = NULL;
	if (sigsetjmp(fault_jmp, 1) == 0) {
		movdir64b(dst, src);
		return 0;
	}
	return fault_code;
}

static void check_cpuid(void)
{
	unsigned int a, b, c, d;
	char line[4096];
	bool flag = false;
	FILE *f;

	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(c & (1u << 28)))
		die("CPUID.(7,0):ECX bit 28 (MOVDIR64B) is clear");
	f = fopen("/proc/cpuinfo", "r");
	if (!f)
		die("/proc/cpuinfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5) && strstr(line, " movdir64b"))
			flag = true;
	fclose(f);
	if (!flag)
		die("/proc/cpuinfo does not list movdir64b");
	note("CPUID and /proc/cpuinfo advertise MOVDIR64B");
}

static void check_copy(uint64_t *seed)
{
	unsigned char *buf = aligned_alloc(4096, 3 * 4096);
	unsigned char src[64 + 64], before[3 * 4096];
	unsigned int i, misalign;

	if (!buf)
		die("out of memory");
	for (i = 0; i < 200; i++) {
		unsigned char *dst = buf + 4096 + 64 * rnd_below(seed, 4096 / 64);

		misalign = (unsigned int)rnd_below(seed, 64);
		rnd_fill(seed, buf, 3 * 4096);
		rnd_fill(seed, src, sizeof(src));
		memcpy(before, buf, sizeof(before));
		movdir64b(dst, src + misalign);
		if (memcmp(dst, src + misalign, 64))
			die("store %u (source offset %u): destination differs from the source", i,
			    misalign);
		if (memcmp(buf, before, (size_t)(dst - buf)) ||
		    memcmp(dst + 64, before + (dst - buf) + 64, sizeof(before) - (size_t)(dst - buf) - 64))
			die("store %u: bytes outside the destination line changed", i);
	}
	free(buf);
	note("200 stores from every source alignment copied exactly 64 bytes");
}

struct racer {
	uint64_t *lines;	/* LINES * 8 quadwords, 64-byte aligned */
	unsigned int id;
	unsigned long n;
	uint64_t seed;
	uint64_t *last;		/* per line: this thread's last value stored there, or 0 */
};

static void *race(void *arg)
{
	struct racer *r = arg;
	uint64_t src[8] __attribute__((aligned(64)));
	cpu_set_t set;
	unsigned long k;
	int j;

	CPU_ZERO(&set);
	CPU_SET(r->id, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
		die("cannot pin thread %u to CPU %u", r->id, r->id);
	for (k = 1; k <= r->n; k++) {
		unsigned int line = (unsigned int)rnd_below(&r->seed, LINES);
		uint64_t v = ((uint64_t)(r->id + 1) << 56) | k;

		for (j = 0; j < 8; j++)
			src[j] = v;
		movdir64b(r->lines + 8 * line, src);
		r->last[line] = v;
	}
	return NULL;
}

static void check_race(unsigned long n, uint64_t *seed)
{
	uint64_t *lines = aligned_alloc(64, LINES * 64);
	struct racer r[2];
	pthread_t t[2];
	unsigned int i, l, j;
	double t0;

	if (!lines)
		die("out of memory");
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		die("needs 2 online CPUs, has %ld", sysconf(_SC_NPROCESSORS_ONLN));
	memset(lines, 0, LINES * 64);
	t0 = now_sec();
	for (i = 0; i < 2; i++) {
		r[i] = (struct racer){ .lines = lines, .id = i, .n = n, .seed = rnd_next(seed) | 1 };
		r[i].last = calloc(LINES, sizeof(uint64_t));
		if (!r[i].last || pthread_create(&t[i], NULL, race, &r[i]))
			die("cannot start thread %u", i);
	}
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	for (l = 0; l < LINES; l++) {
		uint64_t v = lines[8 * l];
		unsigned int who = (unsigned int)(v >> 56);

		for (j = 1; j < 8; j++)
			if (lines[8 * l + j] != v)
				die("line %u is torn: quadword 0 = %#llx, quadword %u = %#llx", l,
				    (unsigned long long)v, j, (unsigned long long)lines[8 * l + j]);
		if (who < 1 || who > 2 || (v & ((1ull << 56) - 1)) > n)
			die("line %u holds %#llx, which no thread stored", l, (unsigned long long)v);
		if (v != r[who - 1].last[l])
			die("line %u holds %#llx, not thread %u's last store there (%#llx)", l,
			    (unsigned long long)v, who - 1, (unsigned long long)r[who - 1].last[l]);
	}
	note("2 threads x %lu stores to %d shared lines in %.1f s: every line whole", n, LINES,
	     now_sec() - t0);
	for (i = 0; i < 2; i++)
		free(r[i].last);
	free(lines);
}

static void check_faults(void)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *map = mmap(NULL, 3 * (size_t)page, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char src[64] __attribute__((aligned(64)));
	unsigned char *ro, *gone;
	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO };
	unsigned int off;
	int code;

	if (map == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	ro = map + page;
	gone = map + 2 * page;
	memset(map, 0x5a, 3 * (size_t)page);
	memset(src, 0xa5, sizeof(src));
	if (mprotect(ro, (size_t)page, PROT_READ) || munmap(gone, (size_t)page))
		die("mprotect/munmap: %s", strerror(errno));
	sigaction(SIGSEGV, &sa, NULL);

	for (off = 1; off < 64; off += 7) {
		code = faulting_store(map + 128 + off, src);
		if (code != SI_KERNEL)
			die("destination misaligned by %u: si_code %d, want SI_KERNEL (#GP)", off,
			    code);
		if (map[128 + off] != 0x5a || map[128 + 64] != 0x5a)
			die("a faulting misaligned store changed memory");
	}
	code = faulting_store(ro, src);
	if (code != SEGV_ACCERR || fault_addr != ro)
		die("store to a read-only page: si_code %d addr %p, want SEGV_ACCERR at %p", code,
		    fault_addr, (void *)ro);
	if (ro[0] != 0x5a)
		die("a store to a read-only page changed it");
	code = faulting_store(gone, src);
	if (code != SEGV_MAPERR || fault_addr != gone)
		die("store to an unmapped page: si_code %d addr %p, want SEGV_MAPERR at %p", code,
		    fault_addr, (void *)gone);
	/* Source straddling into the unmapped page: the store must not happen. */
	code = faulting_store(map, ro + page - 32);
	if (code != SEGV_MAPERR || fault_addr != gone)
		die("source crossing into an unmapped page: si_code %d addr %p, want SEGV_MAPERR "
		    "at %p", code, fault_addr, (void *)gone);
	if (map[0] != 0x5a || map[63] != 0x5a)
		die("a store whose source faulted changed the destination");
	signal(SIGSEGV, SIG_DFL);
	munmap(map, 2 * (size_t)page);
	note("misaligned destination: #GP; read-only/unmapped destination, unmapped source: "
	     "page fault; nothing stored");
}

int main(int argc, char **argv)
{
	unsigned long n = 200000;
	uint64_t seed = (uint64_t)time(NULL) * 2654435761u | 1;
	int opt;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt == 'n')
			n = strtoul(optarg, NULL, 0);
		else
			die("usage: %s [-n STORES_PER_THREAD]", argv[0]);
	}
	note("seed %#llx", (unsigned long long)seed);
	check_cpuid();
	check_copy(&seed);
	check_faults();
	check_race(n, &seed);
	note("PASS");
	return 0;
}
