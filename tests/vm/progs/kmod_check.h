/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Table-style checks for the dmacopy.ko guest test programs that compare each request's result
 * with the errno it must give (kmod_abi, kmod_harden): one "ok"/"FAIL" line per check, counted.
 * Include after kmod_util.h.
 */
#ifndef KMOD_CHECK_H
#define KMOD_CHECK_H

static int failures, checks;

static void expect_at(int line, const char *what, long got, long want)
{
	checks++;
	if (got == want) {
		printf("ok    %-58s %s\n", what, want < 0 ? strerror((int)-want) : "ok");
		return;
	}
	failures++;
	printf("FAIL  %-58s got %ld (%s), want %ld (%s) [line %d]\n", what, got,
	       got < 0 ? strerror((int)-got) : "ok", want, want < 0 ? strerror((int)-want) : "ok",
	       line);
}

#define EXPECT(what, got, want) expect_at(__LINE__, what, got, want)

/* A copy of len bytes from (sh, soff) to (dh, doff); user_data derived from len. */
static inline void sqe_set(struct dmacopy_sqe *s, uint32_t dh, uint64_t doff, uint32_t sh,
                           uint64_t soff, uint64_t len)
{
	memset(s, 0, sizeof(*s));
	s->dst_handle = dh;
	s->dst_offset = doff;
	s->src_handle = sh;
	s->src_offset = soff;
	s->len = len;
	s->user_data = 0x1000 + len;
}

#endif /* KMOD_CHECK_H */
