/* SPDX-License-Identifier: Apache-2.0 */
/*
 * MILENAGE (TS 35.206 clause 4.1) with the structure that makes it cheap:
 * the AES key schedule is expanded once per subscriber in om_milenage_init(),
 * TEMP = E_K(RAND xor OPc) is computed once per vector, and OUT1..OUT4 (OUT5
 * too when asked) are issued together so that their AES rounds interleave:
 * four independent blocks cost about what one dependent block costs
 * (research/hss-s6a-style-performance.md 4.3). hostapd-derived code computes
 * TEMP twice and expands the key for every block.
 *
 * Two engines give identical results: AES-NI intrinsics (chosen once at run
 * time when the CPU has them) and OpenSSL's AES-128-ECB through one EVP
 * context per subscriber, keyed once, with all OUT blocks in one update so
 * OpenSSL can pipeline them too. OM_NO_AESNI=1 forces the OpenSSL engine.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <openmcim/milenage.h>

#include "milenage_impl.h"

#if defined(__x86_64__) || defined(__i386__)
#define OM_HAVE_X86 1
#include <wmmintrin.h>
#define AESNI __attribute__((target("aes,sse2")))
#else
#define OM_HAVE_X86 0
#endif

/* TS 35.206 4.1 defaults: r1..r5 in bytes (64, 0, 32, 64, 96 bits) and the
 * last byte of c1..c5 (every other byte of the constants is zero). */
static const unsigned rot_bytes[5] = { 8, 0, 4, 8, 12 };
static const uint8_t c_last[5] = { 0x00, 0x01, 0x02, 0x04, 0x08 };

/* ---- engine selection ------------------------------------------------------ */

/* -1 not decided yet, 0 OpenSSL, 1 AES-NI. Decided once, lazily. */
static atomic_int engine = -1;

static int detect_aesni(void)
{
	const char *no = getenv("OM_NO_AESNI");
	if (no && strcmp(no, "1") == 0)
		return 0;
#if OM_HAVE_X86
	return __builtin_cpu_supports("aes") && __builtin_cpu_supports("sse2");
#else
	return 0;
#endif
}

static int use_aesni(void)
{
	int e = atomic_load(&engine);
	if (e < 0) {
		e = detect_aesni();
		atomic_store(&engine, e);
	}
	return e;
}

void om_milenage_force_fallback(int force)
{
	atomic_store(&engine, force ? 0 : -1);
}

int om_milenage_uses_aesni(void)
{
	return use_aesni();
}

/* ---- OpenSSL engine -------------------------------------------------------- */

/* Fetched once: an implicit fetch per init is what makes OpenSSL 3 slow
 * (openssl/openssl#21005). Kept for the life of the process. */
static CRYPTO_ONCE fetch_once = CRYPTO_ONCE_STATIC_INIT;
static EVP_CIPHER *aes_ecb;

static void fetch_aes(void)
{
	aes_ecb = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
}

