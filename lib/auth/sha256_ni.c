/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SHA-256 compression (FIPS 180-4 6.2.2) with the x86 SHA extensions, up to
 * four independent states at once.
 *
 * sha256rnds2 does two rounds, and the next pair needs its result: one block
 * is a chain of 32 dependent instructions and the unit idles between them.
 * The rounds of up to four unrelated blocks are therefore issued lane by lane
 * in the same loop body, so that while one lane's pair is in flight the
 * others' are too. The message schedule (sha256msg1/msg2) is off that chain.
 *
 * The functions carry __attribute__((target("sha,sse4.1,ssse3"))) so the rest
 * of the library needs no special flags; om_sha256_ni_enabled() decides once
 * at run time whether they may be called.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "sha256_ni.h"

#if defined(__x86_64__) || defined(__i386__)
#define OM_HAVE_X86 1
#include <cpuid.h>
#include <immintrin.h>
#define SHANI __attribute__((target("sha,sse4.1,ssse3")))
#define SHANI_INLINE __attribute__((target("sha,sse4.1,ssse3"), always_inline)) inline
#else
#define OM_HAVE_X86 0
#endif

/* -1 not decided yet, 0 fallback, 1 SHA-NI. */
static atomic_int engine = -1;

static int cpu_has_shani(void)
{
#if OM_HAVE_X86
#if defined(__clang__)
	/* clang 14's __builtin_cpu_supports knows no "sha": ask CPUID leaf 7 */
	unsigned a, b, c, d;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(b & bit_SHA))
		return 0;
	return __builtin_cpu_supports("sse4.1") && __builtin_cpu_supports("ssse3");
#else
	return __builtin_cpu_supports("sha") && __builtin_cpu_supports("sse4.1") &&
	       __builtin_cpu_supports("ssse3");
#endif
#else
	return 0;
#endif
}

static int detect(void)
{
	const char *no = getenv("OM_NO_SHANI");
	if (no && strcmp(no, "1") == 0)
		return 0;
	return cpu_has_shani();
}

int om_sha256_ni_enabled(void)
{
	int e = atomic_load(&engine);
	if (e < 0) {
		e = detect();
		atomic_store(&engine, e);
	}
	return e;
}

void om_sha256_ni_force_fallback(int force)
{
	atomic_store(&engine, force ? 0 : -1);
}

#if OM_HAVE_X86

/* FIPS 180-4 4.2.2 */
static const _Alignas(16) uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/*
 * n lanes (a constant 1..4 once inlined). sha256rnds2 wants the state as
 * ABEF and CDGH; rounds go four at a time, W[4g..4g+3] in m[lane][g % 4].
 */
static SHANI_INLINE void compress_lanes(uint32_t (*state)[8], const uint32_t (*blk)[16], int n)
{
	__m128i abef[4], cdgh[4], abef0[4], cdgh0[4], m[4][4];

#pragma GCC unroll 4
	for (int l = 0; l < n; l++) {
		__m128i dcba = _mm_loadu_si128((const __m128i *)&state[l][0]);
		__m128i hgfe = _mm_loadu_si128((const __m128i *)&state[l][4]);
		__m128i cdab = _mm_shuffle_epi32(dcba, 0xb1);
		__m128i efgh = _mm_shuffle_epi32(hgfe, 0x1b);
		abef[l] = abef0[l] = _mm_alignr_epi8(cdab, efgh, 8);
		cdgh[l] = cdgh0[l] = _mm_blend_epi16(efgh, cdab, 0xf0);
	}
#pragma GCC unroll 16
	for (int g = 0; g < 16; g++) {
		const __m128i k = _mm_load_si128((const __m128i *)&K[4 * g]);
#pragma GCC unroll 4
		for (int l = 0; l < n; l++) {
			__m128i w;
			if (g < 4) {
				w = _mm_loadu_si128((const __m128i *)&blk[l][4 * g]);
			} else {
				/* W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16], four at a time */
				w = _mm_sha256msg1_epu32(m[l][g % 4], m[l][(g + 1) % 4]);
				w = _mm_add_epi32(w, _mm_alignr_epi8(m[l][(g + 3) % 4], m[l][(g + 2) % 4], 4));
				w = _mm_sha256msg2_epu32(w, m[l][(g + 3) % 4]);
			}
			m[l][g % 4] = w;
			__m128i wk = _mm_add_epi32(w, k);
			cdgh[l] = _mm_sha256rnds2_epu32(cdgh[l], abef[l], wk);
			abef[l] = _mm_sha256rnds2_epu32(abef[l], cdgh[l], _mm_shuffle_epi32(wk, 0x0e));
		}
	}
#pragma GCC unroll 4
	for (int l = 0; l < n; l++) {
		__m128i a = _mm_add_epi32(abef[l], abef0[l]);
		__m128i c = _mm_add_epi32(cdgh[l], cdgh0[l]);
		__m128i feba = _mm_shuffle_epi32(a, 0x1b);
		__m128i dchg = _mm_shuffle_epi32(c, 0xb1);
		_mm_storeu_si128((__m128i *)&state[l][0], _mm_blend_epi16(feba, dchg, 0xf0));
		_mm_storeu_si128((__m128i *)&state[l][4], _mm_alignr_epi8(dchg, feba, 8));
	}
}

static SHANI void compress1(uint32_t (*s)[8], const uint32_t (*b)[16])
{
	compress_lanes(s, b, 1);
}

static SHANI void compress2(uint32_t (*s)[8], const uint32_t (*b)[16])
{
	compress_lanes(s, b, 2);
}

static SHANI void compress3(uint32_t (*s)[8], const uint32_t (*b)[16])
{
	compress_lanes(s, b, 3);
}

static SHANI void compress4(uint32_t (*s)[8], const uint32_t (*b)[16])
{
	compress_lanes(s, b, 4);
}

void om_sha256_ni_compress(uint32_t (*state)[8], const uint32_t (*blk)[16], size_t n)
{
	for (; n >= 4; n -= 4, state += 4, blk += 4)
		compress4(state, blk);
	if (n == 3)
		compress3(state, blk);
	else if (n == 2)
		compress2(state, blk);
	else if (n == 1)
		compress1(state, blk);
}

#else

void om_sha256_ni_compress(uint32_t (*state)[8], const uint32_t (*blk)[16], size_t n)
{
	(void)state;
	(void)blk;
	(void)n;
}

#endif
