/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Platform validation (spec/004 5.2.2.5.8; B.2.3.4 II): the TRE's signed
 * M2MMobj is checked against the TRE's imported signing certificate and its
 * status, then its measurements against the reference values of its model
 * and reported firmware version. A TRE imported with an attestation key
 * certificate is a TPM: its M2MMobj must carry the TPM's quote over
 * nonceA | nonceB, checked as Keylime checks one (quote.c) against the
 * reference PCR values of the model and firmware, and its measurements are
 * the PCR's event log, replayed against the quoted value (issue 18).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "log.h"
#include "metrics.h"
#include "pva.h"
#include "pva_store.h"
#include "quote.h"

static int refuse(struct pva_verdict *v, int rc, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int refuse(struct pva_verdict *v, int rc, const char *reason, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->detail, sizeof(v->detail), fmt, ap);
	va_end(ap);
	v->rc = rc;
	v->reason = reason;
	return rc;
}

/* Every reference component reported exactly once with the same digest, and nothing else. */
static int compare(struct pva_verdict *v, const struct om_tre_info *info, const struct om_measurement *ref,
		   size_t n_ref)
{
	for (size_t i = 0; i < info->n_measurements; i++) {
		size_t j = 0;
		while (j < n_ref && strcmp(ref[j].name, info->m[i].name))
			j++;
		if (j == n_ref)
			return refuse(v, OM_EPVA_MEASUREMENT, "measurement-mismatch", "component %.63s has no reference",
				      info->m[i].name);
		for (size_t k = 0; k < i; k++)
			if (!strcmp(info->m[k].name, info->m[i].name))
				return refuse(v, OM_EPVA_MEASUREMENT, "measurement-mismatch",
					      "component %.63s reported twice", info->m[i].name);
		if (CRYPTO_memcmp(ref[j].sha256, info->m[i].sha256, 32))
			return refuse(v, OM_EPVA_MEASUREMENT, "measurement-mismatch",
				      "component %.63s differs from the reference", info->m[i].name);
	}
	for (size_t j = 0; j < n_ref; j++) {
		size_t i = 0;
		while (i < info->n_measurements && strcmp(ref[j].name, info->m[i].name))
			i++;
		if (i == info->n_measurements)
			return refuse(v, OM_EPVA_MEASUREMENT, "measurement-mismatch", "component %.63s not reported",
				      ref[j].name);
	}
	return 0;
}

static const char *quote_reason(int rc)
{
	switch (rc) {
	case OM_EPVA_QUOTE_SIGNATURE:
		return "quote-signature";
	case OM_EPVA_QUOTE_NONCE:
		return "quote-nonce";
	case OM_EPVA_QUOTE_DIGEST:
		return "quote-digest";
	case OM_EPVA_QUOTE_PCR:
		return "quote-pcr";
	default:
		return "quote";
	}
}