static EVP_CIPHER_CTX *evp_keyed(const uint8_t k[static OM_K_LEN])
{
	if (!CRYPTO_THREAD_run_once(&fetch_once, fetch_aes) || !aes_ecb)
		return NULL;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return NULL;
	if (EVP_EncryptInit_ex2(ctx, aes_ecb, k, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(ctx, 0) != 1) {
		EVP_CIPHER_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* ECB over whole blocks: no padding, nothing buffered, so no Final needed. */
static int evp_ecb(EVP_CIPHER_CTX *ctx, uint8_t *out, const uint8_t *in, int len)
{
	int outl = 0;
	if (EVP_EncryptUpdate(ctx, out, &outl, in, len) != 1 || outl != len)
		return OM_ECRYPTO;
	return 0;
}

/* OUT_i input block (before E_K): rot(TEMP xor OPc, r_i) xor c_i for i >= 2;
 * for OUT1, TEMP xor rot(IN1 xor OPc, r1) xor c1. */
static void evp_inputs(uint8_t blocks[][16], int n, const uint8_t temp[16], const uint8_t opc[16],
		       const uint8_t sqn[OM_SQN_LEN], const uint8_t amf[OM_AMF_LEN])
{
	uint8_t in1[16], x[16];
	memcpy(in1, sqn, 6);
	memcpy(in1 + 6, amf, 2);
	memcpy(in1 + 8, in1, 8);
	for (int j = 0; j < 16; j++)
		x[j] = in1[j] ^ opc[j];
	for (int j = 0; j < 16; j++)
		blocks[0][j] = temp[j] ^ x[(j + rot_bytes[0]) % 16];
	for (int j = 0; j < 16; j++)
		x[j] = temp[j] ^ opc[j];
	for (int i = 1; i < n; i++) {
		for (int j = 0; j < 16; j++)
			blocks[i][j] = x[(j + rot_bytes[i]) % 16];
		blocks[i][15] ^= c_last[i];
	}
	OPENSSL_cleanse(x, sizeof(x));
}

static int evp_milenage(const struct om_milenage *m, const uint8_t rand[16], const uint8_t sqn[6],
			const uint8_t amf[2], uint8_t out[5][16], int n)
{
	uint8_t temp[16], blocks[5][16];
	int err;
	for (int j = 0; j < 16; j++)
		temp[j] = rand[j] ^ m->opc[j];
	if ((err = evp_ecb(m->evp, temp, temp, 16)) < 0)
		goto out;
	evp_inputs(blocks, n, temp, m->opc, sqn, amf);
	if ((err = evp_ecb(m->evp, out[0], blocks[0], 16 * n)) < 0)
		goto out;
	for (int i = 0; i < n; i++)
		for (int j = 0; j < 16; j++)
			out[i][j] ^= m->opc[j];
out:
	OPENSSL_cleanse(temp, sizeof(temp));
	OPENSSL_cleanse(blocks, sizeof(blocks));
	return err;
}

/* ---- AES-NI engine --------------------------------------------------------- */

#if OM_HAVE_X86
AESNI static __m128i expand_step(__m128i key, __m128i assist)
{
	assist = _mm_shuffle_epi32(assist, 0xff);
	key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
	key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
	key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
	return _mm_xor_si128(key, assist);
}

/* FIPS 197 5.2 key expansion; the round constant must be an immediate. */
#define EXPAND(i, rcon) rk[i] = expand_step(rk[i - 1], _mm_aeskeygenassist_si128(rk[i - 1], rcon))

AESNI static void aesni_expand(uint8_t out[11 * 16], const uint8_t k[16])
{
	__m128i rk[11];
	rk[0] = _mm_loadu_si128((const __m128i *)k);
	EXPAND(1, 0x01);
	EXPAND(2, 0x02);
	EXPAND(3, 0x04);
	EXPAND(4, 0x08);
	EXPAND(5, 0x10);
	EXPAND(6, 0x20);
	EXPAND(7, 0x40);
	EXPAND(8, 0x80);
	EXPAND(9, 0x1b);
	EXPAND(10, 0x36);
	for (int i = 0; i < 11; i++)
		_mm_store_si128((__m128i *)(out + 16 * i), rk[i]);
	OPENSSL_cleanse(rk, sizeof(rk));
}
#undef EXPAND

AESNI static __m128i aesni_enc1(const uint8_t rk[11 * 16], __m128i b)
{
	b = _mm_xor_si128(b, _mm_load_si128((const __m128i *)rk));
	for (int r = 1; r < 10; r++)
		b = _mm_aesenc_si128(b, _mm_load_si128((const __m128i *)(rk + 16 * r)));
	return _mm_aesenclast_si128(b, _mm_load_si128((const __m128i *)(rk + 160)));
}

/* n independent blocks, round by round, so the AES unit pipelines them. */
AESNI static void aesni_encn(const uint8_t rk[11 * 16], __m128i *b, int n)
{
	__m128i k = _mm_load_si128((const __m128i *)rk);
	for (int i = 0; i < n; i++)
		b[i] = _mm_xor_si128(b[i], k);
	for (int r = 1; r < 10; r++) {
		k = _mm_load_si128((const __m128i *)(rk + 16 * r));
		for (int i = 0; i < n; i++)
			b[i] = _mm_aesenc_si128(b[i], k);
	}
	k = _mm_load_si128((const __m128i *)(rk + 160));
	for (int i = 0; i < n; i++)
		b[i] = _mm_aesenclast_si128(b[i], k);
}

/* Rotations of a big-endian byte string by 4, 8, 12 bytes are 32-bit lane
 * shuffles: byte j of the result is byte j + r of the input. */
#define ROT32 _MM_SHUFFLE(0, 3, 2, 1)
#define ROT64 _MM_SHUFFLE(1, 0, 3, 2)
#define ROT96 _MM_SHUFFLE(2, 1, 0, 3)
/* c_i xor: the constant sits in byte 15, the top byte of lane 3. */
#define C_LAST(v) _mm_set_epi32((int)((uint32_t)(v) << 24), 0, 0, 0)

AESNI static void aesni_milenage(const struct om_milenage *m, const uint8_t rand[16],
				 const uint8_t sqn[6], const uint8_t amf[2], uint8_t out[5][16], int n)
{
	uint8_t in1b[16];
	memcpy(in1b, sqn, 6);
	memcpy(in1b + 6, amf, 2);
	memcpy(in1b + 8, in1b, 8);

	__m128i opc = _mm_loadu_si128((const __m128i *)m->opc);
	__m128i temp = aesni_enc1(m->rk, _mm_xor_si128(_mm_loadu_si128((const __m128i *)rand), opc));
	__m128i in1 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)in1b), opc);
	__m128i t = _mm_xor_si128(temp, opc);
	__m128i b[5];
	b[0] = _mm_xor_si128(temp, _mm_shuffle_epi32(in1, ROT64));
	b[1] = _mm_xor_si128(t, C_LAST(0x01));
	b[2] = _mm_xor_si128(_mm_shuffle_epi32(t, ROT32), C_LAST(0x02));
	b[3] = _mm_xor_si128(_mm_shuffle_epi32(t, ROT64), C_LAST(0x04));
	b[4] = _mm_xor_si128(_mm_shuffle_epi32(t, ROT96), C_LAST(0x08));
	aesni_encn(m->rk, b, n);
	for (int i = 0; i < n; i++)
		_mm_storeu_si128((__m128i *)out[i], _mm_xor_si128(b[i], opc));
}
#endif

