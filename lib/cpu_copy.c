// SPDX-License-Identifier: BSD-3-Clause
/*
 * The CPU engine's copy core: run-time choice of the copy/fill kernels (cpu_copy_x86.c, or portable
 * C elsewhere), the size thresholds they switch on, and a pool of persistent worker threads that
 * splits large copies into chunks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cpu_copy.h"
#include "cpu_copy_impl.h"
#include "lock.h"

/* ---- portable kernels ---- */

static void generic_copy(void *dst, const void *src, size_t n)
{
	memcpy(dst, src, n);
}

/* Write the first 8 (or n) bytes of the pattern, then double the filled prefix with memcpy. */
static void generic_fill(void *dst, uint64_t pattern, size_t n)
{
	unsigned char *d = dst;
	size_t done, i;

	for (i = 0; i < n && i < 8; i++)
		d[i] = (unsigned char)(pattern >> (8 * i));
	for (done = i; done < n && done < 4096; done *= 2)
		memcpy(d + done, d, done <= n - done ? done : n - done);
	for (; done < n; done += 4096)
		memcpy(d + done, d, n - done < 4096 ? n - done : 4096);
}

const struct cpu_kernels cpu_kernels_generic = {
        .name = "generic",
        .copy = generic_copy,
        .copy_nt = generic_copy,
        .fill = generic_fill,
        .fill_nt = generic_fill,
};

/* ---- selection and thresholds ---- */

struct cpu_tune cpu_tune = {
        .nt_threshold = SIZE_MAX,
        .rep_movsb_min = SIZE_MAX,
        .rep_stosb_min = SIZE_MAX,
};

static void copy_resolve(void *dst, const void *src, size_t n);
static void fill_resolve(void *dst, uint64_t pattern, size_t n);

/* The hot path is one indirect jump; before cpu_copy_init() the pointers resolve themselves. */
static void (*copy_fn)(void *, const void *, size_t) = copy_resolve;
static void (*fill_fn)(void *, uint64_t, size_t) = fill_resolve;
static const struct cpu_kernels *kernels = &cpu_kernels_generic;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static char features[240];
static char cpu_flags[64];
static char isa_note[48];
static size_t llc_size;

#if defined(__x86_64__)
static int cpu_has_avx512(void)
{
	return __builtin_cpu_supports("avx512f");
}

static int cpu_has_avx2(void)
{
	return __builtin_cpu_supports("avx2");
}

/* ERMS (CPUID.7.0:EBX bit 9) and FSRM (CPUID.7.0:EDX bit 4); not known to every compiler's
 * __builtin_cpu_supports(). */
static void cpu_string_ops(int *erms, int *fsrm)
{
	unsigned int a = 0, b = 0, c = 0, d = 0;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	*erms = *fsrm = 0;
	if (a < 7)
		return;
	a = 7;
	c = 0;
	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	*erms = !!(b & (1u << 9));
	*fsrm = !!(d & (1u << 4));
}
#endif

/* Size of the last-level cache: sysfs first (what the kernel reports for this machine). */
static size_t detect_llc(void)
{
	size_t best = 0;
	char path[96], buf[64];

	for (int i = 0; i < 8; i++) {
		FILE *f;
		unsigned long v;
		char unit = 0;

		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
		f = fopen(path, "re");
		if (!f)
			break;
		if (fgets(buf, sizeof(buf), f) && sscanf(buf, "%lu%c", &v, &unit) >= 1) {
			if (unit == 'K')
				v <<= 10;
			else if (unit == 'M')
				v <<= 20;
			if (v > best)
				best = v;
		}
		fclose(f);
	}
#ifdef _SC_LEVEL3_CACHE_SIZE
	if (!best) {
		long v = sysconf(_SC_LEVEL3_CACHE_SIZE);

		if (v <= 0)
			v = sysconf(_SC_LEVEL2_CACHE_SIZE);
		if (v > 0)
			best = (size_t)v;
	}
#endif
	return best ? best : 8u << 20;
}

