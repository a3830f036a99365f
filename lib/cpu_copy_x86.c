// SPDX-License-Identifier: BSD-3-Clause
/*
 * x86-64 copy and fill kernels: SSE2 (every x86-64 CPU), AVX2 and AVX-512, built from one template
 * (cpu_copy_kernels.h) with per-function target attributes, so no file needs special compiler
 * flags. cpu_copy.c picks one at run time.
 */
#if defined(__x86_64__)

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "cpu_copy_impl.h"

/* Loads and stores of 1..8 bytes at any alignment (compile to single moves). */
static inline uint64_t load64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t load32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint16_t load16(const void *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void store64(void *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

static inline void store32(void *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static inline void store16(void *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* Copy 0..32 bytes with two possibly overlapping moves of the largest size that fits. */
static inline void copy_le32(char *d, const char *s, size_t n)
{
	if (n >= 16) {
		__m128i a = _mm_loadu_si128((const __m128i_u *)s);
		__m128i b = _mm_loadu_si128((const __m128i_u *)(s + n - 16));

		_mm_storeu_si128((__m128i_u *)d, a);
		_mm_storeu_si128((__m128i_u *)(d + n - 16), b);
	} else if (n >= 8) {
		uint64_t a = load64(s), b = load64(s + n - 8);

		store64(d, a);
		store64(d + n - 8, b);
	} else if (n >= 4) {
		uint32_t a = load32(s), b = load32(s + n - 4);

		store32(d, a);
		store32(d + n - 4, b);
	} else if (n >= 2) {
		uint16_t a = load16(s), b = load16(s + n - 2);

		store16(d, a);
		store16(d + n - 2, b);
	} else if (n) {
		*d = *s;
	}
}

/* The 64-bit pattern as seen from byte offset off of a fill (x86 is little-endian). */
static inline uint64_t pattern_at(uint64_t pattern, size_t off)
{
	unsigned int sh = (unsigned int)(off & 7) * 8;

	return sh ? (pattern >> sh) | (pattern << (64 - sh)) : pattern;
}

static inline int pattern_is_byte(uint64_t pattern)
{
	return pattern == (pattern & 0xff) * 0x0101010101010101ull;
}

static inline void fill_le32(char *d, uint64_t pattern, size_t n)
{
	if (n >= 16) {
		uint64_t t = pattern_at(pattern, n);

		_mm_storeu_si128((__m128i_u *)d, _mm_set1_epi64x((long long)pattern));
		_mm_storeu_si128((__m128i_u *)(d + n - 16), _mm_set1_epi64x((long long)t));
	} else if (n >= 8) {
		store64(d, pattern);
		store64(d + n - 8, pattern_at(pattern, n));
	} else if (n >= 4) {
		store32(d, (uint32_t)pattern);
		store32(d + n - 4, (uint32_t)pattern_at(pattern, n - 4));
	} else if (n >= 2) {
		store16(d, (uint16_t)pattern);
		store16(d + n - 2, (uint16_t)pattern_at(pattern, n - 2));
	} else if (n) {
		*d = (char)pattern;
	}
}

/* ERMS: microcoded string moves, fastest for medium sizes on many CPUs (thresholds measured). */
static inline void rep_movsb(void *d, const void *s, size_t n)
{
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
}

static inline void rep_stosb(void *d, uint8_t c, size_t n)
{
	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
}

/* ---- SSE2 ---- */

#define KSUFFIX       sse2
#define KTARGET       __attribute__((target("sse2")))
#define VEC           __m128i
#define VSZ           16
#define VLOADU(p)     _mm_loadu_si128((const __m128i_u *)(p))
#define VSTOREU(p, v) _mm_storeu_si128((__m128i_u *)(p), (v))
#define VSTORE(p, v)  _mm_store_si128((__m128i *)(void *)(p), (v))
#define VSTREAM(p, v) _mm_stream_si128((__m128i *)(void *)(p), (v))
#define VSET64(x)     _mm_set1_epi64x((long long)(x))
#include "cpu_copy_kernels.h"
#undef KSUFFIX
#undef KTARGET
#undef VEC
#undef VSZ
#undef VLOADU
#undef VSTOREU
#undef VSTORE
#undef VSTREAM
#undef VSET64

/* ---- AVX2 ---- */

#define KSUFFIX       avx2
#define KTARGET       __attribute__((target("avx2")))
#define VEC           __m256i
#define VSZ           32
#define VLOADU(p)     _mm256_loadu_si256((const __m256i_u *)(p))
#define VSTOREU(p, v) _mm256_storeu_si256((__m256i_u *)(p), (v))
#define VSTORE(p, v)  _mm256_store_si256((__m256i *)(void *)(p), (v))
#define VSTREAM(p, v) _mm256_stream_si256((__m256i *)(void *)(p), (v))
#define VSET64(x)     _mm256_set1_epi64x((long long)(x))
#include "cpu_copy_kernels.h"
#undef KSUFFIX
#undef KTARGET
#undef VEC
#undef VSZ
#undef VLOADU
#undef VSTOREU
#undef VSTORE
#undef VSTREAM
#undef VSET64

/* ---- AVX-512 (full 64-byte vectors; AVX-512F only) ------------------------------------------- */

#define KSUFFIX       avx512
#define KTARGET       __attribute__((target("avx512f,avx2")))
#define VEC           __m512i
#define VSZ           64
#define VLOADU(p)     _mm512_loadu_si512((const void *)(p))
#define VSTOREU(p, v) _mm512_storeu_si512((void *)(p), (v))
#define VSTORE(p, v)  _mm512_store_si512((void *)(p), (v))
#define VSTREAM(p, v) _mm512_stream_si512((void *)(p), (v))
#define VSET64(x)     _mm512_set1_epi64((long long)(x))
#include "cpu_copy_kernels.h"
#undef KSUFFIX
#undef KTARGET
#undef VEC
#undef VSZ
#undef VLOADU
#undef VSTOREU
#undef VSTORE
#undef VSTREAM
#undef VSET64

#endif /* __x86_64__ */
