/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Copy and fill kernels written once for every x86 vector width; lib/cpu_copy_x86.c includes this
 * file once per instruction set after defining:
 *
 *   KSUFFIX            name suffix (sse2, avx2, avx512)
 *   KTARGET            function attribute selecting the instruction set
 *   VEC, VSZ           vector type and its size in bytes (16, 32, 64)
 *   VLOADU(p)          unaligned load            VSTOREU(p, v)  unaligned store
 *   VSTORE(p, v)       aligned store             VSTREAM(p, v)  aligned non-temporal store
 *   VSET64(x)          broadcast a 64-bit value
 *
 * Shape of every copy (glibc and most fast memcpy implementations do the same): sizes up to
 * 8 vectors are a few overlapping loads and stores with no loop; above that the first cache line
 * is stored unaligned, the destination is aligned to 64 bytes for a loop of 4 vectors per
 * iteration, and the last 4 vectors are stored unaligned at the end (overlapping the loop's last
 * stores, which is harmless because source and destination never overlap).
 */

#define KCAT2(a, b) a##_##b
#define KCAT(a, b)  KCAT2(a, b)
#define KN(x)       KCAT(x, KSUFFIX)
#define KSTR2(x)    #x
#define KSTR(x)     KSTR2(x)

/* Copy n bytes, 32 < n <= 64, without a loop. */
KTARGET static inline void KN(copy_33_64)(char *d, const char *s, size_t n)
{
#if VSZ >= 32
	__m256i a = _mm256_loadu_si256((const __m256i_u *)s);
	__m256i b = _mm256_loadu_si256((const __m256i_u *)(s + n - 32));

	_mm256_storeu_si256((__m256i_u *)d, a);
	_mm256_storeu_si256((__m256i_u *)(d + n - 32), b);
#else
	__m128i a = _mm_loadu_si128((const __m128i_u *)s);
	__m128i b = _mm_loadu_si128((const __m128i_u *)(s + 16));
	__m128i c = _mm_loadu_si128((const __m128i_u *)(s + n - 32));
	__m128i e = _mm_loadu_si128((const __m128i_u *)(s + n - 16));

	_mm_storeu_si128((__m128i_u *)d, a);
	_mm_storeu_si128((__m128i_u *)(d + 16), b);
	_mm_storeu_si128((__m128i_u *)(d + n - 32), c);
	_mm_storeu_si128((__m128i_u *)(d + n - 16), e);
#endif
}

/* Copy n bytes, 64 < n <= 8 * VSZ, without a loop. */
KTARGET static inline void KN(copy_upto_8v)(char *d, const char *s, size_t n)
{
#if VSZ == 64
	if (n <= 2 * VSZ) {
		VEC a = VLOADU(s);
		VEC b = VLOADU(s + n - VSZ);
		VSTOREU(d, a);
		VSTOREU(d + n - VSZ, b);
		return;
	}
#endif
	if (n <= 4 * VSZ) {
		VEC a = VLOADU(s);
		VEC b = VLOADU(s + VSZ);
		VEC c = VLOADU(s + n - 2 * VSZ);
		VEC e = VLOADU(s + n - VSZ);
		VSTOREU(d, a);
		VSTOREU(d + VSZ, b);
		VSTOREU(d + n - 2 * VSZ, c);
		VSTOREU(d + n - VSZ, e);
		return;
	}
	VEC a0 = VLOADU(s);
	VEC a1 = VLOADU(s + VSZ);
	VEC a2 = VLOADU(s + 2 * VSZ);
	VEC a3 = VLOADU(s + 3 * VSZ);
	VEC b0 = VLOADU(s + n - 4 * VSZ);
	VEC b1 = VLOADU(s + n - 3 * VSZ);
	VEC b2 = VLOADU(s + n - 2 * VSZ);
	VEC b3 = VLOADU(s + n - VSZ);
	VSTOREU(d, a0);
	VSTOREU(d + VSZ, a1);
	VSTOREU(d + 2 * VSZ, a2);
	VSTOREU(d + 3 * VSZ, a3);
	VSTOREU(d + n - 4 * VSZ, b0);
	VSTOREU(d + n - 3 * VSZ, b1);
	VSTOREU(d + n - 2 * VSZ, b2);
	VSTOREU(d + n - VSZ, b3);
}