/* A size from the environment: bytes with an optional K/M/G suffix, or "off". */
static int env_size(const char *name, size_t *out)
{
	const char *s = getenv(name);
	char *end;
	unsigned long long v;

	if (!s || !*s)
		return 0;
	if (!strcmp(s, "off") || !strcmp(s, "never")) {
		*out = SIZE_MAX;
		return 1;
	}
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return 0;
	switch (*end) {
	case 'k':
	case 'K':
		v <<= 10;
		break;
	case 'm':
	case 'M':
		v <<= 20;
		break;
	case 'g':
	case 'G':
		v <<= 30;
		break;
	default:
		break;
	}
	*out = v ? (size_t)v : SIZE_MAX;
	return 1;
}

static void update_features(void)
{
	char nt[40] = " nt=off", rep[40] = "";

	if (cpu_tune.nt_threshold != SIZE_MAX)
		snprintf(nt, sizeof(nt), " nt>=%zu", cpu_tune.nt_threshold);
	if (cpu_tune.rep_movsb_min < cpu_tune.nt_threshold)
		snprintf(rep, sizeof(rep), " rep_movsb>=%zu", cpu_tune.rep_movsb_min);
	snprintf(features, sizeof(features), "%s%s%s llc=%zuK (cpu:%s)%s", kernels->name, nt, rep,
	         llc_size >> 10, cpu_flags[0] ? cpu_flags : " -", isa_note);
}

static int kernels_usable(const struct cpu_kernels *k)
{
#if defined(__x86_64__)
	if (k == &cpu_kernels_avx512)
		return cpu_has_avx512();
	if (k == &cpu_kernels_avx2)
		return cpu_has_avx2();
	if (k == &cpu_kernels_sse2)
		return 1;
#endif
	return k == &cpu_kernels_generic;
}

static const struct cpu_kernels *kernels_by_name(const char *name)
{
#if defined(__x86_64__)
	if (!strcmp(name, "avx512"))
		return &cpu_kernels_avx512;
	if (!strcmp(name, "avx2"))
		return &cpu_kernels_avx2;
	if (!strcmp(name, "sse2"))
		return &cpu_kernels_sse2;
#endif
	if (!strcmp(name, "generic"))
		return &cpu_kernels_generic;
	return NULL;
}

static void publish(const struct cpu_kernels *k)
{
	kernels = k;
	__atomic_store_n(&fill_fn, k->fill, __ATOMIC_RELEASE);
	__atomic_store_n(&copy_fn, k->copy, __ATOMIC_RELEASE);
	update_features();
}

static void do_init(void)
{
	const struct cpu_kernels *k = &cpu_kernels_generic;
	const char *isa = getenv("DMACOPY_CPU_ISA");
	size_t v;
#if defined(__x86_64__)
	int erms, fsrm;
#endif

	llc_size = detect_llc();
#if defined(__x86_64__)
	__builtin_cpu_init();
	cpu_string_ops(&erms, &fsrm);
	snprintf(cpu_flags, sizeof(cpu_flags), "%s%s%s%s", cpu_has_avx512() ? " avx512f" : "",
	         cpu_has_avx2() ? " avx2" : "", erms ? " erms" : "", fsrm ? " fsrm" : "");
	/*
	 * 64-byte vectors where they run at full speed (AMD Zen 4/5); Intel server cores lower
	 * their clock for 512-bit work, so there 32-byte vectors are the better default (as in
	 * glibc).
	 */
	if (cpu_has_avx512() && __builtin_cpu_is("amd"))
		k = &cpu_kernels_avx512;
	else if (cpu_has_avx2())
		k = &cpu_kernels_avx2;
	else
		k = &cpu_kernels_sse2;
	/*
	 * Non-temporal stores pay off once source and destination no longer fit in the last-level
	 * cache together; below that they only evict useful data. Measured (bench/peers --tune) on
	 * a 32 MiB LLC: copies of 16 MiB repeated on the same buffers run faster through the cache,
	 * from 32 MiB non-temporal stores are at least as fast, and for cold buffers they never
	 * lose.
	 */
	cpu_tune.nt_threshold = llc_size / 4 * 3;
	/*
	 * With ERMS, rep movsb beats the vector loop from about 32 KiB on; rep stosb beats the
	 * vector stores only from about 1 MiB (both measured with bench/peers --tune).
	 */
	cpu_tune.rep_movsb_min = erms ? 32u << 10 : SIZE_MAX;
	cpu_tune.rep_stosb_min = erms ? 1u << 20 : SIZE_MAX;
#endif
	if (env_size("DMACOPY_CPU_NT_MIN", &v))
		cpu_tune.nt_threshold = v;
	if (env_size("DMACOPY_CPU_REP_MIN", &v))
		cpu_tune.rep_movsb_min = v;
	if (isa && *isa) {
		const struct cpu_kernels *forced = kernels_by_name(isa);

		if (forced && kernels_usable(forced))
			k = forced;
		else /* a library does not print: the feature string says it */
			snprintf(isa_note, sizeof(isa_note), " DMACOPY_CPU_ISA=%.16s unusable",
			         isa);
	}
	publish(k);
}

