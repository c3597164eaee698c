/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One end's EPS NAS security context and the security-protected NAS message
 * (TS 24.301 4.4, 9.1, 9.3.1): protect on send, check and open on receipt.
 * Both the MME (vno/mme.c) and the device (lib/nas/radio_ue.c) use these
 * functions, so the two ends share one implementation of the format.
 *
 *   octet 0     security header type (bits 8..5) | PD 7
 *   octets 1-4  NAS-MAC: 128-EIA2 over octets 5.. with the NAS COUNT
 *   octet 5     SQN: the low octet of the NAS COUNT
 *   octets 6..  the plain NAS message, ciphered for types 2 and 4
 */
#include <string.h>

#include <openssl/crypto.h>

#include <openmcim/nas.h>
#include <openmcim/nas_sec.h>

int om_nas_ctx_init(struct om_nas_ctx *c, const uint8_t kasme[static OM_KASME_LEN], uint8_t eea, uint8_t eia,
		    uint8_t ksi, uint8_t tx_dir)
{
	struct om_kdf kdf;
	int err;
	if (!c || !kasme || tx_dir > 1 || ksi > 0xf)
		return OM_EINVAL;
	memset(c, 0, sizeof(*c));
	/* TS 33.401 5.1.4.2: EIA0 only for unauthenticated emergency calls, which the lab has none of. */
	if (eia != OM_NAS_EIA2 || (eea != OM_NAS_EEA0 && eea != OM_NAS_EEA2))
		return OM_ENAS_SMC;
	if ((err = om_kdf_init(&kdf)))
		return err;
	err = om_nas_alg_key(&kdf, c->k_int, kasme, OM_NAS_ALG_INT, eia);
	if (!err)
		err = om_nas_alg_key(&kdf, c->k_enc, kasme, OM_NAS_ALG_ENC, eea);
	om_kdf_clear(&kdf);
	if (!err)
		err = om_nas_sec_init(&c->alg);
	if (err) {
		om_nas_ctx_clear(c);
		return err;
	}
	c->eea = eea;
	c->eia = eia;
	c->ksi = ksi;
	c->tx_dir = tx_dir;
	c->active = 1;
	return 0;
}

void om_nas_ctx_clear(struct om_nas_ctx *c)
{
	if (!c)
		return;
	om_nas_sec_clear(&c->alg);
	OPENSSL_cleanse(c, sizeof(*c));
}

int om_nas_sht(const uint8_t *pdu, size_t len)
{
	if (!pdu || !len)
		return OM_ENAS_TRUNCATED;
	if ((pdu[0] & 0xf) != OM_NAS_PD_EMM)
		return OM_ENAS_PD;
	return pdu[0] >> 4;
}

static int ciphered(uint8_t sht)
{
	return sht == OM_NAS_SHT_INT_ENC || sht == OM_NAS_SHT_INT_ENC_NEW;
}

/* EEA0 is the identity (TS 33.401 5.1.3.2); 128-EEA2 with bearer 0 (8.2). */
static int cipher(struct om_nas_ctx *c, uint8_t *out, const uint8_t *in, size_t n, uint32_t count, uint8_t dir)
{
	if (c->eea == OM_NAS_EEA0) {
		memmove(out, in, n);
		return 0;
	}
	return om_eea2(&c->alg, out, c->k_enc, count, OM_NAS_BEARER, dir, in, n * 8);
}

int om_nas_protect(struct om_nas_ctx *c, uint8_t *out, size_t cap, uint8_t sht, const uint8_t *plain, size_t n)
{
	int err;
	if (!c || !c->active || !out || !plain || sht < OM_NAS_SHT_INT || sht > OM_NAS_SHT_INT_ENC_NEW)
		return OM_EINVAL;
	if (c->tx_count > 0xffffff)
		return OM_EINVAL; /* TS 33.401 7.2.4.4 would need a new KASME: never reached in a lab attach */
	if (n > cap || cap - n < OM_NAS_SEC_HDR_LEN || n > 0x7fffffff)
		return OM_ENOSPC;
	out[0] = (uint8_t)(sht << 4 | OM_NAS_PD_EMM);
	out[5] = (uint8_t)c->tx_count;
	if (ciphered(sht))
		err = cipher(c, out + OM_NAS_SEC_HDR_LEN, plain, n, c->tx_count, c->tx_dir);
	else
		err = (memmove(out + OM_NAS_SEC_HDR_LEN, plain, n), 0);
	if (!err)
		err = om_nas_mac_seal(&c->alg, out, OM_NAS_SEC_HDR_LEN + n, c->k_int, c->tx_count, c->tx_dir);
	if (err) {
		OPENSSL_cleanse(out, OM_NAS_SEC_HDR_LEN + n);
		return err;
	}
	c->tx_count++;
	return (int)(OM_NAS_SEC_HDR_LEN + n);
}

int om_nas_unprotect(struct om_nas_ctx *c, uint8_t *out, size_t cap, uint8_t *sht, const uint8_t *pdu, size_t len)
{
	if (!c || !c->active || !out || !sht)
		return OM_EINVAL;
	int t = om_nas_sht(pdu, len);
	if (t < 0)
		return t;
	if (t == OM_NAS_SHT_PLAIN)
		return OM_ENAS_UNPROTECTED;
	if (t > OM_NAS_SHT_INT_ENC_NEW)
		return OM_ENAS_SECURITY; /* 12 (service request) and reserved values */
	if (len < OM_NAS_SEC_HDR_LEN + 2)
		return OM_ENAS_TRUNCATED; /* a protected message holds at least a plain header */
	size_t n = len - OM_NAS_SEC_HDR_LEN;
	if (n > cap)
		return OM_ENOSPC;
	uint8_t rx_dir = c->tx_dir ^ 1;
	uint32_t count = om_nas_count_estimate(&c->rx, pdu[5]);
	int err = om_nas_mac_verify(&c->alg, pdu, len, c->k_int, count, rx_dir);
	if (err)
		return err;
	/* Accept the COUNT only after the MAC verified: a forged SQN moves nothing (TS 33.401 8.1). */
	struct om_nas_count_state before = c->rx;
	if ((err = om_nas_count_accept(&c->rx, count)))
		return err;
	if (ciphered((uint8_t)t))
		err = cipher(c, out, pdu + OM_NAS_SEC_HDR_LEN, n, count, rx_dir);
	else
		memcpy(out, pdu + OM_NAS_SEC_HDR_LEN, n);
	if (err) {
		c->rx = before;
		OPENSSL_cleanse(out, n);
		return err;
	}
	*sht = (uint8_t)t;
	return (int)n;
}

int om_nas_ue_kasme(uint8_t kasme[static OM_KASME_LEN], const uint8_t ck[static 16], const uint8_t ik[static 16],
		    const uint8_t snid[static OM_SNID_LEN], const uint8_t autn[static 16])
{
	struct om_kdf kdf;
	if (!kasme || !ck || !ik || !snid || !autn)
		return OM_EINVAL;
	int err = om_kdf_init(&kdf);
	if (!err)
		err = om_kdf_kasme(&kdf, kasme, ck, ik, snid, autn); /* AUTN opens with SQN xor AK (TS 33.102 6.3.2) */
	else
		memset(kasme, 0, OM_KASME_LEN);
	om_kdf_clear(&kdf);
	return err;
}
