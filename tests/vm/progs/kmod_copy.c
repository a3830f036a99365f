// SPDX-License-Identifier: BSD-3-Clause
/*
 * Random copies through /dev/dmacopy between anonymous, hugetlbfs and
 * device-dax buffers, checked against a CPU-maintained shadow of every buffer.
 *
 *   kmod_copy [-n COPIES] [-p PROCS] [-m BUF_MIB] [-s SEED] [-M MAX_LEN]
 *
 * COPIES (default 10000) are shared among PROCS processes (default 8) running
 * at once, each with its own three registered buffers of BUF_MIB MiB (default
 * 16; the device-dax one is a slice of /dev/dax0.0). Batches hold 1 to 256
 * copies whose ranges do not overlap each other; lengths run from 1 byte to
 * MAX_LEN (default 8 MiB, log-uniform, mostly small), offsets are random. After
 * each batch, every destination and 64 guard bytes on each side are compared
 * with the shadow; every 16 batches and at the end, the whole buffers are,
 * including the 4 KiB guard zones at their ends that no copy may touch.
 * Half of the batches go through a second queue sharing the registrations.
 */
#include <sys/wait.h>

#include "kmod_util.h"

#define GUARD     4096
#define NEAR      64
#define MAX_BATCH 256

enum { BUF_ANON, BUF_HUGE, BUF_DAX, NBUF };
static const char *const buf_names[NBUF] = {"anon", "hugetlb", "dax"};

struct buf {
	unsigned char *mem;
	unsigned char *shadow;
	size_t len;
	uint32_t handle;
};

struct op {
	int dst, src;
	uint64_t doff, soff, len;
};

static struct buf bufs[NBUF];
static uint64_t max_len = 8 << 20;

static bool overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* Mostly small, sometimes up to max_len: log-uniform in two bands. */
static uint64_t pick_len(uint64_t *rs, uint64_t limit)
{
	uint64_t hi = max_len < limit ? max_len : limit, lo = 1, len;
	unsigned int bits;

	if (hi > 65536 && rnd_below(rs, 10) == 0)
		lo = 65536;
	else if (hi > 65536)
		hi = 65536;
	for (bits = 0; (1ULL << bits) < hi; bits++)
		;
	do {
		len = rnd_below(rs, 1ULL << (rnd_below(rs, bits) + 1)) + 1;
	} while (len < lo || len > hi);
	return len;
}

/* A copy that overlaps nothing else in the batch, or false after some tries. */
static bool pick_op(uint64_t *rs, struct op *ops, int n, struct op *o)
{
	int tries, i;
	bool bad;

	for (tries = 0; tries < 32; tries++) {
		o->dst = (int)rnd_below(rs, NBUF);
		o->src = (int)rnd_below(rs, NBUF);
		o->len = pick_len(rs, (bufs[0].len - 2 * GUARD) / 2);
		o->doff = GUARD + rnd_below(rs, bufs[o->dst].len - 2 * GUARD - o->len + 1);
		o->soff = GUARD + rnd_below(rs, bufs[o->src].len - 2 * GUARD - o->len + 1);
		bad = o->dst == o->src && overlap(o->doff, o->len, o->soff, o->len);
		for (i = 0; i < n && !bad; i++) {
			if (ops[i].dst == o->dst &&
			    (overlap(ops[i].doff, ops[i].len, o->doff, o->len)))
				bad = true;
			if (ops[i].src == o->dst &&
			    overlap(ops[i].soff, ops[i].len, o->doff, o->len))
				bad = true;
			if (ops[i].dst == o->src &&
			    overlap(ops[i].doff, ops[i].len, o->soff, o->len))
				bad = true;
		}
		if (!bad)
			return true;
	}
	return false;
}

static void check_range(int b, uint64_t off, uint64_t len, const char *what)
{
	uint64_t i;

	if (!memcmp(bufs[b].mem + off, bufs[b].shadow + off, len))
		return;
	for (i = 0; i < len && bufs[b].mem[off + i] == bufs[b].shadow[off + i]; i++)
		;
	die("%s: %s buffer differs at offset %llu (0x%02x, expected 0x%02x)", what, buf_names[b],
	    (unsigned long long)(off + i), bufs[b].mem[off + i], bufs[b].shadow[off + i]);
}

static void check_all(const char *what)
{
	int b;

	for (b = 0; b < NBUF; b++)
		check_range(b, 0, bufs[b].len, what);
}