void cpu_copy_init(void)
{
	pthread_once(&init_once, do_init);
}

__attribute__((constructor)) static void cpu_copy_ctor(void)
{
	cpu_copy_init();
}

static void copy_resolve(void *dst, const void *src, size_t n)
{
	cpu_copy_init();
	__atomic_load_n(&copy_fn, __ATOMIC_ACQUIRE)(dst, src, n);
}

static void fill_resolve(void *dst, uint64_t pattern, size_t n)
{
	cpu_copy_init();
	__atomic_load_n(&fill_fn, __ATOMIC_ACQUIRE)(dst, pattern, n);
}

int cpu_copy_select(const char *name)
{
	const struct cpu_kernels *k = name ? kernels_by_name(name) : NULL;

	cpu_copy_init();
	if (!k)
		return -EINVAL;
	if (!kernels_usable(k))
		return -ENOTSUP;
	publish(k);
	return 0;
}

const struct cpu_kernels *cpu_copy_kernels(void)
{
	cpu_copy_init();
	return kernels;
}

void cpu_copy_tune(size_t nt_threshold, size_t rep_min)
{
	cpu_copy_init();
	if (nt_threshold)
		cpu_tune.nt_threshold = nt_threshold;
	if (rep_min)
		cpu_tune.rep_movsb_min = cpu_tune.rep_stosb_min = rep_min;
	update_features();
}

const char *cpu_copy_features(void)
{
	cpu_copy_init();
	return features;
}

size_t cpu_copy_nt_threshold(void)
{
	cpu_copy_init();
	return cpu_tune.nt_threshold == SIZE_MAX ? 0 : cpu_tune.nt_threshold;
}

void cpu_copy(void *dst, const void *src, size_t n)
{
	__atomic_load_n(&copy_fn, __ATOMIC_ACQUIRE)(dst, src, n);
}

void cpu_fill(void *dst, uint64_t pattern, size_t n)
{
	__atomic_load_n(&fill_fn, __ATOMIC_ACQUIRE)(dst, pattern, n);
}

/* ---- worker pool ---- */

/*
 * A job is cut into chunks that the caller and the workers claim one at a time, so a worker that
 * wakes late (or whose CPU is busy with something else) only means the others take more chunks.
 *
 * `claim` packs the job generation (high 32 bits) with the number of chunks not yet claimed (low
 * 32 bits). A claim succeeds only for the current generation, so a worker can never pick up a
 * chunk of a job that has finished; the job's parameters are read after a successful claim, when
 * they cannot change until that chunk is reported done.
 */
enum pool_op { POOL_COPY, POOL_FILL };

/* Size classes for the measured choice: below 128 KiB, then one per power of two. */
#define POOL_BUCKETS 16

/*
 * For one operation and size class: the recent cost of a job with the workers and by the caller
 * alone (nanoseconds per KiB, moving averages; 0 = not measured yet), and when to try the workers
 * again while the caller alone is faster.
 */
struct pool_stats {
	double pool_ns_kib;
	double solo_ns_kib;
	uint64_t next_probe_ns;
	uint64_t probe_gap_ns;
};

struct cpu_pool {
	unsigned int threads; /* including the caller */
	unsigned int nworkers;
	pthread_t *tids;
	pthread_mutex_t busy; /* held by the thread running a job */

	/* job parameters: written by the caller before the generation is published */
	enum pool_op op;
	int nt;
	char *dst;
	const char *src;
	uint64_t pattern;
	size_t len;
	size_t head;  /* length of chunk 0: up to the first 4 KiB boundary of dst past `chunk` */
	size_t chunk; /* length of every later chunk but the last */
	uint32_t nchunks;