/* Store the first 64 bytes of a long copy unaligned; return the offset where 64-byte aligned
 * destination lines begin (1..64). */
KTARGET static inline size_t KN(copy_head64)(char *d, const char *s)
{
	for (size_t i = 0; i < 64; i += VSZ)
		VSTOREU(d + i, VLOADU(s + i));
	return 64 - ((uintptr_t)d & 63);
}

KTARGET static inline void KN(copy_tail4v)(char *d, const char *s, size_t n)
{
	VEC b0 = VLOADU(s + n - 4 * VSZ);
	VEC b1 = VLOADU(s + n - 3 * VSZ);
	VEC b2 = VLOADU(s + n - 2 * VSZ);
	VEC b3 = VLOADU(s + n - VSZ);
	VSTOREU(d + n - 4 * VSZ, b0);
	VSTOREU(d + n - 3 * VSZ, b1);
	VSTOREU(d + n - 2 * VSZ, b2);
	VSTOREU(d + n - VSZ, b3);
}

/* Long copy through the cache (n > 8 * VSZ). */
KTARGET static void KN(copy_loop)(char *d, const char *s, size_t n)
{
	size_t i = KN(copy_head64)(d, s);

	for (; n - i > 4 * VSZ; i += 4 * VSZ) {
		VEC a = VLOADU(s + i);
		VEC b = VLOADU(s + i + VSZ);
		VEC c = VLOADU(s + i + 2 * VSZ);
		VEC e = VLOADU(s + i + 3 * VSZ);
		VSTORE(d + i, a);
		VSTORE(d + i + VSZ, b);
		VSTORE(d + i + 2 * VSZ, c);
		VSTORE(d + i + 3 * VSZ, e);
	}
	/*
	 * The last 1..4 vectors: aligned stores, then one unaligned vector that ends the copy. Four
	 * unaligned tail vectors (as the streaming loop ends) would split four stores over two lines
	 * each when n is not a multiple of 64: 15-20% slower around 2 KiB with 64-byte vectors.
	 */
	for (; n - i > VSZ; i += VSZ)
		VSTORE(d + i, VLOADU(s + i));
	VSTOREU(d + n - VSZ, VLOADU(s + n - VSZ));
}

/* Long copy with non-temporal stores (n > 8 * VSZ): no read-for-ownership of the destination. */
KTARGET static void KN(copy_stream)(char *d, const char *s, size_t n)
{
	size_t i = KN(copy_head64)(d, s);

	for (; n - i > 4 * VSZ; i += 4 * VSZ) {
		VEC a = VLOADU(s + i);
		VEC b = VLOADU(s + i + VSZ);
		VEC c = VLOADU(s + i + 2 * VSZ);
		VEC e = VLOADU(s + i + 3 * VSZ);
		VSTREAM(d + i, a);
		VSTREAM(d + i + VSZ, b);
		VSTREAM(d + i + 2 * VSZ, c);
		VSTREAM(d + i + 3 * VSZ, e);
	}
	KN(copy_tail4v)(d, s, n);
	_mm_sfence();
}

KTARGET static void KN(copy)(void *dst, const void *src, size_t n)
{
	char *d = dst;
	const char *s = src;

	/* Small copies fall straight through to their stores (no taken branch on the way). */
	if (__builtin_expect(n <= 64, 1)) {
		if (__builtin_expect(n > 32, 1))
			KN(copy_33_64)(d, s, n);
		else
			copy_le32(d, s, n);
		return;
	}
	if (n <= 8 * VSZ) {
		KN(copy_upto_8v)(d, s, n);
		return;
	}
	if (n >= cpu_tune.nt_threshold)
		KN(copy_stream)(d, s, n);
	else if (n >= cpu_tune.rep_movsb_min)
		rep_movsb(d, s, n);
	else
		KN(copy_loop)(d, s, n);
}

KTARGET static void KN(copy_nt)(void *dst, const void *src, size_t n)
{
	char *d = dst;
	const char *s = src;

	if (n <= 8 * VSZ) {
		KN(copy)(d, s, n);
		return;
	}
	KN(copy_stream)(d, s, n);
}

/*
 * Fills: byte i of the destination is byte (i % 8) of the pattern, so a vector stored at offset o
 * holds the pattern rotated by o % 8 bytes (pattern_at()).
 */

