// SPDX-License-Identifier: BSD-3-Clause
/*
 * Keep /dev/dmacopy busy: batches of copies between two registered buffers,
 * round after round, each round's data checked (one 64-bit word per 512
 * bytes, unique per round). Used by the guest tests that kill processes,
 * unbind devices or inject faults under load.
 *
 *   kmod_hold [-m anon|huge|dax] [-o DAX_OFFSET] [-b BATCH] [-l LEN] [-t SECONDS]
 *             [-r] [-w] [-f]
 *
 *   -r  on ENODEV from a submission (no channel), retry every 50 ms; copies of a
 *       round that was being submitted when the last channel went away complete
 *       with ENODEV (DEVICE_GONE): counted as "lost their channel", not failed
 *   -w  the memory may go away (device-dax unbind): a SIGBUS while touching it
 *       stops the data checks, ENODEV from a submission is printed, and the
 *       program then waits for a signal with its files still open
 *   -f  faults are expected: count failed copies instead of failing
 *
 * Prints "ready" after the first submission, a line on every change of
 * state, and a summary; exits 0 unless a copy was wrong or failed unexpectedly.
 */
#include <setjmp.h>
#include <signal.h>

#include "kmod_util.h"

static volatile sig_atomic_t stop, bus_armed, mem_gone;
static sigjmp_buf bus_env;