/* ---- the API --------------------------------------------------------------- */

/* OUT1..OUTn of TS 35.206 4.1 into out; n is 4 or 5. */
static int milenage_outs(const struct om_milenage *m, const uint8_t rand[16], const uint8_t sqn[6],
			 const uint8_t amf[2], uint8_t out[5][16], int n)
{
	if (m->evp)
		return evp_milenage(m, rand, sqn, amf, out, n);
#if OM_HAVE_X86
	aesni_milenage(m, rand, sqn, amf, out, n);
	return 0;
#else
	return OM_EINVAL; /* never initialised: init always keys an EVP context here */
#endif
}

/* One E_K block with a throw-away key schedule (OPc derivation only). */
static int encrypt_once(uint8_t out[16], const uint8_t k[16], const uint8_t in[16])
{
#if OM_HAVE_X86
	if (use_aesni()) {
		_Alignas(16) uint8_t rk[11 * 16];
		aesni_expand(rk, k);
		_mm_storeu_si128((__m128i *)out, aesni_enc1(rk, _mm_loadu_si128((const __m128i *)in)));
		OPENSSL_cleanse(rk, sizeof(rk));
		return 0;
	}
#endif
	EVP_CIPHER_CTX *ctx = evp_keyed(k);
	if (!ctx)
		return OM_ECRYPTO;
	int err = evp_ecb(ctx, out, in, 16);
	EVP_CIPHER_CTX_free(ctx);
	return err;
}

