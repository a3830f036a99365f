// SPDX-License-Identifier: BSD-3-Clause
/*
 * Asynchronous queue throughput: libdmacopy's CPU engine against DPDK's software DMA device
 * (dma_skeleton), doing the same copies with the same loop: enqueue a batch, submit it, poll until
 * the whole batch has completed. Reports operations per second for each size.
 *
 * Usage: queue_vs_skeleton [--sizes 64,4096] [--batch 32] [--seconds 2] [--csv]
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_dmadev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>

#include "dmacopy.h"

#define MAX_SIZES 16
#define BUF_SLOTS 64 /* distinct src/dst slots per size so successive ops touch different lines */

struct opts {
	size_t sizes[MAX_SIZES];
	unsigned int nsizes;
	unsigned int batch;
	double seconds;
	bool csv;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "queue_vs_skeleton: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

/* ---- DPDK dma_skeleton --------------------------------------------------------------------- */

static int16_t skeleton_setup(unsigned int nb_desc)
{
	struct rte_dma_conf conf = { .nb_vchans = 1 };
	struct rte_dma_vchan_conf vconf = { .direction = RTE_DMA_DIR_MEM_TO_MEM,
					    .nb_desc = (uint16_t)nb_desc };
	int dev = rte_dma_get_dev_id_by_name("dma_skeleton");

	if (dev < 0)
		die("dma_skeleton device not found (is librte-dma-skeleton23 installed?)", dev);
	if (rte_dma_configure((int16_t)dev, &conf) || rte_dma_vchan_setup((int16_t)dev, 0, &vconf) ||
	    rte_dma_start((int16_t)dev))
		die("cannot configure dma_skeleton", EIO);
	return (int16_t)dev;
}

static double skeleton_run(int16_t dev, uint8_t *src, uint8_t *dst, size_t size,
			   const struct opts *o, uint64_t *ops_out)
{
	uint64_t ops = 0;
	double start = now_s(), end;
	unsigned int slot = 0;

	do {
		for (int rounds = 0; rounds < 64; rounds++) {
			uint16_t done = 0, last;
			bool err = false;

			for (unsigned int i = 0; i < o->batch; i++) {
				size_t off = (size_t)(slot++ % BUF_SLOTS) * size;

				while (rte_dma_copy(dev, 0, (rte_iova_t)(uintptr_t)(src + off),
						    (rte_iova_t)(uintptr_t)(dst + off), (uint32_t)size,
						    0) < 0)
					done += rte_dma_completed(dev, 0, 64, &last, &err);
			}
			rte_dma_submit(dev, 0);
			while (done < o->batch) {
				done += rte_dma_completed(dev, 0, (uint16_t)(o->batch - done), &last,
							  &err);
				if (err)
					die("dma_skeleton reported an error", EIO);
			}
			ops += o->batch;
		}
		end = now_s();
	} while (end - start < o->seconds);
	*ops_out = ops;
	return end - start;
}

/* ---- libdmacopy queue ------------------------------------------------------------------------ */

static double queue_run(struct dmacopy_queue *q, uint8_t *src, uint8_t *dst, size_t size,
			const struct opts *o, uint64_t *ops_out)
{
	struct dmacopy_completion c[1024];
	uint64_t ops = 0;
	double start = now_s(), end;
	unsigned int slot = 0;

	do {
		for (int rounds = 0; rounds < 64; rounds++) {
			unsigned int done = 0;
			int ret;

			for (unsigned int i = 0; i < o->batch; i++) {
				size_t off = (size_t)(slot++ % BUF_SLOTS) * size;

				ret = dmacopy_enqueue_copy(q, dst + off, src + off, size, i, 0);
				if (ret)
					die("dmacopy_enqueue_copy", ret);
			}
			ret = dmacopy_submit(q);
			if (ret < 0)
				die("dmacopy_submit", ret);
			while (done < o->batch) {
				ret = dmacopy_poll(q, c, o->batch - done);
				if (ret < 0)
					die("dmacopy_poll", ret);
				for (int k = 0; k < ret; k++)
					if (c[k].status)
						die("copy failed", c[k].status);
				done += (unsigned int)ret;
			}
			ops += o->batch;
		}
		end = now_s();
	} while (end - start < o->seconds);
	*ops_out = ops;
	return end - start;
}

static size_t parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (*end == 'K' || *end == 'k')
		v <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		v <<= 20, end++;
	if (*end || !v) {
		fprintf(stderr, "queue_vs_skeleton: bad size '%s'\n", s);
		exit(2);
	}
	return (size_t)v;
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){ .sizes = { 64, 4096 }, .nsizes = 2, .batch = 32, .seconds = 2 };
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--sizes") && i + 1 < argc) {
			char *list = argv[++i], *tok, *save;

			o->nsizes = 0;
			for (tok = strtok_r(list, ",", &save); tok && o->nsizes < MAX_SIZES;
			     tok = strtok_r(NULL, ",", &save))
				o->sizes[o->nsizes++] = parse_size(tok);
		} else if (!strcmp(argv[i], "--batch") && i + 1 < argc) {
			o->batch = (unsigned int)atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
			o->seconds = atof(argv[++i]);
		} else if (!strcmp(argv[i], "--csv")) {
			o->csv = true;
		} else {
			fprintf(stderr, "usage: queue_vs_skeleton [--sizes 64,4K] [--batch N] "
					"[--seconds S] [--csv]\n");
			exit(2);
		}
	}
	if (o->batch < 1 || o->batch > 512) {
		fprintf(stderr, "queue_vs_skeleton: --batch must be 1..512\n");
		exit(2);
	}
}

