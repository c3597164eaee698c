/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NAS security algorithms (TS 33.401 A.7, B.1.3, B.2.3) and the NAS-MAC of
 * a protected message (TS 24.301 4.4, 9.5). AES, CMAC and CTR come from
 * OpenSSL; what is ours is the input layout the annexes fix. The one piece
 * of CMAC written here is the final block for a message whose length is
 * not a whole number of octets (EIA2 test sets 1, 3, 4, 6, 7): OpenSSL's
 * CMAC takes octets only, so that case runs NIST SP 800-38B 6.2 over
 * OpenSSL's AES-128-CBC. NAS messages are whole octets and take EVP_MAC.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <openmcim/be.h>
#include <openmcim/nas_sec.h>

#define BLK 16

int om_nas_sec_init(struct om_nas_sec *s)
{
	if (!s)
		return OM_EINVAL;
	memset(s, 0, sizeof(*s));
	char cipher[] = "AES-128-CBC";
	OSSL_PARAM p[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher, 0),
			   OSSL_PARAM_construct_end() };
	s->mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
	s->mac_ctx = s->mac ? EVP_MAC_CTX_new(s->mac) : NULL;
	s->ctr = EVP_CIPHER_fetch(NULL, "AES-128-CTR", NULL);
	s->cbc = EVP_CIPHER_fetch(NULL, "AES-128-CBC", NULL);
	s->cctx = EVP_CIPHER_CTX_new();
	if (!s->mac_ctx || !s->ctr || !s->cbc || !s->cctx || EVP_MAC_CTX_set_params(s->mac_ctx, p) != 1) {
		om_nas_sec_clear(s);
		return OM_ECRYPTO;
	}
	return 0;
}

void om_nas_sec_clear(struct om_nas_sec *s)
{
	if (!s)
		return;
	EVP_MAC_CTX_free(s->mac_ctx);
	EVP_MAC_free(s->mac);
	EVP_CIPHER_CTX_free(s->cctx);
	EVP_CIPHER_free(s->ctr);
	EVP_CIPHER_free(s->cbc);
	memset(s, 0, sizeof(*s));
}

int om_nas_alg_key(struct om_kdf *kdf, uint8_t key[static OM_NAS_KEY_LEN],
		   const uint8_t kasme[static OM_KASME_LEN], enum om_nas_alg_type type, uint8_t alg_id)
{
	uint8_t p0 = (uint8_t)type, out[OM_KDF_LEN];
	const struct om_kdf_param params[] = { { &p0, 1 }, { &alg_id, 1 } };
	int err = OM_EINVAL;
	if (type == OM_NAS_ALG_ENC || type == OM_NAS_ALG_INT)
		err = om_kdf_derive(kdf, out, kasme, OM_KASME_LEN, OM_NAS_FC_ALG_KEY, params, 2);
	if (err == 0)
		memcpy(key, out + OM_KDF_LEN - OM_NAS_KEY_LEN, OM_NAS_KEY_LEN); /* 128 LSBs, A.7 */
	else
		memset(key, 0, OM_NAS_KEY_LEN);
	OPENSSL_cleanse(out, sizeof(out));
	return err;
}

/* COUNT || BEARER || DIRECTION || 0^26 (B.1.3, B.2.3), then zeros to a block. */
static void iv_block(uint8_t b[BLK], uint32_t count, uint8_t bearer, uint8_t direction)
{
	memset(b, 0, BLK);
	om_be_put(b, count, 4);
	b[4] = (uint8_t)((bearer & 0x1f) << 3 | (direction & 1) << 2);
}

static int eia2_octets(struct om_nas_sec *s, uint8_t tag[BLK], const uint8_t key[OM_NAS_KEY_LEN],
		       const uint8_t hdr[8], const uint8_t *msg, size_t len)
{
	size_t tl = 0;
	if (EVP_MAC_init(s->mac_ctx, key, OM_NAS_KEY_LEN, NULL) != 1 ||
	    EVP_MAC_update(s->mac_ctx, hdr, 8) != 1 || (len && EVP_MAC_update(s->mac_ctx, msg, len) != 1) ||
	    EVP_MAC_final(s->mac_ctx, tag, &tl, BLK) != 1 || tl != BLK)
		return OM_ECRYPTO;
	return 0;
}