/* Fill n bytes, 32 < n <= 64, without a loop. */
KTARGET static inline void KN(fill_33_64)(char *d, uint64_t pattern, size_t n)
{
	/* offsets n - 32 and n - 16 are both congruent to n modulo 8 */
	uint64_t tail = pattern_at(pattern, n);
#if VSZ >= 32
	_mm256_storeu_si256((__m256i_u *)d, _mm256_set1_epi64x((long long)pattern));
	_mm256_storeu_si256((__m256i_u *)(d + n - 32), _mm256_set1_epi64x((long long)tail));
#else
	__m128i v = _mm_set1_epi64x((long long)pattern), w = _mm_set1_epi64x((long long)tail);

	_mm_storeu_si128((__m128i_u *)d, v);
	_mm_storeu_si128((__m128i_u *)(d + 16), v);
	_mm_storeu_si128((__m128i_u *)(d + n - 32), w);
	_mm_storeu_si128((__m128i_u *)(d + n - 16), w);
#endif
}

/* Fill n bytes, 64 < n <= 8 * VSZ, without a loop (with overlapping stores). */
KTARGET static inline void KN(fill_upto_8v)(char *d, uint64_t pattern, size_t n)
{
	VEC v = VSET64(pattern);
	size_t i;

	for (i = 0; i + VSZ < n; i += VSZ)
		VSTOREU(d + i, v);
	VSTOREU(d + n - VSZ, VSET64(pattern_at(pattern, n - VSZ)));
}

KTARGET static void KN(fill_loop)(char *d, uint64_t pattern, size_t n, int stream)
{
	VEC v = VSET64(pattern);
	size_t i;

	for (i = 0; i < 64; i += VSZ)
		VSTOREU(d + i, v);
	i = 64 - ((uintptr_t)d & 63);
	v = VSET64(pattern_at(pattern, i));
	if (stream) {
		for (; n - i > 4 * VSZ; i += 4 * VSZ) {
			VSTREAM(d + i, v);
			VSTREAM(d + i + VSZ, v);
			VSTREAM(d + i + 2 * VSZ, v);
			VSTREAM(d + i + 3 * VSZ, v);
		}
	} else {
		for (; n - i > 4 * VSZ; i += 4 * VSZ) {
			VSTORE(d + i, v);
			VSTORE(d + i + VSZ, v);
			VSTORE(d + i + 2 * VSZ, v);
			VSTORE(d + i + 3 * VSZ, v);
		}
	}
	/* Offsets n - k * VSZ are all congruent to n modulo 8. */
	v = VSET64(pattern_at(pattern, n));
	VSTOREU(d + n - 4 * VSZ, v);
	VSTOREU(d + n - 3 * VSZ, v);
	VSTOREU(d + n - 2 * VSZ, v);
	VSTOREU(d + n - VSZ, v);
	if (stream)
		_mm_sfence();
}

KTARGET static void KN(fill)(void *dst, uint64_t pattern, size_t n)
{
	char *d = dst;

	if (__builtin_expect(n <= 64, 1)) {
		if (__builtin_expect(n > 32, 1))
			KN(fill_33_64)(d, pattern, n);
		else
			fill_le32(d, pattern, n);
		return;
	}
	if (n <= 8 * VSZ) {
		KN(fill_upto_8v)(d, pattern, n);
		return;
	}
	if (n >= cpu_tune.nt_threshold) {
		KN(fill_loop)(d, pattern, n, 1);
		return;
	}
	if (n >= cpu_tune.rep_stosb_min && pattern_is_byte(pattern)) {
		rep_stosb(d, (uint8_t)pattern, n);
		return;
	}
	KN(fill_loop)(d, pattern, n, 0);
}

KTARGET static void KN(fill_nt)(void *dst, uint64_t pattern, size_t n)
{
	if (n <= 8 * VSZ) {
		KN(fill)(dst, pattern, n);
		return;
	}
	KN(fill_loop)(dst, pattern, n, 1);
}

const struct cpu_kernels KN(cpu_kernels) = {
        .name = KSTR(KSUFFIX),
        .copy = KN(copy),
        .copy_nt = KN(copy_nt),
        .fill = KN(fill),
        .fill_nt = KN(fill_nt),
};

#undef KN
#undef KCAT
#undef KCAT2
#undef KSTR
#undef KSTR2
