/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A program built only from an installed libdmacopy (pkg-config libdmacopy): a copy and a fill
 * round trip on the CPU engine, which needs no DMA hardware, plus the UAPI header's request
 * numbers, so both installed headers are compiled.
 */
#include <dmacopy.h>
#include <dmacopy/uapi/linux/dmacopy.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(IOCTL_IOAT_DMA_SUBMIT != 0, "the UAPI header defines the reference request");

#define LEN (1u << 20)

static int fail(const char *what, int ret)
{
	fprintf(stderr, "prog_lib: %s: %s (%s)\n", what, dmacopy_strerror(ret), dmacopy_last_error());
	return 1;
}

int main(void)
{
	struct dmacopy_engine *engine;
	unsigned char *src = malloc(LEN), *dst = malloc(LEN);
	size_t i;
	int ret;

	if (!src || !dst) {
		fprintf(stderr, "prog_lib: out of memory\n");
		return 1;
	}
	for (i = 0; i < LEN; i++)
		src[i] = (unsigned char)(i * 131 + 7);
	memset(dst, 0, LEN);

	ret = dmacopy_engine_open(&engine, "cpu", NULL);
	if (ret < 0)
		return fail("dmacopy_engine_open(cpu)", ret);
	ret = dmacopy_memcpy(engine, dst, src, LEN);
	if (ret < 0)
		return fail("dmacopy_memcpy", ret);
	if (memcmp(dst, src, LEN) != 0) {
		fprintf(stderr, "prog_lib: the copy differs from its source\n");
		return 1;
	}
	ret = dmacopy_memset(engine, dst, 0x5a, LEN);
	if (ret < 0)
		return fail("dmacopy_memset", ret);
	for (i = 0; i < LEN; i++) {
		if (dst[i] != 0x5a) {
			fprintf(stderr, "prog_lib: byte %zu is 0x%02x after the fill\n", i, dst[i]);
			return 1;
		}
	}
	printf("libdmacopy %s: engine %s copied and filled %u bytes\n", dmacopy_version(),
	       dmacopy_engine_name(engine), LEN);
	dmacopy_engine_close(engine);
	free(src);
	free(dst);
	return 0;
}