	uint64_t claim __attribute__((aligned(64)));
	uint32_t gen __attribute__((aligned(64))); /* futex word the workers sleep on */
	uint32_t sleepers;
	int stop;
	uint32_t done __attribute__((aligned(64))); /* chunks finished; futex word of the caller */
	uint32_t caller_sleeping;

	/* measured choice between the workers and the caller alone (under `busy`) */
	struct pool_stats stats[2][POOL_BUCKETS];
	int adaptive;
};

/* Spin this many pause iterations (about 50 us on current x86) before sleeping in the kernel. */
#define POOL_SPIN 2000
/* Smallest chunk worth handing to another thread. */
#define POOL_MIN_CHUNK (16u << 10)
/* Aim for this many chunks per thread, so late or slow threads are balanced out. */
#define POOL_CHUNKS_PER_THREAD 8
#define POOL_MAX_CHUNK         (1u << 20)
/* While the caller alone is faster, the workers are tried again after 1 ms, doubling to 1 s. */
#define POOL_MIN_PROBE_NS 1000000ull
#define POOL_MAX_PROBE_NS 1000000000ull

static void pool_run_chunk(struct cpu_pool *p, uint32_t idx)
{
	size_t off = idx ? p->head + (size_t)(idx - 1) * p->chunk : 0;
	size_t end = p->head + (size_t)idx * p->chunk;
	size_t len;

	if (end > p->len)
		end = p->len;
	len = end - off;
	if (p->op == POOL_COPY) {
		if (p->nt)
			kernels->copy_nt(p->dst + off, p->src + off, len);
		else
			kernels->copy(p->dst + off, p->src + off, len);
	} else {
		uint64_t pat = p->pattern;
		unsigned int sh = (unsigned int)(off & 7) * 8;

		/* the pattern as seen from this chunk's first byte */
		if (sh)
			pat = (pat >> sh) | (pat << (64 - sh));
		if (p->nt)
			kernels->fill_nt(p->dst + off, pat, len);
		else
			kernels->fill(p->dst + off, pat, len);
	}
}

/* Claim and run chunks of job `gen` until none is left; report them done. */
static void pool_work(struct cpu_pool *p, uint32_t gen)
{
	uint32_t ran = 0;
	uint64_t c = __atomic_load_n(&p->claim, __ATOMIC_RELAXED);

	for (;;) {
		if ((uint32_t)(c >> 32) != gen || !(uint32_t)c)
			break;
		if (!__atomic_compare_exchange_n(&p->claim, &c, c - 1, 0, __ATOMIC_ACQUIRE,
		                                 __ATOMIC_RELAXED))
			continue;
		pool_run_chunk(p, p->nchunks - (uint32_t)c);
		ran++;
		c = __atomic_load_n(&p->claim, __ATOMIC_RELAXED);
	}
	if (ran) {
		uint32_t total =
		        p->nchunks; /* read before reporting: the job may end right after */

		if (__atomic_add_fetch(&p->done, ran, __ATOMIC_SEQ_CST) == total &&
		    __atomic_load_n(&p->caller_sleeping, __ATOMIC_SEQ_CST))
			lib_futex_wake(&p->done, 1);
	}
}

static void *pool_worker(void *arg)
{
	struct cpu_pool *p = arg;
	uint32_t seen = 0;

	for (;;) {
		uint32_t g = __atomic_load_n(&p->gen, __ATOMIC_ACQUIRE);

		for (int i = 0; g == seen && i < POOL_SPIN; i++) {
			lib_cpu_relax();
			g = __atomic_load_n(&p->gen, __ATOMIC_ACQUIRE);
		}
		while (g == seen) {
			__atomic_add_fetch(&p->sleepers, 1, __ATOMIC_SEQ_CST);
			if (__atomic_load_n(&p->gen, __ATOMIC_SEQ_CST) == seen)
				lib_futex_wait(&p->gen, seen);
			__atomic_sub_fetch(&p->sleepers, 1, __ATOMIC_SEQ_CST);
			g = __atomic_load_n(&p->gen, __ATOMIC_ACQUIRE);
		}
		seen = g;
		if (__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE))
			break;
		pool_work(p, g);
	}
	return NULL;
}

static unsigned int online_cpus(void)
{
	cpu_set_t set;
	long n;

	if (!sched_getaffinity(0, sizeof(set), &set) && CPU_COUNT(&set) > 0)
		return (unsigned int)CPU_COUNT(&set);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned int)n : 1;
}

