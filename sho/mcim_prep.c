/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The MCIM of a new subscription, prepared at registration (Note Y of
 * B.2.3.2): fresh K, OPc from the operator's OP (TS 35.206 4.1), the MCIM
 * TLV (mcim.h), sealed at once for the TRE's encryption key (B.2.3.6). K
 * and OPc leave this file only inside the sealed object and in the row for
 * the HSS import.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <openmcim/milenage.h>
#include <openmcim/protect.h>

#include "hss_link.h"
#include "sho_int.h"

#define SHO_PROTECT_SUITE OM_PROTECT_AES256CBC_HMACSHA256

int sho_mcim_prepare(struct sho *s, const char *imsi, X509 *enc_cert, uint8_t **sealed, size_t *sealed_len,
		     uint8_t mid[static OM_MCIM_MID_LEN], struct sho_hss_row *hss_row)
{
	struct om_mcim m;
	uint8_t tlv[OM_MCIM_ENCODED_MAX];
	uint8_t *obj = NULL;
	EVP_PKEY *puk = X509_get0_pubkey(enc_cert);
	int rc, tlv_len = 0, len;
	memset(&m, 0, sizeof(m));
	if (!puk)
		return OM_ESHO_CERT;
	if (RAND_priv_bytes(m.k, sizeof(m.k)) != 1 || RAND_bytes(mid, OM_MCIM_MID_LEN) != 1) {
		rc = OM_ERANDOM;
		goto out;
	}
	if ((rc = om_milenage_opc(m.opc, m.k, s->op)) < 0)
		goto out;
	memcpy(m.imsi, imsi, strlen(imsi) + 1);
	m.mnc_len = (uint8_t)strlen(s->mnc);
	m.algorithm = OM_MCIM_ALG_MILENAGE;
	memcpy(m.apn, s->apn, strlen(s->apn) + 1);
	m.present = OM_MCIM_HAS_AMF | OM_MCIM_HAS_IND_BITS | OM_MCIM_HAS_MID;
	memcpy(m.amf, s->amf, 2);
	m.ind_bits = (uint8_t)s->ind_bits;
	memcpy(m.mid, mid, OM_MCIM_MID_LEN);
	if ((rc = tlv_len = om_mcim_encode(&m, tlv, sizeof(tlv))) < 0)
		goto out;
	if ((rc = len = om_protect_sealed_len(puk, SHO_PROTECT_SUITE, (size_t)tlv_len)) < 0)
		goto out;
	if (!(obj = malloc((size_t)len))) {
		rc = OM_ENOMEM;
		goto out;
	}
	if ((rc = len = om_protect_seal(puk, SHO_PROTECT_SUITE, OM_PROTECT_TAG_MCIM, tlv, (size_t)tlv_len, obj,
					(size_t)len)) < 0)
		goto out;
	memcpy(hss_row->imsi, imsi, strlen(imsi) + 1);
	memcpy(hss_row->k, m.k, sizeof(m.k));
	memcpy(hss_row->opc, m.opc, sizeof(m.opc));
	memcpy(hss_row->amf, s->amf, 2);
	*sealed = obj;
	*sealed_len = (size_t)len;
	obj = NULL;
	rc = 0;
out:
	free(obj);
	om_mcim_clear(&m);
	OPENSSL_cleanse(tlv, sizeof(tlv));
	return rc;
}
