/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Check a production run before any work: a bad range or a wrong
 * certificate must be refused while nothing has been written, not found
 * at device 1 (or 50,001).
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <openmcim/tre.h>

#include "factory_impl.h"

static int copy_name(char *dst, size_t cap, const char *src, const char *dflt, int spaces)
{
	const char *s = src ? src : dflt;
	int rc = factory_check_name(s, cap - 1, spaces);
	if (rc == 0)
		memcpy(dst, s, strlen(s) + 1);
	return rc;
}

/* An APN is dotted labels of [A-Za-z0-9-] (TS 23.003 9.1). */
static int check_apn(const char *apn)
{
	size_t n = strlen(apn), label = 0;
	if (n == 0 || n > OM_MCIM_APN_MAX)
		return OM_EFACTORY_NAME;
	for (size_t i = 0; i < n; i++) {
		char c = apn[i];
		if (c == '.') {
			if (label == 0)
				return OM_EFACTORY_NAME;
			label = 0;
		} else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') {
			if (++label > 63)
				return OM_EFACTORY_NAME;
		} else {
			return OM_EFACTORY_NAME;
		}
	}
	return label ? 0 : OM_EFACTORY_NAME;
}

/* Cert_SHO[0]: the profile a TRE accepts as trust root, valid now, CN = the RO's id. */
static int check_ro(struct factory_run *run, const struct om_factory_config *cfg)
{
	char cn[OM_NAME_MAX_LEN + 1];
	int rc;
	if (om_cert_check_profile(cfg->ro_cert, OM_CERT_SHO_SIGNING) != 0 &&
	    om_cert_check_profile(cfg->ro_cert, OM_CERT_ROOT_CA) != 0)
		return OM_EFACTORY_RO_CERT;
	if (X509_cmp_current_time(X509_get0_notBefore(cfg->ro_cert)) >= 0)
		return OM_EPKI_NOT_YET_VALID;
	if (X509_cmp_current_time(X509_get0_notAfter(cfg->ro_cert)) <= 0)
		return OM_EPKI_EXPIRED;
	if ((rc = om_cert_subject_cn(cfg->ro_cert, cn)) < 0)
		return OM_EFACTORY_RO_CERT;
	if (cfg->ro_id && strcmp(cfg->ro_id, cn) != 0)
		return OM_EFACTORY_RO_CERT;
	if ((rc = copy_name(run->ro_id, sizeof(run->ro_id), cn, NULL, 1)) < 0 ||
	    (rc = copy_name(run->owner_sho, sizeof(run->owner_sho), cfg->owner_sho, cn, 1)) < 0)
		return rc;
	return om_cert_encode(cfg->ro_cert, OM_ENC_DER, &run->ro_der, &run->ro_der_len);
}

int factory_run_setup(struct factory_run *run, const struct om_factory_config *cfg)
{
	int rc;
	if (!run || !cfg || !cfg->pva_ca || !cfg->ro_cert || cfg->n_devices == 0)
		return OM_EINVAL;
	memset(run, 0, sizeof(*run));
	run->ca = cfg->pva_ca;
	run->n_devices = cfg->n_devices;
	run->first_serial = cfg->first_serial ? cfg->first_serial : 1;
	run->tre = cfg->tre;
	/* PrK_TRE made in a TPM or a token: P-256, their curve for ECDH (X25519 is none of a TPM's) */
	int in_hw = run->tre.kind == OM_TRE_BACKEND_TPM || run->tre.kind == OM_TRE_BACKEND_PKCS11;
	run->enc_key = cfg->enc_key ? cfg->enc_key : in_hw ? OM_KEY_EC_P256 : OM_KEY_X25519;
	run->tre_flags = (cfg->flags & OM_FACTORY_FSYNC) ? 0 : OM_TRE_NO_FSYNC;
	if (run->enc_key != OM_KEY_X25519 && run->enc_key != OM_KEY_EC_P256 && run->enc_key != OM_KEY_RSA_2048)
		return OM_EINVAL;
	if (in_hw && run->enc_key != OM_KEY_EC_P256)
		return OM_EINVAL;
	if (run->tre.kind < OM_TRE_BACKEND_SOFT || run->tre.kind > OM_TRE_BACKEND_PKCS11 ||
	    (run->tre.kind == OM_TRE_BACKEND_PKCS11 && (!run->tre.p11_module || !run->tre.p11_token || !run->tre.p11_pin)))
		return OM_EINVAL;
	run->synthetic = cfg->synth_count != 0;
	if ((rc = factory_pcid_range(&run->pcid, cfg->mcc, cfg->mnc, cfg->msin_first, run->synthetic ? 1 : cfg->n_devices)) < 0)
		goto fail;
	/* f(Ku) draws IMSIs at random: a range at most half full keeps redraws rare (device.c) */
	if (run->synthetic &&
	    (om_synth_range_set(&run->synth, cfg->mcc, cfg->mnc, cfg->msin_first, cfg->synth_count) < 0 ||
	     cfg->synth_count / 2 < cfg->n_devices)) {
		rc = OM_EFACTORY_PCID_RANGE;
		goto fail;
	}
	if (
	    (rc = factory_serial_range(run->first_serial, cfg->n_devices)) < 0 ||
	    (rc = copy_name(run->prefix, sizeof(run->prefix), cfg->tre_prefix, OM_FACTORY_DEFAULT_PREFIX, 0)) < 0 ||
	    (rc = copy_name(run->model, sizeof(run->model), cfg->model, OM_FACTORY_DEFAULT_MODEL, 0)) < 0 ||
	    (rc = copy_name(run->firmware, sizeof(run->firmware), cfg->firmware, OM_FACTORY_DEFAULT_FIRMWARE,
			    0)) < 0)
		goto fail;
	const char *apn = cfg->apn ? cfg->apn : OM_FACTORY_DEFAULT_APN;
	if ((rc = check_apn(apn)) < 0)
		goto fail;
	memcpy(run->apn, apn, strlen(apn) + 1);
	if (cfg->op) {
		run->have_op = 1;
		memcpy(run->op, cfg->op, sizeof(run->op));
	}
	if (cfg->claim_key) {
		memcpy(run->claim_key, cfg->claim_key, sizeof(run->claim_key));
	} else if (RAND_priv_bytes(run->claim_key, sizeof(run->claim_key)) != 1) {
		rc = OM_ERANDOM;
		goto fail;
	} else {
		run->claim_key_fresh = 1;
	}
	if ((rc = om_factory_measurements(run->model, run->firmware, run->meas)) < 0 ||
	    (rc = check_ro(run, cfg)) < 0)
		goto fail;
	return 0;
fail:
	factory_run_clear(run);
	return rc;
}

void factory_run_clear(struct factory_run *run)
{
	if (!run)
		return;
	om_pki_free(run->ro_der, run->ro_der_len);
	OPENSSL_cleanse(run, sizeof(*run));
}