int om_milenage_opc(uint8_t opc[static OM_OPC_LEN], const uint8_t k[static OM_K_LEN],
		    const uint8_t op[static OM_OP_LEN])
{
	uint8_t e[16];
	int err = encrypt_once(e, k, op);
	if (err < 0)
		goto out;
	for (int j = 0; j < 16; j++)
		opc[j] = op[j] ^ e[j];
out:
	OPENSSL_cleanse(e, sizeof(e));
	return err;
}

int om_milenage_init(struct om_milenage *m, const uint8_t k[static OM_K_LEN],
		     const uint8_t opc[static OM_OPC_LEN])
{
	if (!m)
		return OM_EINVAL;
	memset(m, 0, sizeof(*m));
	memcpy(m->opc, opc, OM_OPC_LEN);
#if OM_HAVE_X86
	if (use_aesni()) {
		aesni_expand(m->rk, k);
		return 0;
	}
#endif
	m->evp = evp_keyed(k);
	if (!m->evp) {
		OPENSSL_cleanse(m->opc, sizeof(m->opc));
		return OM_ECRYPTO;
	}
	return 0;
}

void om_milenage_clear(struct om_milenage *m)
{
	if (!m)
		return;
	EVP_CIPHER_CTX_free(m->evp); /* cleanses OpenSSL's copy of the schedule */
	OPENSSL_cleanse(m, sizeof(*m));
	m->evp = NULL;
}

/* OUT1..OUT4 (n = 4), or OUT1..OUT5 with AK* too (n = 5), into out; constant n folds when inlined. */
static inline int milenage_out(const struct om_milenage *m, const uint8_t rand[static OM_RAND_LEN],
			       const uint8_t sqn[static OM_SQN_LEN], const uint8_t amf[static OM_AMF_LEN],
			       struct om_milenage_out *out, int n)
{
	uint8_t o[5][16];
	int err;
	if (!m || !out)
		return OM_EINVAL;
	if ((err = milenage_outs(m, rand, sqn, amf, o, n)) < 0)
		goto out;
	/* TS 35.206 4.1: MAC-A || MAC-S = OUT1, AK = OUT2[0..47], RES = OUT2[64..127] */
	memcpy(out->mac_a, o[0], 8);
	memcpy(out->mac_s, o[0] + 8, 8);
	memcpy(out->ak, o[1], 6);
	memcpy(out->res, o[1] + 8, 8);
	memcpy(out->ck, o[2], 16);
	memcpy(out->ik, o[3], 16);
	if (n == 5)
		memcpy(out->ak_s, o[4], 6); /* AK* = OUT5[0..47] */
out:
	OPENSSL_cleanse(o, sizeof(o));
	return err;
}

int om_milenage_f1_f5(const struct om_milenage *m, const uint8_t rand[static OM_RAND_LEN],
		      const uint8_t sqn[static OM_SQN_LEN], const uint8_t amf[static OM_AMF_LEN],
		      struct om_milenage_out *out)
{
	return milenage_out(m, rand, sqn, amf, out, 4);
}

int om_milenage_all(const struct om_milenage *m, const uint8_t rand[static OM_RAND_LEN],
		    const uint8_t sqn[static OM_SQN_LEN], const uint8_t amf[static OM_AMF_LEN],
		    struct om_milenage_out *out)
{
	return milenage_out(m, rand, sqn, amf, out, 5);
}

int om_milenage_f1s_f5s(const struct om_milenage *m, const uint8_t rand[static OM_RAND_LEN],
			const uint8_t sqn[static OM_SQN_LEN], const uint8_t amf[static OM_AMF_LEN],
			uint8_t mac_s[OM_MAC_LEN], uint8_t ak_s[OM_AK_LEN])
{
	uint8_t o[5][16];
	int err;
	if (!m)
		return OM_EINVAL;
	/* OUT2..OUT4 come along for free: the five blocks run in parallel. */
	if ((err = milenage_outs(m, rand, sqn, amf, o, 5)) < 0)
		goto out;
	if (mac_s)
		memcpy(mac_s, o[0] + 8, 8);
	if (ak_s)
		memcpy(ak_s, o[4], 6);
out:
	OPENSSL_cleanse(o, sizeof(o));
	return err;
}
