// SPDX-License-Identifier: BSD-3-Clause
/*
 * Checks of dmacopy's SPDK-compatible I/OAT API against real (emulated) I/OAT functions bound to
 * vfio-pci. Each check prints one line; the first failure ends the run with exit status 1.
 *
 *   spdk_ioat_test [-n CHANNELS] [-s SEED] [-q]
 *
 * CHANNELS (default 4) is how many I/OAT functions bound to vfio-pci the machine must have.
 * Covered: environment options, PCI handles, a function held by another process being skipped,
 * probe/attach and re-probe, capabilities, spdk_mem_register()'s rules, spdk_vtophys(), the
 * allocators, batches of copies and fills (several descriptors, one flush, callbacks in build
 * order, splits at descriptor and registration boundaries, guard bytes), unregistered memory,
 * a full ring (-ENOMEM, nothing built, recovery), a failing copy (DMA fault: callback not
 * called, process_events < 0, the failure reported, the channel copying again), one thread per
 * channel at once, detach and re-probe.
 */
#include "spdk/stdinc.h"
#include "spdk/env.h"
#include "spdk/ioat.h"
#include "spdk/dmacopy_ioat.h"

#include "dmacopy.h"

#define MAX_CHANS 16
#define SZ_2M     (2ul << 20)
#define GUARD     4096

static unsigned int want_chans = 4;
static uint64_t seed = 1;
static bool quiet;

static struct spdk_ioat_chan *chans[MAX_CHANS];
static struct spdk_pci_device *chan_pci[MAX_CHANS];
static unsigned int nr_chans;

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		fprintf(stderr, "spdk_ioat_test: FAIL (%s:%d): ", __func__, __LINE__);             \
		fprintf(stderr, __VA_ARGS__);                                                      \
		fputc('\n', stderr);                                                               \
		exit(1);                                                                           \
	} while (0)

/* CHECK(cond) or CHECK(cond, "format", args...) */
#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "spdk_ioat_test: FAIL (%s:%d): %s:", __func__, __LINE__,   \
			        #cond);                                                            \
			fprintf(stderr, " " __VA_ARGS__);                                          \
			fputc('\n', stderr);                                                       \
			exit(1);                                                                   \
		}                                                                                  \
	} while (0)