/* A TPM TRE: its AK certificate, the quote, then the event log against the quoted PCR. */
static int check_quote(struct pva *p, struct pva_verdict *v, const struct pva_tre *t, const struct om_tre_info *info,
		       const uint8_t na[static OM_NONCE_LEN])
{
	X509 *ak = NULL;
	uint8_t ref[OM_QUOTE_PCRS_MAX][32], nonce[2 * OM_NONCE_LEN], log[OM_MEASUREMENTS_MAX][32];
	char cn[OM_NAME_MAX_LEN + 1];
	uint32_t mask = 0;
	size_t n_ref = 0;
	int rc;

	v->quoted = 1;
	if ((rc = om_cert_decode(&ak, OM_ENC_DER, t->ak_der, t->ak_len)) < 0 ||
	    (rc = om_cert_verify(ak, p->trust, NULL, 0, OM_CERT_TRE_ATTESTATION, OM_PKI_NOW)) < 0 ||
	    (rc = om_cert_subject_cn(ak, cn)) < 0 || strcmp(cn, t->tre_id)) {
		rc = refuse(v, OM_EPVA_AK, "attestation-key", "attestation key certificate no longer valid: %s",
			    om_strerror(rc < 0 ? rc : OM_EPKI_NAME));
		goto out;
	}
	if (!info->quote.attest_len) {
		rc = refuse(v, OM_EPVA_QUOTE_MISSING, "quote-missing", "the TRE is a TPM and its M2MMobj has no quote");
		goto out;
	}
	pthread_mutex_lock(&p->lock);
	rc = pva_store_pcrs(p, info->tre_type, info->firmware_version, &mask, ref, OM_QUOTE_PCRS_MAX, &n_ref);
	pthread_mutex_unlock(&p->lock);
	if (rc < 0) {
		rc = refuse(v, rc, "internal", "storage: %s", om_strerror(rc));
		goto out;
	}
	if (n_ref == 0) {
		rc = refuse(v, OM_EPVA_FIRMWARE, "unknown-firmware", "no reference PCR values for %s %s", info->tre_type,
			    info->firmware_version);
		goto out;
	}
	/* the nonce the TRE quoted over: the DPF's nonceA and its own nonceB, as the M2MMobj carries them */
	memcpy(nonce, na, OM_NONCE_LEN);
	memcpy(nonce + OM_NONCE_LEN, v->nonce_b, OM_NONCE_LEN);
	struct pva_quote q = { .attest = info->quote.attest, .attest_len = info->quote.attest_len,
			       .sig = info->quote.sig, .sig_len = info->quote.sig_len,
			       .pcr = (const uint8_t(*)[32])info->quote.pcr, .n_pcr = info->quote.n_pcr };
	if ((rc = pva_quote_check(X509_get0_pubkey(ak), nonce, sizeof(nonce), mask, (const uint8_t(*)[32])ref, &q)) < 0) {
		rc = refuse(v, rc, quote_reason(rc), "%s", om_strerror(rc));
		goto out;
	}
	/* the measurements are PCR 15's log: replayed, they give the quoted value (Keylime's log replay) */
	if (mask & (1u << PVA_LOG_PCR)) {
		size_t at = 0;
		for (unsigned i = 0; i < PVA_LOG_PCR; i++)
			at += (mask >> i) & 1;
		for (size_t i = 0; i < info->n_measurements; i++)
			memcpy(log[i], info->m[i].sha256, 32);
		if ((rc = pva_log_replay((const uint8_t(*)[32])log, info->n_measurements, info->quote.pcr[at])) < 0) {
			rc = refuse(v, rc, "quote-log", "the %zu measurements reported do not give the quoted PCR %d",
				    info->n_measurements, PVA_LOG_PCR);
			goto out;
		}
	}
	v->rc = 0;
	v->reason = "accepted";
	snprintf(v->detail, sizeof(v->detail), "TPM quote of %zu PCRs matches, %zu measurements", n_ref,
		 info->n_measurements);
	rc = 0;
out:
	X509_free(ak);
	OPENSSL_cleanse(nonce, sizeof(nonce));
	return rc;
}