int main(int argc, char **argv)
{
	char *eal_argv[] = { "queue_vs_skeleton", "--no-huge", "--no-pci", "--file-prefix=dmacopy-bench",
			     "--no-telemetry", "--iova-mode=va", "-m", "64",
			     "--vdev=dma_skeleton", "--log-level=lib.eal:error", "-l", "0" };
	struct dmacopy_engine *e;
	struct dmacopy_queue *q;
	struct dmacopy_queue_opts qo = { 0 };
	struct opts o;
	int16_t dev;
	int ret;

	parse_args(argc, argv, &o);
	if (rte_eal_init((int)(sizeof(eal_argv) / sizeof(eal_argv[0])), eal_argv) < 0)
		die("rte_eal_init", rte_errno);
	dev = skeleton_setup(1024);
	ret = dmacopy_engine_open(&e, "cpu", NULL);
	if (ret)
		die("dmacopy_engine_open(cpu)", ret);
	qo.depth = 1024;
	ret = dmacopy_queue_create(e, &qo, &q);
	if (ret)
		die("dmacopy_queue_create", ret);

	if (o.csv)
		printf("size,batch,dmacopy_cpu_mops,dpdk_skeleton_mops,ratio\n");
	else
		printf("%-8s %6s %18s %20s %8s\n", "size", "batch", "dmacopy cpu Mops/s",
		       "dpdk skeleton Mops/s", "ratio");
	for (unsigned int s = 0; s < o.nsizes; s++) {
		size_t size = o.sizes[s];
		uint8_t *src = aligned_alloc(4096, size * BUF_SLOTS);
		uint8_t *dst = aligned_alloc(4096, size * BUF_SLOTS);
		uint64_t qops, sops;
		double qt, st, qm, sm;

		if (!src || !dst)
			die("aligned_alloc", ENOMEM);
		memset(src, 0x5a, size * BUF_SLOTS);
		memset(dst, 0, size * BUF_SLOTS);
		/* warm up both paths once, then measure */
		queue_run(q, src, dst, size, &(struct opts){ .batch = o.batch, .seconds = 0.2 },
			  &qops);
		skeleton_run(dev, src, dst, size, &(struct opts){ .batch = o.batch, .seconds = 0.2 },
			     &sops);
		qt = queue_run(q, src, dst, size, &o, &qops);
		st = skeleton_run(dev, src, dst, size, &o, &sops);
		qm = qops / qt / 1e6;
		sm = sops / st / 1e6;
		if (memcmp(src, dst, size * BUF_SLOTS))
			die("data mismatch after the runs", EIO);
		if (o.csv)
			printf("%zu,%u,%.3f,%.3f,%.2f\n", size, o.batch, qm, sm, qm / sm);
		else
			printf("%-8zu %6u %18.3f %20.3f %7.2fx\n", size, o.batch, qm, sm, qm / sm);
		free(src);
		free(dst);
	}
	dmacopy_queue_destroy(q);
	dmacopy_engine_close(e);
	rte_dma_stop(dev);
	rte_dma_close(dev);
	rte_eal_cleanup();
	return 0;
}