int cpu_pool_create(unsigned int threads, struct cpu_pool **pool)
{
	struct cpu_pool *p;
	sigset_t all, old;
	int ret = 0;

	if (!pool)
		return -EINVAL;
	*pool = NULL;
	cpu_copy_init();
	if (!threads)
		threads = online_cpus();
	if (threads > 1024)
		return -EINVAL;
	p = aligned_alloc(64, (sizeof(*p) + 63) & ~(size_t)63);
	if (!p)
		return -ENOMEM;
	memset(p, 0, sizeof(*p));
	p->threads = threads;
	p->adaptive = 1;
	ret = -pthread_mutex_init(&p->busy, NULL);
	if (ret) {
		free(p);
		return ret;
	}
	if (threads > 1) {
		p->tids = calloc(threads - 1, sizeof(*p->tids));
		if (!p->tids) {
			cpu_pool_destroy(p);
			return -ENOMEM;
		}
	}
	/* Workers block every signal: signals are the application's threads' business. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (unsigned int i = 0; i + 1 < threads; i++) {
		ret = -pthread_create(&p->tids[i], NULL, pool_worker, p);
		if (ret)
			break;
		pthread_setname_np(p->tids[i], "dmacopy-cpu");
		p->nworkers++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		cpu_pool_destroy(p);
		return ret;
	}
	*pool = p;
	return 0;
}

void cpu_pool_destroy(struct cpu_pool *pool)
{
	if (!pool)
		return;
	__atomic_store_n(&pool->stop, 1, __ATOMIC_RELEASE);
	__atomic_add_fetch(&pool->gen, 1, __ATOMIC_SEQ_CST);
	lib_futex_wake(&pool->gen, INT_MAX);
	for (unsigned int i = 0; i < pool->nworkers; i++)
		pthread_join(pool->tids[i], NULL);
	pthread_mutex_destroy(&pool->busy);
	free(pool->tids);
	free(pool);
}

unsigned int cpu_pool_threads(const struct cpu_pool *pool)
{
	return pool ? pool->threads : 1;
}

size_t cpu_pool_default_threshold(void)
{
	return 1u << 20;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static unsigned int pool_bucket(size_t n)
{
	unsigned int b = 0;

	for (n >>= 17; n && b < POOL_BUCKETS - 1; n >>= 1)
		b++;
	return b;
}

/*
 * Whether the next job of this class goes to the workers. The workers only pay when they have
 * CPUs to run on and the copy is not bound by memory bandwidth a single core already saturates;
 * on a machine busy with other work a worker can lose its CPU in the middle of a chunk and the
 * caller then waits a whole scheduler time slice. So both ways are timed, and the faster one
 * (by recent average) is used; while the caller alone is faster, the workers are tried again
 * after a gap that doubles each time they lose, so the slow tries cost little.
 */
static int pool_choose(struct pool_stats *st, uint64_t now)
{
	if (st->pool_ns_kib == 0)
		return 1;
	if (st->solo_ns_kib == 0)
		return 0;
	if (st->pool_ns_kib <= st->solo_ns_kib)
		return 1;
	if (now < st->next_probe_ns)
		return 0;
	st->probe_gap_ns = st->probe_gap_ns ? 2 * st->probe_gap_ns : POOL_MIN_PROBE_NS;
	if (st->probe_gap_ns > POOL_MAX_PROBE_NS)
		st->probe_gap_ns = POOL_MAX_PROBE_NS;
	st->next_probe_ns = now + st->probe_gap_ns;
	return 1;
}

static void pool_record(struct pool_stats *st, int pooled, size_t n, uint64_t ns)
{
	double v = (double)ns * 1024.0 / (double)n;
	double *avg = pooled ? &st->pool_ns_kib : &st->solo_ns_kib;

	*avg = *avg == 0 ? v : *avg + (v - *avg) / 4;
	if (st->pool_ns_kib != 0 && st->pool_ns_kib <= st->solo_ns_kib)
		st->probe_gap_ns = 0;
}

static void pool_solo(enum pool_op op, void *dst, const void *src, uint64_t pattern, size_t n)
{
	if (op == POOL_COPY)
		cpu_copy(dst, src, n);
	else
		cpu_fill(dst, pattern, n);
}

/* Run a job on the pool; returns 0 if the caller must do it alone (pool busy or too small). */
static int pool_run(struct cpu_pool *p, enum pool_op op, void *dst, const void *src,
                    uint64_t pattern, size_t n)
{
	size_t chunk, head, nchunks;
	struct pool_stats *st = NULL;
	uint64_t t0 = 0;
	uint32_t gen;

	if (!p || p->threads < 2 || n < 2 * POOL_MIN_CHUNK)
		return 0;
	if (pthread_mutex_trylock(&p->busy))
		return 0;
	if (p->adaptive) {
		st = &p->stats[op][pool_bucket(n)];
		t0 = now_ns();
		if (!pool_choose(st, t0)) {
			/* alone, with the pool free for other callers meanwhile */
			pthread_mutex_unlock(&p->busy);
			pool_solo(op, dst, src, pattern, n);
			if (!pthread_mutex_trylock(&p->busy)) {
				pool_record(st, 0, n, now_ns() - t0);
				pthread_mutex_unlock(&p->busy);
			}
			return 1;
		}
	}

	chunk = n / ((size_t)p->threads * POOL_CHUNKS_PER_THREAD);
	if (chunk < POOL_MIN_CHUNK)
		chunk = POOL_MIN_CHUNK;
	if (chunk > POOL_MAX_CHUNK)
		chunk = POOL_MAX_CHUNK;
	chunk = (chunk + 4095) & ~(size_t)4095;
	/* Chunk boundaries fall on 4 KiB boundaries of the destination. */
	head = chunk + ((4096 - ((uintptr_t)dst & 4095)) & 4095);
	if (head >= n) {
		pthread_mutex_unlock(&p->busy);
		return 0;
	}
	nchunks = 1 + (n - head + chunk - 1) / chunk;
	if (nchunks > UINT32_MAX) {
		pthread_mutex_unlock(&p->busy);
		return 0;
	}

	p->op = op;
	p->nt = n >= cpu_tune.nt_threshold;
	p->dst = dst;
	p->src = src;
	p->pattern = pattern;
	p->len = n;
	p->head = head;
	p->chunk = chunk;
	p->nchunks = (uint32_t)nchunks;
	__atomic_store_n(&p->done, 0, __ATOMIC_RELAXED);

	gen = __atomic_load_n(&p->gen, __ATOMIC_RELAXED) + 1;
	if (!gen)
		gen = 1; /* never 0: workers start having seen generation 0 */
	__atomic_store_n(&p->claim, ((uint64_t)gen << 32) | nchunks, __ATOMIC_RELEASE);
	__atomic_store_n(&p->gen, gen, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&p->sleepers, __ATOMIC_SEQ_CST))
		lib_futex_wake(&p->gen, INT_MAX);

	pool_work(p, gen);

	/* Wait for chunks the workers claimed. */
	for (int i = 0; __atomic_load_n(&p->done, __ATOMIC_ACQUIRE) != nchunks; i++) {
		if (i < POOL_SPIN) {
			lib_cpu_relax();
			continue;
		}
		__atomic_store_n(&p->caller_sleeping, 1, __ATOMIC_SEQ_CST);
		uint32_t d = __atomic_load_n(&p->done, __ATOMIC_SEQ_CST);

		if (d != nchunks)
			lib_futex_wait(&p->done, d);
		__atomic_store_n(&p->caller_sleeping, 0, __ATOMIC_RELAXED);
	}
	if (st)
		pool_record(st, 1, n, now_ns() - t0);
	pthread_mutex_unlock(&p->busy);
	return 1;
}

void cpu_pool_set_adaptive(struct cpu_pool *pool, int on)
{
	pthread_mutex_lock(&pool->busy);
	pool->adaptive = on;
	memset(pool->stats, 0, sizeof(pool->stats));
	pthread_mutex_unlock(&pool->busy);
}

void cpu_pool_copy(struct cpu_pool *pool, void *dst, const void *src, size_t n)
{
	if (!pool_run(pool, POOL_COPY, dst, src, 0, n))
		cpu_copy(dst, src, n);
}

void cpu_pool_fill(struct cpu_pool *pool, void *dst, uint64_t pattern, size_t n)
{
	if (!pool_run(pool, POOL_FILL, dst, NULL, pattern, n))
		cpu_fill(dst, pattern, n);
}