static int check(struct pva *p, const uint8_t *obj, size_t len, struct pva_verdict *v)
{
	struct pva_tre t;
	struct om_tre_info info;
	struct om_measurement ref[OM_MEASUREMENTS_MAX];
	uint8_t na[OM_NONCE_LEN];
	size_t n_ref = 0;
	X509 *cert = NULL;
	int rc;

	memset(&t, 0, sizeof(t));
	if ((rc = om_m2mmobj_peek_tre_id(obj, len, v->tre_id)) < 0)
		return refuse(v, rc, "malformed", "not an M2MMobj: %s", om_strerror(rc));
	pthread_mutex_lock(&p->lock);
	rc = pva_store_get_tre(p, v->tre_id, &t);
	pthread_mutex_unlock(&p->lock);
	if (rc == OM_EPVA_NOT_FOUND) {
		rc = refuse(v, rc, "unknown-tre", "no TRE %s was imported", v->tre_id);
		goto out;
	}
	if (rc < 0) {
		rc = refuse(v, rc, "internal", "storage: %s", om_strerror(rc));
		goto out;
	}
	if (t.revoked) {
		rc = refuse(v, OM_EPVA_REVOKED, "revoked", "certificate revoked at %lld (%s)", (long long)t.revoked_at,
			    pva_reason_name(t.reason));
		goto out;
	}
	if ((rc = om_cert_decode(&cert, OM_ENC_DER, t.sign_der, t.sign_len)) < 0 ||
	    (rc = om_cert_verify(cert, p->trust, NULL, 0, OM_CERT_TRE_SIGNING, OM_PKI_NOW)) < 0) {
		rc = refuse(v, OM_EPVA_CERT, "certificate", "signing certificate no longer valid: %s", om_strerror(rc));
		goto out;
	}
	if ((rc = om_m2mmobj_verify(obj, len, X509_get0_pubkey(cert), &info, na, v->nonce_b)) < 0) {
		rc = refuse(v, rc, rc == OM_EOBJ_SIGNATURE || rc == OM_EPKI_SIGNATURE ? "signature" : "malformed", "M2MMobj refused: %s",
			    om_strerror(rc));
		goto out;
	}
	snprintf(v->model, sizeof(v->model), "%s", info.tre_type);
	snprintf(v->firmware, sizeof(v->firmware), "%s", info.firmware_version);
	if (strcmp(info.tre_id, t.tre_id) || strcmp(info.tre_type, t.model)) {
		rc = refuse(v, OM_EPVA_MEASUREMENT, "model", "reported model %.63s, imported as %s", info.tre_type,
			    t.model);
		goto out;
	}
	/* a TPM: the quote decides (a software TRE, no AK imported, is checked as before) */
	if (t.ak_der) {
		rc = check_quote(p, v, &t, &info, na);
		goto out;
	}
	pthread_mutex_lock(&p->lock);
	rc = pva_store_references(p, info.tre_type, info.firmware_version, ref, OM_MEASUREMENTS_MAX, &n_ref);
	pthread_mutex_unlock(&p->lock);
	if (rc < 0) {
		rc = refuse(v, rc, "internal", "storage: %s", om_strerror(rc));
		goto out;
	}
	if (n_ref == 0) {
		rc = refuse(v, OM_EPVA_FIRMWARE, "unknown-firmware", "no reference values for %s %s", info.tre_type,
			    info.firmware_version);
		goto out;
	}
	if ((rc = compare(v, &info, ref, n_ref)) == 0) {
		v->rc = 0;
		v->reason = "accepted";
		snprintf(v->detail, sizeof(v->detail), "%zu components match", n_ref);
	}
out:
	X509_free(cert);
	pva_tre_clear(&t);
	return rc;
}

static struct om_metric m_validate = OM_COUNTER("openmcim_pva_validations_total",
	"Platform validations, by result: accepted, or the refusal's reason", "result");
static struct om_metric m_quote = OM_COUNTER("openmcim_pva_quotes_total",
	"TPM quotes checked in platform validations, by result: accepted, or the refusal's reason", "result");

int pva_validate(struct pva *p, const uint8_t *obj, size_t len, struct pva_verdict *v)
{
	memset(v, 0, sizeof(*v));
	int rc = check(p, obj, len, v);
	om_metric_inc(&m_validate, rc == 0 ? "accepted" : v->reason[0] ? v->reason : "refused");
	if (v->quoted)
		om_metric_inc(&m_quote, rc == 0 ? "accepted" : v->reason);
	if (rc == 0)
		om_info("validate", "tre_id=%s model=%s firmware=%s result=accepted quote=%s", v->tre_id, v->model,
			v->firmware, v->quoted ? "checked" : "none");
	else
		om_notice("validate", "tre_id=%s result=refused reason=%s detail=\"%s\"", v->tre_id[0] ? v->tre_id : "-",
			  v->reason, v->detail);
	if (rc < 0)
		memset(v->nonce_b, 0, sizeof(v->nonce_b));
	return rc;
}

int pva_verdict_sign(struct pva *p, const struct pva_verdict *v, time_t now, uint8_t *out, size_t cap)
{
	struct om_pva_verdict s;
	memset(&s, 0, sizeof(s));
	snprintf(s.tre_id, sizeof(s.tre_id), "%s", v->tre_id[0] ? v->tre_id : "-");
	/* a TRE_id we could not read may hold anything: only its printable, spaceless part goes into the verdict */
	for (char *c = s.tre_id; *c; c++)
		if (*c <= ' ' || *c > '~')
			*c = '?';
	memcpy(s.nonce_b, v->nonce_b, OM_NONCE_LEN);
	s.accepted = v->rc == 0;
	snprintf(s.reason, sizeof(s.reason), "%s", v->reason ? v->reason : "internal");
	snprintf(s.detail, sizeof(s.detail), "%s", v->detail[0] ? v->detail : "-");
	for (char *c = s.detail; *c; c++)
		if (*c < ' ' || *c > '~')
			*c = '?';
	s.time = (int64_t)now;
	/* the OCSP responder's key: the PVA's one signing identity; the OMMO framing keeps the two apart */
	return om_pva_verdict_build(&s, p->rkey, out, cap);
}