static void worker(int id, int copies, size_t buf_len, uint64_t seed)
{
	uint64_t rs = seed * 0x9e3779b97f4a7c15ULL + (uint64_t)id * 7919 + 1;
	struct dmacopy_sqe sqe[MAX_BATCH];
	struct dmacopy_cqe cqe[MAX_BATCH];
	struct op ops[MAX_BATCH];
	bool seen[MAX_BATCH];
	struct dmacopy_queue_create qc = {.size = sizeof(qc)};
	int fd = dc_open(), qfd, done = 0, batches = 0, n, i, b, got;
	uint64_t bytes = 0, largest = 0;
	long r;

	bufs[BUF_ANON].mem = anon_map(buf_len, false);
	bufs[BUF_HUGE].mem = anon_map(buf_len, true);
	bufs[BUF_DAX].mem = dax_map((uint64_t)id * buf_len, buf_len);
	for (b = 0; b < NBUF; b++) {
		bufs[b].len = buf_len;
		bufs[b].shadow = anon_map(buf_len, false);
		rnd_fill(&rs, bufs[b].mem, buf_len);
		memcpy(bufs[b].shadow, bufs[b].mem, buf_len);
		r = dc_register(fd, bufs[b].mem, buf_len, 0, &bufs[b].handle);
		if (r)
			die("worker %d: register %s: %s", id, buf_names[b], strerror((int)-r));
	}
	if (dc_ioctl(fd, DMACOPY_IOC_QUEUE_CREATE, &qc))
		die("worker %d: queue create: %s", id, strerror(errno));
	qfd = qc.fd;

	while (done < copies) {
		int want = 1 + (int)rnd_below(&rs, MAX_BATCH), use;

		if (want > copies - done)
			want = copies - done;
		n = 0;
		if (!batches) {
			/* The extremes first: one copy of max_len bytes, one of 1 byte. */
			ops[0] = (struct op){.dst = id % NBUF,
			                     .src = (id + 1) % NBUF,
			                     .doff = GUARD,
			                     .soff = buf_len - GUARD - max_len,
			                     .len = max_len};
			ops[1] = (struct op){.dst = (id + 1) % NBUF,
			                     .src = id % NBUF,
			                     .doff = GUARD + 1,
			                     .soff = buf_len - GUARD - 1,
			                     .len = 1};
			want = 2;
		}
		for (; n < want; n++) {
			if (batches && !pick_op(&rs, ops, n, &ops[n]))
				break;
			memset(&sqe[n], 0, sizeof(sqe[n]));
			sqe[n].user_data = ((uint64_t)id << 32) | (uint64_t)n;
			sqe[n].dst_handle = bufs[ops[n].dst].handle;
			sqe[n].dst_offset = ops[n].doff;
			sqe[n].src_handle = bufs[ops[n].src].handle;
			sqe[n].src_offset = ops[n].soff;
			sqe[n].len = ops[n].len;
		}
		use = (batches & 1) ? qfd : fd;
		r = dc_submit(use, sqe, (uint32_t)n, NULL);
		if (r)
			die("worker %d: submit %d: %s", id, n, strerror((int)-r));
		memset(seen, 0, sizeof(seen));
		for (got = 0; got < n;) {
			r = dc_wait(use, cqe, 1, MAX_BATCH, 30000000000LL);
			if (r <= 0)
				die("worker %d: wait: %s", id, r ? strerror((int)-r) : "timed out");
			for (i = 0; i < r; i++) {
				uint64_t k = cqe[i].user_data & 0xffffffff;

				if (cqe[i].user_data >> 32 != (uint64_t)id || k >= (uint64_t)n ||
				    seen[k])
					die("worker %d: unexpected completion %#llx", id,
					    (unsigned long long)cqe[i].user_data);
				if (cqe[i].status)
					die("worker %d: copy %llu (%s+%llu <- %s+%llu, %llu B) "
					    "failed: %s (error %u)",
					    id, (unsigned long long)k, buf_names[ops[k].dst],
					    (unsigned long long)ops[k].doff, buf_names[ops[k].src],
					    (unsigned long long)ops[k].soff,
					    (unsigned long long)ops[k].len,
					    strerror(-cqe[i].status), cqe[i].error);
				seen[k] = true;
			}
			got += (int)r;
		}
		for (i = 0; i < n; i++) {
			memcpy(bufs[ops[i].dst].shadow + ops[i].doff,
			       bufs[ops[i].src].shadow + ops[i].soff, ops[i].len);
			bytes += ops[i].len;
			if (ops[i].len > largest)
				largest = ops[i].len;
		}
		for (i = 0; i < n; i++)
			check_range(ops[i].dst, ops[i].doff - NEAR, ops[i].len + 2 * NEAR,
			            "after a batch");
		done += n;
		if (++batches % 16 == 0)
			check_all("periodic check");
	}
	check_all("final check");
	close(qfd);
	close(fd);
	note("worker %d: %d copies in %d batches, %llu bytes (largest %llu), verified", id, done,
	     batches, (unsigned long long)bytes, (unsigned long long)largest);
	exit(0);
}

int main(int argc, char **argv)
{
	int copies = 10000, procs = 8, opt, i, status, failed = 0;
	uint64_t seed = (uint64_t)time(NULL);
	size_t buf_mib = 16;
	double t0;
	pid_t pid;

	test_name = "kmod_copy";
	while ((opt = getopt(argc, argv, "n:p:m:s:M:")) != -1) {
		switch (opt) {
		case 'n':
			copies = atoi(optarg);
			break;
		case 'p':
			procs = atoi(optarg);
			break;
		case 'm':
			buf_mib = strtoul(optarg, NULL, 0);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'M':
			max_len = strtoull(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr,
			        "usage: %s [-n COPIES] [-p PROCS] [-m BUF_MIB] [-s SEED] [-M "
			        "MAX_LEN]\n",
			        argv[0]);
			return 2;
		}
	}
	if (procs < 1 || copies < procs || buf_mib < 2 || max_len < 1)
		die("bad arguments");
	if (max_len > (buf_mib << 20) - 2 * GUARD)
		die("-M %llu does not fit in %zu MiB buffers", (unsigned long long)max_len,
		    buf_mib);
	if ((uint64_t)procs * (buf_mib << 20) > dax_size())
		die("%d x %zu MiB does not fit in %s", procs, buf_mib, DAX_PATH);
	note("%d copies, %d processes, %zu MiB buffers, lengths up to %llu, seed %llu", copies,
	     procs, buf_mib, (unsigned long long)max_len, (unsigned long long)seed);
	t0 = now_sec();
	for (i = 0; i < procs; i++) {
		pid = fork();
		if (pid < 0)
			die("fork: %s", strerror(errno));
		if (!pid)
			worker(i, copies / procs + (i < copies % procs), buf_mib << 20, seed);
	}
	while (wait(&status) > 0)
		failed += !WIFEXITED(status) || WEXITSTATUS(status);
	if (failed)
		die("%d of %d workers failed", failed, procs);
	note("all %d copies verified in %.1f s", copies, now_sec() - t0);
	return 0;
}