#define CHECK_EQ(a, b)                                                                             \
	do {                                                                                       \
		long long _a = (long long)(a), _b = (long long)(b);                                \
		if (_a != _b)                                                                      \
			FAIL("%s == %lld, expected %s == %lld", #a, _a, #b, _b);                   \
	} while (0)

__attribute__((format(printf, 1, 2))) static void note(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	printf("spdk_ioat_test: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static void rnd_fill(uint64_t *s, void *buf, size_t len)
{
	unsigned char *p = buf;

	for (size_t i = 0; i < len; i++)
		p[i] = (unsigned char)(rnd(s) >> 56);
}

/* 2 MiB-aligned anonymous memory that is not registered. */
static void *map_2m(size_t len)
{
	unsigned char *p =
	        mmap(NULL, len + SZ_2M, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t a;

	if (p == MAP_FAILED)
		FAIL("mmap %zu: %s", len, strerror(errno));
	a = ((uintptr_t)p + SZ_2M - 1) & ~(SZ_2M - 1);
	memset((void *)a, 0, len);
	return (void *)a;
}

/* ---- completion tracking --------------------------------------------------------------------- */

struct tracker {
	uint64_t *order; /* cb_arg values in callback order */
	size_t cap, count;
};

struct op_tag {
	struct tracker *t;
	uint64_t id;
};

static void track_cb(void *arg)
{
	struct op_tag *tag = arg;

	if (tag->t->count < tag->t->cap)
		tag->t->order[tag->t->count] = tag->id;
	tag->t->count++;
}

static void count_cb(void *arg)
{
	(*(int *)arg)++;
}

/* Process events until want callbacks ran; any negative return fails the test. */
static void poll_until(struct spdk_ioat_chan *chan, int *counter, int want, double timeout_s)
{
	uint64_t end = spdk_get_ticks() + (uint64_t)(timeout_s * spdk_get_ticks_hz());

	while (*counter < want) {
		int rc = spdk_ioat_process_events(chan);

		if (rc < 0)
			FAIL("spdk_ioat_process_events: %d (%s)", rc, dmacopy_last_error());
		if (spdk_get_ticks() > end)
			FAIL("timed out: %d of %d callbacks after %.0f s", *counter, want,
			     timeout_s);
	}
}

static void poll_tracker(struct spdk_ioat_chan *chan, struct tracker *t, size_t want)
{
	uint64_t end = spdk_get_ticks() + 30 * spdk_get_ticks_hz();

	while (t->count < want) {
		int rc = spdk_ioat_process_events(chan);

		if (rc < 0)
			FAIL("spdk_ioat_process_events: %d (%s)", rc, dmacopy_last_error());
		if (spdk_get_ticks() > end)
			FAIL("timed out: %zu of %zu callbacks", t->count, want);
	}
}

/* ---- probe helpers ----------------------------------------------------------------------------
 */

struct probe_ctx {
	int probed;
	int attached;
	const struct spdk_pci_addr *only; /* accept only this function */
	bool accept;
};

static bool probe_cb(void *cb_ctx, struct spdk_pci_device *pci)
{
	struct probe_ctx *ctx = cb_ctx;
	struct spdk_pci_addr a = spdk_pci_device_get_addr(pci);

	ctx->probed++;
	if (ctx->only)
		return !spdk_pci_addr_compare(&a, ctx->only);
	return ctx->accept;
}

static void attach_cb(void *cb_ctx, struct spdk_pci_device *pci, struct spdk_ioat_chan *chan)
{
	struct probe_ctx *ctx = cb_ctx;

	ctx->attached++;
	if (nr_chans < MAX_CHANS) {
		chan_pci[nr_chans] = pci;
		chans[nr_chans++] = chan;
	}
}

/* ---- checks -----------------------------------------------------------------------------------
 */

static void check_env(void)
{
	struct spdk_env_opts opts;

	memset(&opts, 0x5a, sizeof(opts));
	spdk_env_opts_init(&opts);
	CHECK(opts.name && !strcmp(opts.name, "spdk"));
	CHECK(opts.core_mask && !strcmp(opts.core_mask, "0x1"));
	CHECK_EQ(opts.shm_id, -1);
	CHECK_EQ(opts.main_core, -1);
	CHECK_EQ(opts.master_core, -1);
	CHECK(!opts.no_pci && !opts.pci_allowed && !opts.pci_blocked && !opts.num_pci_addr);

	CHECK_EQ(spdk_env_init(NULL), -EINVAL); /* first initialisation needs options */
	opts.core_mask = "0xz";
	CHECK_EQ(spdk_env_init(&opts), -EINVAL);
	opts.core_mask = "[0-2,5]";
	opts.name = "spdk_ioat_test";
	opts.mem_size = 64;    /* accepted, ignored */
	opts.iova_mode = "va"; /* accepted, ignored */
	CHECK_EQ(spdk_env_init(&opts), 0);
	CHECK_EQ(spdk_env_get_core_count(), 4);
	CHECK_EQ(spdk_env_get_first_core(), 0);
	CHECK_EQ(spdk_env_get_last_core(), 5);
	CHECK_EQ(spdk_env_get_next_core(2), 5);
	CHECK_EQ(spdk_env_get_next_core(5), UINT32_MAX);
	CHECK_EQ(spdk_env_get_current_core(), 0);
	CHECK_EQ(spdk_env_init(&opts), -EINVAL); /* as SPDK: no second init with options */
	CHECK_EQ(spdk_env_init(NULL), 0);        /* re-initialisation */
	CHECK(spdk_iommu_is_enabled());
	{
		uint64_t t0 = spdk_get_ticks();

		spdk_delay_us(2000);
		CHECK(spdk_get_ticks() - t0 >= 2 * spdk_get_ticks_hz() / 1000);
	}
	note("env: options, core mask, second init -EINVAL, re-init, ticks: ok");
}

static void check_pci_addr(void)
{
	struct spdk_pci_addr a, b;
	char s[32];

	CHECK_EQ(spdk_pci_addr_parse(&a, "0000:00:05.0"), 0);
	CHECK(a.domain == 0 && a.bus == 0 && a.dev == 5 && a.func == 0);
	CHECK_EQ(spdk_pci_addr_parse(&b, "00:05.1"), 0);
	CHECK(b.domain == 0 && b.bus == 0 && b.dev == 5 && b.func == 1);
	CHECK(spdk_pci_addr_compare(&a, &b) < 0 && spdk_pci_addr_compare(&b, &a) > 0);
	CHECK_EQ(spdk_pci_addr_parse(&b, "0001.3a.1f.7"), 0);
	CHECK(b.domain == 1 && b.bus == 0x3a && b.dev == 0x1f && b.func == 7);
	CHECK_EQ(spdk_pci_addr_fmt(s, sizeof(s), &b), 0);
	CHECK(!strcmp(s, "0001:3a:1f.7"), "got %s", s);
	CHECK_EQ(spdk_pci_addr_fmt(s, 12, &b), -1);
	CHECK_EQ(spdk_pci_addr_parse(&b, "00:20.0"), -EINVAL); /* device 0x20 > 0x1f */
	CHECK_EQ(spdk_pci_addr_parse(&b, "zz"), -EINVAL);
	CHECK_EQ(spdk_pci_addr_compare(&a, &a), 0);
	note("pci addresses: parse, format, compare: ok");
}

/*
 * Another process holds every function: probing must skip them (return 0, attach nothing);
 * once it exits they attach here.
 */
static void check_busy_and_attach(void)
{
	int up[2], down[2], status;
	struct probe_ctx ctx = {.accept = true};
	pid_t pid;
	char c;

	if (pipe(up) || pipe(down))
		FAIL("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		FAIL("fork: %s", strerror(errno));
	if (!pid) {
		struct probe_ctx cctx = {.accept = true};

		close(up[0]);
		close(down[1]);
		if (spdk_ioat_probe(&cctx, probe_cb, attach_cb) || cctx.attached != (int)want_chans)
			_exit(2);
		c = 'h';
		if (write(up[1], &c, 1) != 1 || read(down[0], &c, 1) != 1)
			_exit(3);
		for (unsigned int i = 0; i < nr_chans; i++)
			spdk_ioat_detach(chans[i]);
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	if (read(up[0], &c, 1) != 1) {
		waitpid(pid, &status, 0);
		FAIL("the holding process could not attach %u channels (status %d)", want_chans,
		     status);
	}
	CHECK_EQ(spdk_ioat_probe(&ctx, probe_cb, attach_cb), 0);
	CHECK_EQ(ctx.attached, 0);
	CHECK_EQ(nr_chans, 0);
	note("busy: %d functions held by process %d were skipped (probe returned 0)", ctx.probed,
	     (int)pid);
	c = 'r';
	if (write(down[1], &c, 1) != 1)
		FAIL("write: %s", strerror(errno));
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "holder status %d", status);

	/* Declining first: nothing attaches, and the same functions are offered again. */
	memset(&ctx, 0, sizeof(ctx));
	CHECK_EQ(spdk_ioat_probe(&ctx, probe_cb, attach_cb), 0);
	CHECK_EQ(ctx.probed, want_chans);
	CHECK_EQ(ctx.attached, 0);

	memset(&ctx, 0, sizeof(ctx));
	ctx.accept = true;
	CHECK_EQ(spdk_ioat_probe(&ctx, probe_cb, attach_cb), 0);
	CHECK_EQ(ctx.attached, want_chans);
	CHECK_EQ(nr_chans, want_chans);

	/* Attached functions are not offered again. */
	memset(&ctx, 0, sizeof(ctx));
	ctx.accept = true;
	CHECK_EQ(spdk_ioat_probe(&ctx, probe_cb, attach_cb), 0);
	CHECK_EQ(ctx.probed, 0);
	note("probe: %u channels attached after the holder exited; re-probe offers none: ok",
	     nr_chans);
}

static void check_channels(void)
{
	for (unsigned int i = 0; i < nr_chans; i++) {
		struct spdk_pci_addr a = spdk_pci_device_get_addr(chan_pci[i]);
		struct spdk_pci_id id = spdk_pci_device_get_id(chan_pci[i]);
		uint32_t caps = spdk_ioat_get_dma_capabilities(chans[i]);
		char bdf[32];

		CHECK_EQ(spdk_pci_addr_fmt(bdf, sizeof(bdf), &a), 0);
		CHECK_EQ(spdk_pci_device_get_vendor_id(chan_pci[i]), 0x8086);
		CHECK_EQ(id.vendor_id, 0x8086);
		CHECK_EQ(id.device_id, spdk_pci_device_get_device_id(chan_pci[i]));
		CHECK_EQ(id.class_id >> 8, 0x0880); /* system peripheral, other */
		CHECK(!strcmp(spdk_pci_device_get_type(chan_pci[i]), "pci"));
		CHECK(dmacopy_spdk_ioat_get_pci_device(chans[i]) == chan_pci[i]);
		CHECK_EQ(caps, SPDK_IOAT_ENGINE_COPY_SUPPORTED | SPDK_IOAT_ENGINE_FILL_SUPPORTED);
		CHECK_EQ(spdk_ioat_get_max_descriptors(chans[i]), 32768);
		note("channel %u: %s %04x:%04x class %06x caps %#x max_desc %u numa %d", i, bdf,
		     id.vendor_id, id.device_id, id.class_id, caps,
		     spdk_ioat_get_max_descriptors(chans[i]),
		     spdk_pci_device_get_socket_id(chan_pci[i]));
	}
	CHECK_EQ(spdk_ioat_get_dma_capabilities(NULL), 0);
}

static void check_mem_register(void)
{
	unsigned char *m = map_2m(8 * SZ_2M);
	uint64_t iova, iova2, size;

	CHECK_EQ(spdk_mem_register(m + 4096, SZ_2M), -EINVAL);
	CHECK_EQ(spdk_mem_register(m, SZ_2M + 4096), -EINVAL);
	CHECK_EQ(spdk_mem_register(m, 4096), -EINVAL);
	CHECK_EQ(spdk_mem_register((void *)(1ull << 48), SZ_2M), -EINVAL);
	CHECK_EQ(spdk_mem_register(m, 0), 0);
	CHECK_EQ(spdk_vtophys(m, NULL), SPDK_VTOPHYS_ERROR);

	CHECK_EQ(spdk_mem_register(m, 4 * SZ_2M), 0);
	CHECK_EQ(spdk_mem_register(m + 2 * SZ_2M, 2 * SZ_2M), -EBUSY); /* inside */
	CHECK_EQ(spdk_mem_register(m + 3 * SZ_2M, 2 * SZ_2M), -EBUSY); /* straddles the end */
	CHECK_EQ(spdk_mem_register(m + 4 * SZ_2M, 2 * SZ_2M), 0);      /* adjacent */

	size = 3 * SZ_2M;
	iova = spdk_vtophys(m + 100, &size);
	CHECK(iova != SPDK_VTOPHYS_ERROR);
	CHECK_EQ(size, 3 * SZ_2M);
	size = 8 * SZ_2M;
	iova2 = spdk_vtophys(m + SZ_2M + 100, &size);
	CHECK_EQ(iova2, iova + SZ_2M);
	CHECK_EQ(size, 3 * SZ_2M - 100); /* up to the end of the first registration */
	CHECK(spdk_vtophys(m + 4 * SZ_2M, NULL) != SPDK_VTOPHYS_ERROR);
	CHECK_EQ(spdk_vtophys(m + 6 * SZ_2M, NULL), SPDK_VTOPHYS_ERROR);

	CHECK_EQ(spdk_mem_unregister(m + 4096, SZ_2M), -EINVAL);      /* misaligned */
	CHECK_EQ(spdk_mem_unregister(m + SZ_2M, SZ_2M), -ERANGE);     /* starts inside */
	CHECK_EQ(spdk_mem_unregister(m, 2 * SZ_2M), -ERANGE);         /* ends inside */
	CHECK_EQ(spdk_mem_unregister(m + 6 * SZ_2M, SZ_2M), -EINVAL); /* not registered */
	CHECK_EQ(spdk_mem_unregister(m, 8 * SZ_2M), -EINVAL);         /* a gap at the end */
	CHECK_EQ(spdk_mem_unregister(m, 6 * SZ_2M), 0);               /* both at once */
	CHECK_EQ(spdk_vtophys(m, NULL), SPDK_VTOPHYS_ERROR);
	CHECK_EQ(spdk_vtophys(m + 4 * SZ_2M, NULL), SPDK_VTOPHYS_ERROR);
	CHECK_EQ(spdk_mem_register(m + 2 * SZ_2M, 2 * SZ_2M), 0); /* reusable */
	CHECK_EQ(spdk_mem_unregister(m + 2 * SZ_2M, 2 * SZ_2M), 0);
	munmap(m, 8 * SZ_2M);
	note("spdk_mem_register/unregister: alignment -EINVAL, overlap -EBUSY, partial -ERANGE, "
	     "vtophys extents: ok");
}

static long hugepages_free(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "HugePages_Free: %ld", &v) == 1)
			break;
	}
	fclose(f);
	return v;
}

static void check_alloc(void)
{
	long huge_before = hugepages_free(), huge_after;
	uint64_t phys = 0, size;
	unsigned char *a, *b, *c;

	a = spdk_dma_zmalloc(5 * 4096 + 7, 4096, &phys);
	CHECK(a != NULL, "%s", dmacopy_last_error());
	CHECK(((uintptr_t)a & 4095) == 0);
	CHECK(phys != 0 && phys != SPDK_VTOPHYS_ERROR);
	CHECK_EQ(spdk_vtophys(a, NULL), phys);
	size = 1ull << 30;
	CHECK_EQ(spdk_vtophys(a + 4096, &size), phys + 4096);
	CHECK_EQ(size, SZ_2M - 4096); /* one 2 MiB mapping per allocation */
	for (int i = 0; i < 5 * 4096 + 7; i++)
		CHECK(a[i] == 0);
	huge_after = hugepages_free();
	if (huge_before > 0)
		CHECK_EQ(huge_after, huge_before - 1);

	b = spdk_dma_malloc(3 * SZ_2M, 4 * SZ_2M, NULL);
	CHECK(b != NULL && ((uintptr_t)b & (4 * SZ_2M - 1)) == 0);
	c = spdk_zmalloc(100, 64, NULL, SPDK_ENV_SOCKET_ID_ANY, SPDK_MALLOC_DMA);
	CHECK(c != NULL && spdk_vtophys(c, NULL) != SPDK_VTOPHYS_ERROR);
	CHECK(spdk_malloc(100, 64, NULL, SPDK_ENV_SOCKET_ID_ANY, 0) == NULL); /* flags 0 */
	CHECK(spdk_dma_malloc(100, 3, NULL) == NULL); /* align not a power of two */
	/* Allocations are registered: registering them again is -EBUSY, unregistering -EINVAL. */
	CHECK_EQ(spdk_mem_register(b, 2 * SZ_2M), -EBUSY);
	CHECK_EQ(spdk_mem_unregister(b, 4 * SZ_2M), -EINVAL);
	memset(c, 0x3c, 100);
	c = spdk_realloc(c, 3 * SZ_2M, 0);
	CHECK(c != NULL && c[0] == 0x3c && c[99] == 0x3c);
	CHECK(spdk_vtophys(c + 3 * SZ_2M - 1, NULL) != SPDK_VTOPHYS_ERROR);
	spdk_free(c);
	spdk_dma_free(b);
	spdk_dma_free(a);
	spdk_dma_free(NULL);
	CHECK_EQ(spdk_vtophys(a, NULL), SPDK_VTOPHYS_ERROR);
	note("allocators: alignment, zeroed, phys_addr == vtophys, 2 MiB extents, realloc, free; "
	     "hugepages %s: ok",
	     huge_before > 0 ? "used" : "not configured (anonymous memory)");
}

/*
 * A batch of copies and fills of every kind of size built on one channel, one flush: callbacks
 * must run once each, in build order, and every byte (and the guards) must be right.
 */
static void check_batch(struct spdk_ioat_chan *chan, unsigned char *buf, size_t buf_len,
                        const char *what)
{
	static const uint64_t sizes[] = {0,
	                                 1,
	                                 7,
	                                 64,
	                                 4095,
	                                 4096,
	                                 65536 + 3,
	                                 (1 << 20) - 1,
	                                 1 << 20,
	                                 (1 << 20) + 1,
	                                 (3 << 20) + 4097};
	enum { NOPS = sizeof(sizes) / sizeof(sizes[0]) * 2 };
	size_t half = buf_len / 2, pos = 0;
	unsigned char *shadow = malloc(buf_len);
	struct op_tag tags[NOPS];
	uint64_t order[NOPS];
	struct tracker t = {.order = order, .cap = NOPS};
	int built = 0;

	if (!shadow)
		FAIL("malloc");
	rnd_fill(&seed, buf, buf_len);
	memcpy(shadow, buf, buf_len);

	for (unsigned int i = 0; i < NOPS; i++) {
		uint64_t n = sizes[i / 2];
		size_t soff = pos + (rnd(&seed) % 61), doff = soff + (rnd(&seed) % 13);
		int rc;

		if (half + doff + n + GUARD > buf_len)
			FAIL("batch does not fit");
		tags[i].t = &t;
		tags[i].id = i;
		if (i % 2 == 0) {
			rc = spdk_ioat_build_copy(chan, &tags[i], track_cb, buf + half + doff,
			                          buf + soff, n);
			memcpy(shadow + half + doff, shadow + soff, n);
		} else {
			uint64_t pat = rnd(&seed);

			rc = spdk_ioat_build_fill(chan, &tags[i], track_cb, buf + half + doff, pat,
			                          n);
			for (uint64_t j = 0; j < n; j++)
				shadow[half + doff + j] = (unsigned char)(pat >> (8 * (j % 8)));
		}
		CHECK_EQ(rc, 0);
		built++;
		pos = doff + n + GUARD;
	}
	CHECK_EQ(dmacopy_spdk_ioat_outstanding(chan), built);
	/* Nothing runs before the flush. */
	CHECK_EQ(spdk_ioat_process_events(chan), 0);
	CHECK_EQ(t.count, 0);
	spdk_ioat_flush(chan);
	poll_tracker(chan, &t, NOPS);
	CHECK_EQ(t.count, NOPS);
	for (unsigned int i = 0; i < NOPS; i++)
		CHECK(order[i] == i, "callback %u was for operation %llu", i,
		      (unsigned long long)order[i]);
	CHECK_EQ(spdk_ioat_process_events(chan), 0);
	CHECK_EQ(dmacopy_spdk_ioat_outstanding(chan), 0);
	for (size_t i = 0; i < buf_len; i++) {
		if (buf[i] != shadow[i])
			FAIL("%s: byte %zu is %#x, expected %#x", what, i, buf[i], shadow[i]);
	}
	free(shadow);
	note("%s: %d copies and fills (0 B .. 3 MiB), one flush, callbacks in order, data and "
	     "guards verified: ok",
	     what, built);
}

/* Copies and fills across registrations whose IOVAs are not contiguous. */
static void check_cross_region(struct spdk_ioat_chan *chan)
{
	const size_t len = 5 * SZ_2M;
	unsigned char *m = map_2m(len), *shadow = malloc(len);
	uint64_t sz_a, sz_b, ia, ib, pat = 0x0123456789abcdefull;
	int done = 0;

	CHECK(shadow != NULL);
	/* four registrations: [0, 2M) [2M, 4M) [4M, 6M) [6M, 10M) */
	CHECK_EQ(spdk_mem_register(m, SZ_2M), 0);
	CHECK_EQ(spdk_mem_register(m + SZ_2M, SZ_2M), 0);
	CHECK_EQ(spdk_mem_register(m + 2 * SZ_2M, SZ_2M), 0);
	CHECK_EQ(spdk_mem_register(m + 3 * SZ_2M, 2 * SZ_2M), 0);
	sz_a = sz_b = len;
	ia = spdk_vtophys(m + SZ_2M - 8, &sz_a);
	ib = spdk_vtophys(m + SZ_2M, &sz_b);
	CHECK_EQ(sz_a, 8);
	CHECK_EQ(sz_b, SZ_2M);
	rnd_fill(&seed, m, len);
	memcpy(shadow, m, len);

	/* the source spans the 1st and 2nd registrations */
	CHECK_EQ(spdk_ioat_build_copy(chan, &done, count_cb, m + 7 * (SZ_2M / 2) + 11,
	                              m + SZ_2M - 5000, 75000),
	         0);
	memcpy(shadow + 7 * (SZ_2M / 2) + 11, shadow + SZ_2M - 5000, 75000);
	/* a fill starting 3 bytes before the end of the 2nd registration: the pattern goes on */
	CHECK_EQ(spdk_ioat_build_fill(chan, &done, count_cb, m + 2 * SZ_2M - 3, pat, 4099), 0);
	for (uint64_t j = 0; j < 4099; j++)
		shadow[2 * SZ_2M - 3 + j] = (unsigned char)(pat >> (8 * (j % 8)));
	/* the destination spans the 3rd and 4th registrations */
	CHECK_EQ(spdk_ioat_submit_copy(chan, &done, count_cb, m + 3 * SZ_2M - 777, m + 4 * SZ_2M,
	                               10000),
	         0);
	memcpy(shadow + 3 * SZ_2M - 777, shadow + 4 * SZ_2M, 10000);
	poll_until(chan, &done, 3, 10);
	CHECK_EQ(done, 3);
	for (size_t i = 0; i < len; i++) {
		if (m[i] != shadow[i])
			FAIL("byte %zu is %#x, expected %#x", i, m[i], shadow[i]);
	}
	CHECK_EQ(spdk_mem_unregister(m, len), 0);
	munmap(m, len);
	free(shadow);
	note("operations across registrations (IOVAs %#llx / %#llx at the first boundary): split, "
	     "fill pattern kept, data verified: ok",
	     (unsigned long long)ia, (unsigned long long)ib);
}

static void check_unregistered(struct spdk_ioat_chan *chan, unsigned char *reg)
{
	unsigned char *heap = malloc(65536), *half_reg = map_2m(2 * SZ_2M);
	int done = 0;

	CHECK(heap != NULL);
	CHECK_EQ(spdk_ioat_build_copy(chan, &done, count_cb, reg, heap, 4096), -EINVAL);
	CHECK(strstr(dmacopy_last_error(), "not registered"), "last error: %s",
	      dmacopy_last_error());
	CHECK_EQ(spdk_ioat_build_copy(chan, &done, count_cb, heap, reg, 4096), -EINVAL);
	CHECK_EQ(spdk_ioat_submit_fill(chan, &done, count_cb, heap, 1, 4096), -EINVAL);
	/* partly registered: the copy runs past the end of a registration */
	CHECK_EQ(spdk_mem_register(half_reg, SZ_2M), 0);
	CHECK_EQ(spdk_ioat_submit_copy(chan, &done, count_cb, half_reg + SZ_2M - 100, reg, 200),
	         -EINVAL);
	CHECK_EQ(spdk_ioat_submit_copy(chan, &done, count_cb, reg, half_reg + SZ_2M - 100, 200),
	         -EINVAL);
	CHECK_EQ(spdk_mem_unregister(half_reg, SZ_2M), 0);
	munmap(half_reg, 2 * SZ_2M);
	CHECK_EQ(spdk_ioat_build_copy(NULL, &done, count_cb, reg, reg + 8192, 16), -EINVAL);
	/* nbytes 0: nothing to translate (as SPDK) */
	CHECK_EQ(spdk_ioat_submit_copy(chan, &done, count_cb, heap, heap, 0), 0);
	poll_until(chan, &done, 1, 5);
	CHECK_EQ(dmacopy_spdk_ioat_outstanding(chan), 0);
	free(heap);
	note("unregistered memory: -EINVAL with a message, nothing built: ok");
}

static void check_ring_full(struct spdk_ioat_chan *chan, unsigned char *buf)
{
	uint32_t max = spdk_ioat_get_max_descriptors(chan), n = 0;
	unsigned char *two = map_2m(2 * SZ_2M);
	int done = 0, rc;
	double t0 = (double)spdk_get_ticks();

	/* 0-byte copies take one descriptor each */
	while ((rc = spdk_ioat_build_copy(chan, &done, count_cb, buf, buf + 4096, 0)) == 0)
		n++;
	CHECK_EQ(rc, -ENOMEM);
	CHECK_EQ(n, max - 1);
	CHECK_EQ(dmacopy_spdk_ioat_outstanding(chan), n);
	spdk_ioat_flush(chan);
	poll_until(chan, &done, (int)n, 60);
	CHECK_EQ(done, (int)n);
	CHECK_EQ(dmacopy_spdk_ioat_outstanding(chan), 0);
	note("ring full: %u descriptors built then -ENOMEM; all %u callbacks in %.2f s: ok", n, n,
	     ((double)spdk_get_ticks() - t0) / (double)spdk_get_ticks_hz());

	/*
	 * Leave 1 descriptor free: a copy across two registrations needs at least 2 and is refused
	 * whole; a 1-descriptor operation still fits; after events the copy goes through.
	 */
	done = 0;
	CHECK_EQ(spdk_mem_register(two, SZ_2M), 0);
	CHECK_EQ(spdk_mem_register(two + SZ_2M, SZ_2M), 0);
	memset(two, 0x11, 2 * SZ_2M);
	memset(buf, 0x22, 2 * 8192);
	for (n = 0; n < max - 2; n++)
		CHECK_EQ(spdk_ioat_build_copy(chan, &done, count_cb, buf, buf + 4096, 0), 0);
	rc = spdk_ioat_build_copy(chan, &done, count_cb, buf, two + SZ_2M - 4096, 8192);
	CHECK_EQ(rc, -ENOMEM);
	CHECK_EQ(dmacopy_spdk_ioat_outstanding(chan), n);
	CHECK_EQ(spdk_ioat_build_copy(chan, &done, count_cb, buf, buf + 4096, 0), 0);
	n++;
	CHECK_EQ(spdk_ioat_build_copy(chan, &done, count_cb, buf, buf + 4096, 0), -ENOMEM);
	spdk_ioat_flush(chan);
	poll_until(chan, &done, (int)n, 60);
	CHECK_EQ(spdk_ioat_submit_copy(chan, &done, count_cb, buf, two + SZ_2M - 4096, 8192), 0);
	poll_until(chan, &done, (int)n + 1, 10);
	for (size_t i = 0; i < 8192; i++)
		CHECK(buf[i] == 0x11, "byte %zu of the copy after recovery is %#x", i, buf[i]);
	CHECK_EQ(buf[8192], 0x22);
	CHECK_EQ(spdk_mem_unregister(two, 2 * SZ_2M), 0);
	munmap(two, 2 * SZ_2M);
	note("ring nearly full: a 2-piece copy -ENOMEM with nothing built, a 1-descriptor one "
	     "fits; after events the copy is done: ok");
}

/*
 * Callbacks that build more operations and process events again, three levels deep, each level
 * filling the ring: finished operations not yet delivered pile up beyond one ring (the SPDK
 * layer must make room before it takes completions from the driver). Every callback runs once,
 * in build order.
 */
struct nest_ctx {
	struct spdk_ioat_chan *chan;
	unsigned char *buf;
	uint64_t next_id;   /* id of the next operation built */
	uint64_t delivered; /* callbacks so far */
	uint64_t out_of_order;
	int depth, max_depth, deepest;
};

struct nest_op {
	struct nest_ctx *ctx;
	uint64_t id;
	bool first; /* the first of its level: builds the next level */
};

static struct nest_op *nest_ops;
static size_t nest_ops_cap;

static uint32_t nest_fill(struct nest_ctx *ctx);

static void nest_cb(void *arg)
{
	struct nest_op *op = arg;
	struct nest_ctx *ctx = op->ctx;

	if (op->id != ctx->delivered)
		ctx->out_of_order++;
	ctx->delivered++;
	if (op->first && ctx->depth < ctx->max_depth) {
		uint64_t want;
		uint64_t end = spdk_get_ticks() + 60 * spdk_get_ticks_hz();

		ctx->depth++;
		if (ctx->depth > ctx->deepest)
			ctx->deepest = ctx->depth;
		nest_fill(ctx);
		want = ctx->next_id;
		while (ctx->delivered < want) {
			int rc = spdk_ioat_process_events(ctx->chan);

			if (rc < 0)
				FAIL("nested spdk_ioat_process_events: %d (%s)", rc,
				     dmacopy_last_error());
			if (spdk_get_ticks() > end)
				FAIL("nested level %d: %llu of %llu callbacks", ctx->depth,
				     (unsigned long long)ctx->delivered, (unsigned long long)want);
		}
		ctx->depth--;
	}
}

/* Build 0-byte copies until the ring is full; returns how many. */
static uint32_t nest_fill(struct nest_ctx *ctx)
{
	uint32_t n = 0;
	int rc;

	for (;;) {
		struct nest_op *op;

		if (ctx->next_id >= nest_ops_cap)
			FAIL("nested test: more than %zu operations", nest_ops_cap);
		op = &nest_ops[ctx->next_id];
		op->ctx = ctx;
		op->id = ctx->next_id;
		op->first = n == 0;
		rc = spdk_ioat_build_copy(ctx->chan, op, nest_cb, ctx->buf, ctx->buf + 4096, 0);
		if (rc == -ENOMEM)
			break;
		CHECK_EQ(rc, 0);
		ctx->next_id++;
		n++;
	}
	spdk_ioat_flush(ctx->chan);
	return n;
}

static void check_nested(struct spdk_ioat_chan *chan, unsigned char *buf)
{
	struct nest_ctx ctx = { .chan = chan, .buf = buf, .max_depth = 3 };
	uint32_t max = spdk_ioat_get_max_descriptors(chan), first;
	uint64_t end = spdk_get_ticks() + 120 * spdk_get_ticks_hz();

	nest_ops_cap = 4 * (size_t)max;
	nest_ops = calloc(nest_ops_cap, sizeof(*nest_ops));
	CHECK(nest_ops != NULL, "out of memory");
	first = nest_fill(&ctx);
	CHECK_EQ(first, max - 1);
	while (ctx.delivered < ctx.next_id) {
		int rc = spdk_ioat_process_events(chan);

		if (rc < 0)
			FAIL("spdk_ioat_process_events: %d (%s)", rc, dmacopy_last_error());
		if (spdk_get_ticks() > end)
			FAIL("nested: %llu of %llu callbacks", (unsigned long long)ctx.delivered,
			     (unsigned long long)ctx.next_id);
	}
	CHECK_EQ(ctx.delivered, ctx.next_id);
	CHECK_EQ(ctx.deepest, 3);
	CHECK(ctx.next_id > 2 * (uint64_t)max, "only %llu operations built",
	      (unsigned long long)ctx.next_id);
	CHECK_EQ(ctx.out_of_order, 0);
	CHECK_EQ(dmacopy_spdk_ioat_outstanding(chan), 0);
	free(nest_ops);
	nest_ops = NULL;
	note("nested callbacks 3 deep, each level filling the ring: %llu callbacks, once each, "
	     "in order: ok", (unsigned long long)ctx.delivered);
}

/*
 * A copy whose source (then destination) is unmapped from the IOMMU after it was built: the
 * device faults. Its callback must not run, process_events must return < 0, the failure must
 * name it, the operations built after it must complete and the channel must copy again.
 */
static void check_failure(struct spdk_ioat_chan *chan, unsigned char *buf)
{
	unsigned char *victim = map_2m(SZ_2M);
	struct dmacopy_spdk_ioat_failure f;
	int before = 0, bad = 0, after = 0, rc, neg = 0;
	uint64_t end, failures0 = dmacopy_spdk_ioat_failure_count(chan);

	for (int pass = 0; pass < 2; pass++) {
		bool src_fault = pass == 0;
		unsigned int expect_err =
		        src_fault ? DMACOPY_OP_READ_FAULT : DMACOPY_OP_WRITE_FAULT;

		before = bad = after = neg = 0;
		CHECK_EQ(spdk_mem_register(victim, SZ_2M), 0);
		memset(buf, 0x77, 8192);
		memset(buf + 65536, 0, 8192);
		CHECK_EQ(spdk_ioat_build_copy(chan, &before, count_cb, buf + 65536, buf, 4096), 0);
		if (src_fault)
			rc = spdk_ioat_build_copy(chan, &bad, count_cb, buf + 8192, victim, 4096);
		else
			rc = spdk_ioat_build_copy(chan, &bad, count_cb, victim, buf, 4096);
		CHECK_EQ(rc, 0);
		CHECK_EQ(
		        spdk_ioat_build_copy(chan, &after, count_cb, buf + 65536 + 4096, buf, 4096),
		        0);
		/* deliberate misuse: the memory leaves the IOMMU while the copy is pending */
		CHECK_EQ(spdk_mem_unregister(victim, SZ_2M), 0);
		spdk_ioat_flush(chan);
		end = spdk_get_ticks() + 10 * spdk_get_ticks_hz();
		while (before + after + neg < 3 && spdk_get_ticks() < end) {
			rc = spdk_ioat_process_events(chan);
			if (rc < 0) {
				CHECK(rc == -EIO, "process_events returned %d, expected -EIO", rc);
				neg++;
			}
		}
		CHECK_EQ(neg, 1);
		CHECK_EQ(bad, 0);
		CHECK_EQ(before, 1);
		CHECK_EQ(after, 1);
		CHECK_EQ(dmacopy_spdk_ioat_get_failure(chan, &f), 1);
		CHECK(f.cb_arg == &bad && f.cb_fn == count_cb);
		CHECK_EQ(f.status, -EIO);
		CHECK(f.detail[0], "no detail from the driver");
		CHECK(f.error == expect_err, "error %u (%s), expected %u", f.error,
		      dmacopy_op_error_str(f.error), expect_err);
		CHECK_EQ(dmacopy_spdk_ioat_get_failure(chan, &f), 0);
		for (int i = 0; i < 8192; i++)
			CHECK(buf[65536 + i] == 0x77);
		note("fault on the %s: process_events -EIO, callback not called, failure reported "
		     "as '%s', neighbours completed: ok",
		     src_fault ? "source" : "destination", dmacopy_op_error_str(f.error));
	}
	CHECK_EQ(dmacopy_spdk_ioat_failure_count(chan), failures0 + 2);
	/* the channel copies again */
	before = 0;
	memset(buf + 65536, 0, 4096);
	CHECK_EQ(spdk_ioat_submit_copy(chan, &before, count_cb, buf + 65536, buf, 4096), 0);
	poll_until(chan, &before, 1, 10);
	for (int i = 0; i < 4096; i++)
		CHECK(buf[65536 + i] == 0x77);
	munmap(victim, SZ_2M);
	note("after the faults the channel copies again: ok");
}

struct worker {
	struct spdk_ioat_chan *chan;
	unsigned char *buf;
	size_t len;
	uint64_t seed;
	int copies;
	char err[200];
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	size_t half = w->len / 2;

	for (int i = 0; i < w->copies; i++) {
		size_t n = 1 + rnd(&w->seed) % (half / 4), s = rnd(&w->seed) % (half - n),
		       d = rnd(&w->seed) % (half - n);
		int done = 0, rc;
		uint64_t end;

		rnd_fill(&w->seed, w->buf + s, n < 256 ? n : 256);
		rc = spdk_ioat_submit_copy(w->chan, &done, count_cb, w->buf + half + d, w->buf + s,
		                           n);
		if (rc) {
			snprintf(w->err, sizeof(w->err), "copy %d: submit %d", i, rc);
			return NULL;
		}
		end = spdk_get_ticks() + 10 * spdk_get_ticks_hz();
		while (!done && spdk_get_ticks() < end) {
			rc = spdk_ioat_process_events(w->chan);
			if (rc < 0) {
				snprintf(w->err, sizeof(w->err), "copy %d: events %d", i, rc);
				return NULL;
			}
		}
		if (!done || memcmp(w->buf + half + d, w->buf + s, n)) {
			snprintf(w->err, sizeof(w->err), "copy %d of %zu bytes %s", i, n,
			         done ? "has wrong data" : "timed out");
			return NULL;
		}
	}
	return NULL;
}

static void check_threads(unsigned char **bufs, size_t len)
{
	struct worker w[MAX_CHANS];
	pthread_t th[MAX_CHANS];

	for (unsigned int i = 0; i < nr_chans; i++) {
		w[i] = (struct worker){.chan = chans[i],
		                       .buf = bufs[i],
		                       .len = len,
		                       .seed = seed + i * 7919 + 1,
		                       .copies = 150};
		if (pthread_create(&th[i], NULL, worker_main, &w[i]))
			FAIL("pthread_create");
	}
	for (unsigned int i = 0; i < nr_chans; i++) {
		pthread_join(th[i], NULL);
		CHECK(!w[i].err[0], "thread %u: %s", i, w[i].err);
	}
	note("threads: %u threads, one channel each, %d verified copies each: ok", nr_chans,
	     w[0].copies);
}

static void check_detach_reprobe(unsigned char *buf)
{
	struct spdk_pci_device *pci = chan_pci[0];
	struct spdk_pci_addr a = spdk_pci_device_get_addr(pci);
	struct probe_ctx ctx = {.only = &a};
	int done = 0;
	unsigned int old = nr_chans;

	/* detach with an operation outstanding: no callback, no crash */
	CHECK_EQ(spdk_ioat_submit_copy(chans[0], &done, count_cb, buf + 8192, buf, 4096), 0);
	spdk_ioat_detach(chans[0]);
	CHECK_EQ(done, 0);
	chans[0] = NULL;
	CHECK_EQ(spdk_ioat_probe(&ctx, probe_cb, attach_cb), 0);
	CHECK_EQ(ctx.probed, 1);
	CHECK_EQ(ctx.attached, 1);
	CHECK_EQ(nr_chans, old + 1);
	CHECK(chan_pci[old] == pci, "the same function got a different handle");
	chans[0] = chans[old];
	nr_chans = old;
	memset(buf + 8192, 0, 4096);
	memset(buf, 0x5e, 4096);
	CHECK_EQ(spdk_ioat_submit_copy(chans[0], &done, count_cb, buf + 8192, buf, 4096), 0);
	poll_until(chans[0], &done, 1, 10);
	CHECK_EQ(memcmp(buf, buf + 8192, 4096), 0);
	note("detach (one operation outstanding, callback not called), re-probe the same function, "
	     "copy: ok");
}

int main(int argc, char **argv)
{
	unsigned char *bufs[MAX_CHANS];
	size_t buf_len = 16 * SZ_2M;
	int opt;

	while ((opt = getopt(argc, argv, "n:s:q")) != -1) {
		switch (opt) {
		case 'n':
			want_chans = (unsigned int)atoi(optarg);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'q':
			quiet = true;
			break;
		default:
			fprintf(stderr, "usage: spdk_ioat_test [-n CHANNELS] [-s SEED] [-q]\n");
			return 2;
		}
	}
	if (!want_chans || want_chans > MAX_CHANS)
		FAIL("-n must be 1..%d", MAX_CHANS);
	if (!seed)
		seed = 1;
	note("seed %llu, %u channels expected", (unsigned long long)seed, want_chans);

	check_env();
	check_pci_addr();
	check_busy_and_attach();
	check_channels();
	check_mem_register();
	check_alloc();

	for (unsigned int i = 0; i < nr_chans; i++) {
		bufs[i] = spdk_dma_zmalloc(buf_len, SZ_2M, NULL);
		CHECK(bufs[i] != NULL, "%s", dmacopy_last_error());
	}
	check_batch(chans[0], bufs[0], buf_len, "batch");
	check_cross_region(chans[0]);
	check_unregistered(chans[0], bufs[0]);
	check_ring_full(chans[nr_chans - 1], bufs[nr_chans - 1]);
	check_nested(chans[nr_chans - 1], bufs[nr_chans - 1]);
	check_failure(chans[0], bufs[0]);
	check_threads(bufs, buf_len);
	for (unsigned int i = 1; i < nr_chans; i++) {
		char what[32];

		snprintf(what, sizeof(what), "batch on channel %u", i);
		check_batch(chans[i], bufs[i], buf_len, what);
	}
	check_detach_reprobe(bufs[0]);

	for (unsigned int i = 0; i < nr_chans; i++) {
		spdk_ioat_detach(chans[i]);
		spdk_dma_free(bufs[i]);
	}
	spdk_env_fini();
	printf("spdk_ioat_test: PASS (%u channels)\n", nr_chans);
	return 0;
}