/* Multiply by x in GF(2^128) (SP 800-38B 6.1 subkey generation). */
static void dbl(uint8_t out[BLK], const uint8_t in[BLK])
{
	uint8_t carry = in[0] >> 7;
	for (int i = 0; i < BLK - 1; i++)
		out[i] = (uint8_t)(in[i] << 1 | in[i + 1] >> 7);
	out[BLK - 1] = (uint8_t)(in[BLK - 1] << 1 ^ (carry ? 0x87 : 0));
}

/* Octet i of header || message. */
static uint8_t at(const uint8_t hdr[8], const uint8_t *msg, size_t i)
{
	return i < 8 ? hdr[i] : msg[i - 8];
}

/*
 * CMAC over a bit string of 64 + bits bits (SP 800-38B 6.2): CBC-MAC with
 * the last block xored with K1 if complete, or padded 1 0* and xored with K2.
 */
static int eia2_bits(struct om_nas_sec *s, uint8_t tag[BLK], const uint8_t key[OM_NAS_KEY_LEN],
		     const uint8_t hdr[8], const uint8_t *msg, size_t bits)
{
	uint8_t zero[BLK] = { 0 }, l[BLK], k1[BLK], k2[BLK], blk[BLK], out[BLK];
	size_t total = 64 + bits, nblk = (total + 127) / 128;
	int outl, err = OM_ECRYPTO;
	if (EVP_EncryptInit_ex2(s->cctx, s->cbc, key, zero, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(s->cctx, 0) != 1 ||
	    EVP_EncryptUpdate(s->cctx, l, &outl, zero, BLK) != 1)
		goto out;
	dbl(k1, l);
	dbl(k2, k1);
	if (EVP_EncryptInit_ex2(s->cctx, s->cbc, key, zero, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(s->cctx, 0) != 1)
		goto out;
	for (size_t b = 0; b < nblk; b++) {
		size_t first = b * 128, left = total - first; /* bits from this block on */
		for (size_t i = 0; i < BLK; i++) {
			size_t bit = first + 8 * i;
			if (bit + 8 <= total)
				blk[i] = at(hdr, msg, bit / 8);
			else if (bit < total) /* a partial octet, then the padding bit */
				blk[i] = (uint8_t)((at(hdr, msg, bit / 8) & (0xff00 >> (total - bit))) |
						   (0x80 >> (total - bit)));
			else
				blk[i] = bit == total ? 0x80 : 0;
		}
		if (b == nblk - 1)
			for (size_t i = 0; i < BLK; i++)
				blk[i] ^= left == 128 ? k1[i] : k2[i];
		if (EVP_EncryptUpdate(s->cctx, out, &outl, blk, BLK) != 1)
			goto out;
	}
	memcpy(tag, out, BLK);
	err = 0;
out:
	OPENSSL_cleanse(l, sizeof(l));
	OPENSSL_cleanse(k1, sizeof(k1));
	OPENSSL_cleanse(k2, sizeof(k2));
	OPENSSL_cleanse(blk, sizeof(blk));
	OPENSSL_cleanse(out, sizeof(out));
	return err;
}

int om_eia2(struct om_nas_sec *s, uint8_t mac[static OM_NAS_MAC_LEN],
	    const uint8_t key[static OM_NAS_KEY_LEN], uint32_t count, uint8_t bearer, uint8_t direction,
	    const uint8_t *msg, size_t bits)
{
	uint8_t hdr[BLK], tag[BLK];
	int err;
	if (!s || !s->mac_ctx || (!msg && bits) || bits > SIZE_MAX - 128)
		return OM_EINVAL;
	iv_block(hdr, count, bearer, direction);
	err = bits % 8 ? eia2_bits(s, tag, key, hdr, msg, bits) : eia2_octets(s, tag, key, hdr, msg, bits / 8);
	if (err == 0)
		memcpy(mac, tag, OM_NAS_MAC_LEN); /* MACT = the 32 most significant bits, B.2.3 */
	OPENSSL_cleanse(tag, sizeof(tag));
	return err;
}

int om_eea2(struct om_nas_sec *s, uint8_t *out, const uint8_t key[static OM_NAS_KEY_LEN], uint32_t count,
	    uint8_t bearer, uint8_t direction, const uint8_t *in, size_t bits)
{
	uint8_t iv[BLK];
	size_t len = (bits + 7) / 8;
	int outl = 0, fin = 0;
	if (!s || !s->cctx || (bits && (!in || !out)) || len > 0x7fffffff)
		return OM_EINVAL;
	iv_block(iv, count, bearer, direction);
	if (EVP_EncryptInit_ex2(s->cctx, s->ctr, key, iv, NULL) != 1 ||
	    (len && EVP_EncryptUpdate(s->cctx, out, &outl, in, (int)len) != 1) ||
	    EVP_EncryptFinal_ex(s->cctx, out + outl, &fin) != 1 || (size_t)(outl + fin) != len)
		return OM_ECRYPTO;
	if (bits % 8)
		out[len - 1] &= (uint8_t)(0xff00 >> (bits % 8)); /* B.1.3: only LENGTH bits are output */
	return 0;
}

/*
 * The NAS-MAC of a protected message: EIA2 with bearer 0 over the SQN octet
 * and the NAS message (TS 24.301 9.5), whose SQN must be count's low octet
 * (bad_sqn is returned otherwise).
 */
static int pdu_mac(struct om_nas_sec *s, uint8_t mac[OM_NAS_MAC_LEN], const uint8_t *pdu, size_t len,
		   const uint8_t k_nas_int[OM_NAS_KEY_LEN], uint32_t count, uint8_t direction, int bad_sqn)
{
	if (!pdu || len > SIZE_MAX / 8 || count > 0xffffff)
		return OM_EINVAL;
	if (len < OM_NAS_SEC_HDR_LEN)
		return OM_ENAS_TRUNCATED;
	if (pdu[5] != (uint8_t)count)
		return bad_sqn;
	return om_eia2(s, mac, k_nas_int, count, OM_NAS_BEARER, direction, pdu + 5, (len - 5) * 8);
}

int om_nas_mac_seal(struct om_nas_sec *s, uint8_t *pdu, size_t len,
		    const uint8_t k_nas_int[static OM_NAS_KEY_LEN], uint32_t count, uint8_t direction)
{
	uint8_t mac[OM_NAS_MAC_LEN];
	int err = pdu_mac(s, mac, pdu, len, k_nas_int, count, direction, OM_EINVAL);
	if (err == 0)
		memcpy(pdu + 1, mac, OM_NAS_MAC_LEN);
	return err;
}

int om_nas_mac_verify(struct om_nas_sec *s, const uint8_t *pdu, size_t len,
		      const uint8_t k_nas_int[static OM_NAS_KEY_LEN], uint32_t count, uint8_t direction)
{
	uint8_t mac[OM_NAS_MAC_LEN];
	int err = pdu_mac(s, mac, pdu, len, k_nas_int, count, direction, OM_ENAS_MAC);
	if (err < 0)
		return err;
	return CRYPTO_memcmp(mac, pdu + 1, OM_NAS_MAC_LEN) == 0 ? 0 : OM_ENAS_MAC;
}

uint32_t om_nas_count_estimate(const struct om_nas_count_state *st, uint8_t sqn)
{
	if (!st->accepted_any)
		return sqn;
	uint32_t c = (st->last & ~0xffu) | sqn;
	return c > st->last ? c : c + 0x100;
}

int om_nas_count_accept(struct om_nas_count_state *st, uint32_t count)
{
	if (!st)
		return OM_EINVAL;
	if (count > 0xffffff || (st->accepted_any && count <= st->last))
		return OM_ENAS_REPLAY;
	st->last = count;
	st->accepted_any = 1;
	return 0;
}
