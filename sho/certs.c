/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Checking a device's two certificates before it is registered (B.2.3.2):
 * both chain to the PVA's CA with the TRE profiles and name the TRE_id, and
 * the PVA says by OCSP that neither is revoked or unknown to it. One OCSP
 * client per struct sho, made at the first check and kept: its connections
 * to the PVA serve every later registration (any thread) instead of a new
 * connection per registration.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openmcim/pki.h>

#include "ocsp_client.h"
#include "sho_int.h"

void sho_checked_free(struct sho_checked *c, size_t n)
{
	for (size_t i = 0; c && i < n; i++) {
		X509_free(c[i].sign);
		X509_free(c[i].enc);
		c[i].sign = c[i].enc = NULL;
	}
}

static int refuse(struct sho_checked *c, int rc, const char *what)
{
	c->rc = rc;
	om_reason(c->reason, sizeof(c->reason), rc, "%s: %s", what, om_strerror(rc));
	return rc;
}

/* Everything but the status: decode, names, chain and profile. */
static int check_offline(struct sho *s, const struct sho_device_in *d, struct sho_checked *c)
{
	char cn[OM_NAME_MAX_LEN + 1];
	int rc;
	if (om_cert_decode(&c->sign, OM_ENC_DER, d->cert_sign, d->cert_sign_len) < 0)
		return refuse(c, OM_EPKI_MALFORMED, "signing certificate");
	if (om_cert_decode(&c->enc, OM_ENC_DER, d->cert_enc, d->cert_enc_len) < 0)
		return refuse(c, OM_EPKI_MALFORMED, "encryption certificate");
	if ((rc = om_cert_verify(c->sign, s->pva_trust, NULL, 0, OM_CERT_TRE_SIGNING, OM_PKI_NOW)) < 0)
		return refuse(c, rc, "signing certificate");
	if ((rc = om_cert_verify(c->enc, s->pva_trust, NULL, 0, OM_CERT_TRE_ENCRYPTION, OM_PKI_NOW)) < 0)
		return refuse(c, rc, "encryption certificate");
	if (om_cert_subject_cn(c->sign, cn) < 0 || strcmp(cn, d->tre_id))
		return refuse(c, OM_ESHO_CERT, "signing certificate CN is not the TRE_id");
	if (om_cert_subject_cn(c->enc, cn) < 0 || strcmp(cn, d->tre_id))
		return refuse(c, OM_ESHO_CERT, "encryption certificate CN is not the TRE_id");
	return 0;
}

static pthread_mutex_t ocsp_lock = PTHREAD_MUTEX_INITIALIZER;

/* The sho's OCSP client, made once. */
static int ocsp_client(struct sho *s, struct om_ocsp_client **out)
{
	int rc = 0;
	pthread_mutex_lock(&ocsp_lock);
	if (!s->ocsp)
		rc = om_ocsp_client_new(&s->ocsp, s->ocsp_url, s->pva_ca, s->pva_trust, NULL);
	*out = s->ocsp;
	pthread_mutex_unlock(&ocsp_lock);
	return rc;
}

int sho_certs_check(struct sho *s, const struct sho_device_in *rows, const int *todo, size_t n,
		    struct sho_checked *out, char *why, size_t wl)
{
	struct om_ocsp_client *oc = NULL;
	X509 **certs = NULL;
	size_t *row_of = NULL, k = 0;
	int *status = NULL, rc;
	for (size_t i = 0; i < n; i++)
		if (todo[i] && check_offline(s, &rows[i], &out[i]) == 0)
			k += 2;
	if (k == 0)
		return 0;
	certs = calloc(k, sizeof(*certs));
	row_of = calloc(k, sizeof(*row_of));
	status = calloc(k, sizeof(*status));
	if (!certs || !row_of || !status) {
		rc = OM_ENOMEM;
		goto out;
	}
	k = 0;
	for (size_t i = 0; i < n; i++) {
		if (!todo[i] || out[i].rc < 0)
			continue;
		row_of[k] = i;
		certs[k++] = out[i].sign;
		row_of[k] = i;
		certs[k++] = out[i].enc;
	}
	if ((rc = ocsp_client(s, &oc)) < 0)
		goto out;
	if ((rc = om_ocsp_check(oc, certs, k, status, why, wl)) < 0)
		goto out;
	for (size_t j = 0; j < k; j++) {
		struct sho_checked *c = &out[row_of[j]];
		const char *which = j % 2 ? "encryption certificate" : "signing certificate";
		if (c->rc < 0)
			continue;
		if (status[j] == OM_OCSP_REVOKED)
			refuse(c, OM_ESHO_REVOKED, which);
		else if (status[j] != OM_OCSP_GOOD)
			refuse(c, OM_ESHO_CERT_UNKNOWN, which);
	}
out:
	free(certs);
	free(row_of);
	free(status);
	return rc;
}
