/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One TRE on the line (B.2.2.1): "a TRE is initialized with an asymmetric
 * key pair ... additionally a corresponding certificate signing request is
 * created"; with the note on two key pairs, a signing pair and an
 * encryption pair, and one CSR signed with the first that carries the
 * second (docs/pki.md). The PVA's CA turns the CSR into Cert_TRE
 * (TRE_SIGNING and TRE_ENCRYPTION); "the certificate is inserted into the
 * TRE, together with the corresponding key pair", with Cert_SHO[0] as
 * trust root and the network-access credentials {PCID, K} shared with the
 * RO. The private keys never leave this function except into the TRE; with
 * a TPM they are made in it and never leave it at all.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <openmcim/milenage.h>

#include "factory_impl.h"

void factory_device_clear(struct factory_device *d)
{
	if (!d)
		return;
	om_mcim_clear(&d->pcid);
	OPENSSL_cleanse(d->claim, sizeof(d->claim));
	OPENSSL_cleanse(d->ku, sizeof(d->ku));
	om_pki_free(d->sign_der, d->sign_len);
	om_pki_free(d->enc_der, d->enc_len);
	om_pki_free(d->ak_der, d->ak_len);
	free(d->ak_blob);
	memset(d, 0, sizeof(*d));
}

/* The PCID credential {PCID, K} with OPc (B.2.2.1, B.2.2.2). */
static int make_pcid(const struct factory_run *run, uint64_t i, struct om_mcim *m)
{
	memset(m, 0, sizeof(*m));
	factory_pcid_imsi(&run->pcid, i, m->imsi);
	m->mnc_len = run->pcid.mnc_len;
	m->algorithm = OM_MCIM_ALG_MILENAGE;
	memcpy(m->apn, run->apn, strlen(run->apn) + 1);
	m->present = OM_MCIM_HAS_AMF;
	m->amf[0] = 0x80; /* E-UTRAN separation bit (TS 33.401 6.1.1) */
	m->amf[1] = 0x00;
	if (RAND_priv_bytes(m->k, sizeof(m->k)) != 1)
		return OM_ERANDOM;
	if (run->have_op)
		return om_milenage_opc(m->opc, m->k, run->op);
	return RAND_priv_bytes(m->opc, sizeof(m->opc)) == 1 ? 0 : OM_ERANDOM;
}

/*
 * The synthetic credential instead (Alternative 3, spec/000 5.2.4.6.3 step 1):
 * a fresh Ku and f(Ku). A Ku whose IMSI another device of the run has is
 * drawn again; with the range at most half full (config.c) 32 draws all
 * colliding is below 2^-32, and then the run fails rather than give one
 * IMSI twice.
 */
static int make_synthetic(const struct factory_run *run, struct factory_device *d)
{
	for (int tries = 0; tries < 32; tries++) {
		if (RAND_priv_bytes(d->ku, sizeof(d->ku)) != 1)
			return OM_ERANDOM;
		int rc = om_synth_derive(d->ku, &run->synth, &d->pcid, d->verifier);
		if (rc < 0)
			return rc;
		memcpy(d->pcid.apn, run->apn, strlen(run->apn) + 1);
		if (factory_imsi_take(run->imsis, d->pcid.imsi))
			return 0;
		om_mcim_clear(&d->pcid);
	}
	return OM_EFACTORY_PCID_RANGE;
}

/*
 * With a TPM, the attestation key made in the same TPM, on the line, and
 * certified by the PVA's CA as TRE_ATTESTATION (docs/decisions.md: the
 * factory vouches for it as it does for the CSR of PrK_TRE made there).
 */
static int make_ak(const struct factory_run *run, const struct om_tre_backend *be, struct factory_device *d)
{
	EVP_PKEY *ak = NULL;
	if (be->kind != OM_TRE_BACKEND_TPM)
		return 0;
	int rc = om_tre_ak_create(be, &ak, &d->ak_blob, &d->ak_blob_len);
	if (!rc)
		rc = om_ca_issue_ak(run->ca, ak, d->tre_id, &d->ak_der, &d->ak_len);
	EVP_PKEY_free(ak);
	return rc;
}

static int device_make(const struct factory_run *run, uint64_t i, struct factory_device *d)
{
	EVP_PKEY *sign = NULL, *enc = NULL;
	X509_REQ *csr = NULL;
	struct om_tre_backend be;
	char tcti[256];
	uint8_t verifier[OM_CLAIM_LEN];
	int rc;

	if (!run || !d)
		return OM_EINVAL;
	memset(d, 0, sizeof(*d));
	factory_tre_id(run, i, d->tre_id);
	/* with a TPM, both made inside it and the CSR signed there (om_tre_key_generate) */
	if ((rc = factory_device_backend(run, d->tre_id, &be, tcti)) < 0 ||
	    (rc = om_tre_key_generate(&be, OM_KEY_EC_P256, &sign)) < 0 ||
	    (rc = om_tre_key_generate(&be, run->enc_key, &enc)) < 0 ||
	    (rc = om_csr_create(&csr, sign, d->tre_id, enc)) < 0 ||
	    /* the TPM's objects flushed: the TRE keeps their blobs */
	    (rc = om_tre_key_release(&sign)) < 0 || (rc = om_tre_key_release(&enc)) < 0 ||
	    /* the buyer's claim secret and what Cert_TRE commits to (claim.h) */
	    (rc = om_claim_derive(run->claim_key, d->tre_id, 0, verifier)) < 0 ||
	    (rc = om_claim_derive(run->claim_key, d->tre_id, 1, d->claim)) < 0 ||
	    (rc = om_ca_issue_tre_claimed(run->ca, csr, d->tre_id, 0, 0, verifier, &d->sign_der, &d->sign_len,
					  &d->enc_der, &d->enc_len)) < 0 ||
	    (rc = run->synthetic ? make_synthetic(run, d) : make_pcid(run, i, &d->pcid)) < 0 ||
	    (rc = make_ak(run, &be, d)) < 0 ||
	    (rc = factory_personalise(run, d, sign, enc)) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		factory_device_clear(d);
	X509_REQ_free(csr);
	om_key_free(sign); /* OpenSSL cleanses private key material on free; a TPM key's blob goes too */
	om_key_free(enc);
	return rc;
}

/*
 * One TPM for the whole run (a TCTI without "{tre_id}", as on a bench):
 * devices are made one at a time, since a TPM holds three loaded objects
 * and each worker needs up to two (its live keys, or the SRK and the
 * sealed object).
 */
static pthread_mutex_t shared_tpm = PTHREAD_MUTEX_INITIALIZER;

int factory_device_make(const struct factory_run *run, uint64_t i, struct factory_device *d)
{
	int shared = run && run->tre.kind == OM_TRE_BACKEND_TPM &&
		     (!run->tre.tpm_tcti || !strstr(run->tre.tpm_tcti, "{tre_id}"));
	if (shared)
		pthread_mutex_lock(&shared_tpm);
	int rc = device_make(run, i, d);
	if (shared)
		pthread_mutex_unlock(&shared_tpm);
	return rc;
}