/* With -w, a SIGBUS while touching the buffers means the memory went away. */
static void on_sigbus(int sig)
{
	if (!bus_armed) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	bus_armed = 0;
	siglongjmp(bus_env, 1);
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* The words one round writes and checks; static so that a SIGBUS jump keeps them. */
static struct {
	unsigned char *p;
	size_t from, to, bad;
	uint64_t round;
} words;

static void words_fill(void)
{
	uint64_t word;
	size_t w;

	for (w = words.from; w < words.to; w += 512) {
		word = words.round << 32 | w;
		memcpy(words.p + w, &word, 8);
	}
}

static void words_check(void)
{
	uint64_t word;
	size_t w;

	for (w = words.from; w < words.to; w += 512) {
		memcpy(&word, words.p + w, 8);
		if (word != (words.round << 32 | w))
			break;
	}
	words.bad = w;
}

/* Run fn on the words; false if the memory went away (SIGBUS) now or before. */
static bool touch_words(void (*fn)(void), unsigned char *p, size_t from, size_t to, uint64_t round)
{
	words.p = p;
	words.from = from;
	words.to = to;
	words.round = round;
	if (mem_gone || sigsetjmp(bus_env, 1)) {
		mem_gone = 1;
		return false;
	}
	bus_armed = 1;
	fn();
	bus_armed = 0;
	return true;
}

static unsigned char *map_buf(const char *mem, uint64_t dax_off, size_t len)
{
	if (!strcmp(mem, "anon"))
		return anon_map(len, false);
	if (!strcmp(mem, "huge"))
		return anon_map(len, true);
	if (!strcmp(mem, "dax"))
		return dax_map(dax_off, len);
	die("unknown memory kind %s", mem);
}

int main(int argc, char **argv)
{
	const char *mem = "anon";
	uint64_t dax_off = 256ULL << 20, rounds = 0, ok = 0, lost = 0, errs[8] = {0};
	size_t len = 1 << 20, size, i;
	unsigned int batch = 16, k;
	bool retry = false, wait_gone = false, faults = false, in_enodev = false,
	     gone_noted = false, started = false;
	double seconds = 0, end;
	struct dmacopy_sqe *sqe;
	struct dmacopy_cqe cqe[64];
	unsigned char *src, *dst;
	uint32_t hs, hd;
	int fd, opt, got;
	long r;

	test_name = "kmod_hold";
	while ((opt = getopt(argc, argv, "m:o:b:l:t:rwf")) != -1) {
		switch (opt) {
		case 'm':
			mem = optarg;
			break;
		case 'o':
			dax_off = strtoull(optarg, NULL, 0);
			break;
		case 'b':
			batch = (unsigned int)atoi(optarg);
			break;
		case 'l':
			len = strtoull(optarg, NULL, 0);
			break;
		case 't':
			seconds = atof(optarg);
			break;
		case 'r':
			retry = true;
			break;
		case 'w':
			wait_gone = true;
			break;
		case 'f':
			faults = true;
			break;
		default:
			fprintf(stderr, "usage: see the comment at the top of kmod_hold.c\n");
			return 2;
		}
	}
	if (!batch || batch > 64 || len < 512 || len % 512)
		die("bad arguments");
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if (wait_gone)
		signal(SIGBUS, on_sigbus);

	size = ((batch * len + (2u << 20) - 1) / (2u << 20)) * (2u << 20);
	src = map_buf(mem, dax_off, size);
	dst = map_buf(mem, dax_off + size, size);
	fd = dc_open();
	if ((r = dc_register(fd, src, size, 0, &hs)) || (r = dc_register(fd, dst, size, 0, &hd)))
		die("register %s: %s", mem, strerror((int)-r));
	sqe = calloc(batch, sizeof(*sqe));
	if (!sqe)
		die("calloc");
	for (k = 0; k < batch; k++) {
		sqe[k].user_data = k;
		sqe[k].src_handle = hs;
		sqe[k].dst_handle = hd;
		sqe[k].src_offset = (uint64_t)k * len;
		sqe[k].dst_offset = (uint64_t)k * len;
		sqe[k].len = len;
	}

	end = now_sec() + seconds;
	while (!stop && (!seconds || now_sec() < end)) {
		rounds++;
		if (!touch_words(words_fill, src, 0, batch * len, rounds) && !gone_noted) {
			note("memory gone: SIGBUS (round %llu)", (unsigned long long)rounds);
			gone_noted = true;
		}
		r = dc_submit(fd, sqe, batch, NULL);
		if (r == -ENODEV && (retry || wait_gone)) {
			if (!in_enodev)
				note("submit: no such device (round %llu)",
				     (unsigned long long)rounds);
			in_enodev = true;
			if (wait_gone) {
				while (!stop)
					pause();
				break;
			}
			usleep(50000);
			continue;
		}
		if (r)
			die("submit: %s", strerror((int)-r));
		if (in_enodev)
			note("submitting again (round %llu)", (unsigned long long)rounds);
		in_enodev = false;
		if (!ok && !started)
			note("ready");
		started = true;
		for (got = 0; got < (int)batch; got += (int)r) {
			/* A stop signal interrupts the wait; the copies still complete. */
			do
				r = dc_wait(fd, cqe, 1, 64, 30000000000LL);
			while (r == -EINTR);
			if (r <= 0)
				die("wait: %s", r ? strerror((int)-r) : "timed out");
			for (i = 0; i < (size_t)r; i++) {
				k = (unsigned int)cqe[i].user_data;
				if (retry && cqe[i].status == -ENODEV &&
				    cqe[i].error == DMACOPY_ERR_DEVICE_GONE) {
					if (!lost)
						note("copies lost their channel (round %llu)",
						     (unsigned long long)rounds);
					lost++;
					continue;
				}
				if (cqe[i].status && !faults)
					die("copy %u of round %llu failed: %s (error %u)", k,
					    (unsigned long long)rounds, strerror(-cqe[i].status),
					    cqe[i].error);
				if (cqe[i].status) {
					errs[cqe[i].error < 8 ? cqe[i].error : 7]++;
					continue;
				}
				if (!touch_words(words_check, dst, (size_t)k * len,
				                 (size_t)(k + 1) * len, rounds)) {
					if (!gone_noted)
						note("memory gone: SIGBUS (round %llu)",
						     (unsigned long long)rounds);
					gone_noted = true;
					continue;
				}
				if (words.bad != words.to)
					die("round %llu copy %u: wrong data at %zu",
					    (unsigned long long)rounds, k, words.bad);
				ok++;
			}
		}
	}
	note("%llu rounds, %llu copies verified, %llu lost their channel, failed: %llu read, %llu "
	     "write, %llu aborted, %llu timed out, %llu other",
	     (unsigned long long)rounds, (unsigned long long)ok, (unsigned long long)lost,
	     (unsigned long long)errs[DMACOPY_ERR_READ_FAULT],
	     (unsigned long long)errs[DMACOPY_ERR_WRITE_FAULT],
	     (unsigned long long)errs[DMACOPY_ERR_ABORTED],
	     (unsigned long long)errs[DMACOPY_ERR_TIMEOUT],
	     (unsigned long long)(errs[DMACOPY_ERR_CHANNEL] + errs[DMACOPY_ERR_DEVICE_GONE] +
	                          errs[7]));
	close(fd);
	return 0;
}
