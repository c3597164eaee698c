/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SHO's internal interface, client side (sho_internal.h), for the DPF:
 * the core's questions asked on the socket. Its own file so that a program
 * linking it gets none of the SHO's store code (tests/boundary_test.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <openmcim/buf.h>
#include <openmcim/hex.h>
#include <openmcim/pki.h>

#include "log.h"
#include "sho_internal.h"

/* What a call's data lines are gathered into. */
struct answer {
	char kv[12][512];                     /* "key=value" lines of status and dm-auth */
	size_t n;
	struct om_buf b64;                   /* base64 parts, joined (the sealed MCIM among them: wiped) */
	struct om_buf enc;                   /* device's enc= parts (its sign= parts go to b64) */
	int bad;
};

static void gather(void *ctx, const char *line)
{
	struct answer *a = ctx;
	const char *eq = strchr(line, '=');
	if (!eq) {
		a->bad = 1;
		return;
	}
	if (!strncmp(line, "cert=", 5) || !strncmp(line, "part=", 5) || !strncmp(line, "sign=", 5)) {
		om_buf_puts(&a->b64, eq + 1);
		a->bad |= a->b64.err != 0;
		return;
	}
	if (!strncmp(line, "enc=", 4)) {
		om_buf_puts(&a->enc, eq + 1);
		a->bad |= a->enc.err != 0;
		return;
	}
	if (a->n == sizeof(a->kv) / sizeof(a->kv[0]) || strlen(line) >= sizeof(a->kv[0])) {
		a->bad = 1;
		return;
	}
	snprintf(a->kv[a->n++], sizeof(a->kv[0]), "%s", line);
}

static void answer_clear(struct answer *a)
{
	OPENSSL_cleanse(a->kv, sizeof(a->kv));
	om_buf_free(&a->b64);
	om_buf_free(&a->enc);
}

static const char *value(const struct answer *a, const char *key)
{
	size_t k = strlen(key);
	for (size_t i = 0; i < a->n; i++)
		if (!strncmp(a->kv[i], key, k) && a->kv[i][k] == '=')
			return a->kv[i] + k + 1;
	return NULL;
}

/* One call; the answer's verdict, OM_EUNAVAILABLE, or OM_EPROTO for data we cannot read. */
/* verb TRE_ID [arg]: arg only for mark-pva-refused (one word) */
static int call_arg(const struct om_admin_peer *p, const char *verb, const char *tre_id, const char *arg,
		    struct answer *a)
{
	char line[OM_TRE_ID_MAX + 80], why[OM_ADMIN_REASON_MAX + 1];
	memset(a, 0, sizeof(*a));
	if (strlen(tre_id) > OM_TRE_ID_MAX || strpbrk(tre_id, " \n") || (arg && (strlen(arg) > 32 || strpbrk(arg, " \n"))))
		return OM_EINVAL;
	snprintf(line, sizeof(line), "%s %s%s%s\n", verb, tre_id, arg ? " " : "", arg ? arg : "");
	int rc = om_admin_peer_call(p, line, gather, a, why, sizeof(why));
	if (rc == OM_EUNAVAILABLE)
		om_error("sho-call", "command=%s tre_id=%s result=unavailable reason=\"%s\"", verb, tre_id, why);
	if (rc == 0 && a->bad)
		rc = OM_EPROTO;
	return rc;
}

static int call(const struct om_admin_peer *p, const char *verb, const char *tre_id, struct answer *a)
{
	return call_arg(p, verb, tre_id, NULL, a);
}

/* The base64 data of an answer as bytes (*out malloc'd). */
static int bytes_of(struct answer *a, uint8_t **out, size_t *len)
{
	return a->b64.p ? om_admin_b64_get((const char *)a->b64.p, out, len) : OM_EPROTO;
}

static int copy(char *dst, size_t cap, const char *v)
{
	if (!v || strlen(v) >= cap)
		return OM_EPROTO;
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

/* The status's key=value lines of an answer into *out: 0 or OM_EPROTO. */
static int status_of(const struct answer *a, struct sho_device_status *out)
{
	if (copy(out->tre_id, sizeof(out->tre_id), value(a, "tre_id")) ||
	    copy(out->owner_id, sizeof(out->owner_id), value(a, "owner_id")) ||
	    copy(out->current_sho, sizeof(out->current_sho), value(a, "current_sho")) ||
	    copy(out->imsi, sizeof(out->imsi), value(a, "imsi")) || copy(out->state, sizeof(out->state), value(a, "state")) ||
	    copy(out->request_id, sizeof(out->request_id), value(a, "request_id")) ||
	    copy(out->reason, sizeof(out->reason), value(a, "reason")) || !value(a, "sequence") || !value(a, "created") ||
	    !value(a, "updated"))
		return OM_EPROTO;
	out->sequence = (uint32_t)strtoul(value(a, "sequence"), NULL, 10);
	out->created = strtoll(value(a, "created"), NULL, 10);
	out->updated = strtoll(value(a, "updated"), NULL, 10);
	return 0;
}

int sho_remote_status(const struct om_admin_peer *p, const char *tre_id, struct sho_device_status *out)
{
	struct answer a;
	memset(out, 0, sizeof(*out));
	int rc = call(p, "status", tre_id, &a);
	if (rc == 0)
		rc = status_of(&a, out);
	answer_clear(&a);
	return rc;
}

int sho_remote_device(const struct om_admin_peer *p, const char *tre_id, struct sho_device_view *out)
{
	struct answer a;
	memset(out, 0, sizeof(*out));
	int rc = call(p, "device", tre_id, &a);
	if (rc == 0 && (rc = status_of(&a, &out->st)) == 0 && (rc = bytes_of(&a, &out->sign, &out->sign_len)) == 0)
		rc = a.enc.p ? om_admin_b64_get((const char *)a.enc.p, &out->enc, &out->enc_len) : OM_EPROTO;
	const char *nonce = value(&a, "nonce_a");
	if (rc == 0 && nonce) {
		if (strlen(nonce) != 2 * OM_NONCE_LEN || om_hex_decode(out->nonce_a, OM_NONCE_LEN, nonce) < 0)
			rc = OM_EPROTO;
		out->has_nonce_a = rc == 0;
	}
	if (rc < 0)
		sho_device_view_free(out);
	answer_clear(&a);
	return rc;
}

/* A call whose answer is one value in base64 (cert= or part= lines): its bytes in *out (malloc'd). */
static int fetch_bytes(const struct om_admin_peer *p, const char *verb, const char *tre_id, uint8_t **out,
		       size_t *len)
{
	struct answer a;
	*out = NULL;
	*len = 0;
	int rc = call(p, verb, tre_id, &a);
	if (rc == 0)
		rc = bytes_of(&a, out, len);
	answer_clear(&a);
	return rc;
}

int sho_remote_tre_enc_cert(const struct om_admin_peer *p, const char *tre_id, uint8_t **der, size_t *der_len)
{
	return fetch_bytes(p, "tre-enc-cert", tre_id, der, der_len);
}

int sho_remote_tre_sign_der(const struct om_admin_peer *p, const char *tre_id, uint8_t **der, size_t *der_len)
{
	return fetch_bytes(p, "tre-sign-cert", tre_id, der, der_len);
}

int sho_remote_tre_sign_cert(const struct om_admin_peer *p, const char *tre_id, X509 **cert)
{
	uint8_t *der = NULL;
	size_t len = 0;
	*cert = NULL;
	int rc = sho_remote_tre_sign_der(p, tre_id, &der, &len);
	if (rc == 0)
		rc = om_cert_decode(cert, OM_ENC_DER, der, len);
	free(der);
	return rc;
}

int sho_remote_tre_sign_key(const struct om_admin_peer *p, const char *tre_id, EVP_PKEY **key)
{
	uint8_t *der = NULL;
	size_t len = 0;
	*key = NULL;
	int rc = sho_remote_tre_sign_der(p, tre_id, &der, &len);
	if (rc == 0)
		rc = om_cert_pubkey_decode(key, der, len);
	free(der);
	return rc;
}

int sho_remote_sealed_mcim(const struct om_admin_peer *p, const char *tre_id, uint8_t **out, size_t *out_len)
{
	return fetch_bytes(p, "sealed-mcim", tre_id, out, out_len);
}

int sho_remote_dm_auth(const struct om_admin_peer *p, const char *tre_id, struct sho_dm_auth *out)
{
	struct answer a;
	memset(out, 0, sizeof(*out));
	int rc = call(p, "dm-auth", tre_id, &a);
	const char *nonce = value(&a, "nonce_a");
	if (rc == 0 && (copy(out->username, sizeof(out->username), value(&a, "username")) ||
			copy(out->digest, sizeof(out->digest), value(&a, "digest")) || !nonce ||
			strlen(nonce) != 2 * OM_NONCE_LEN || om_hex_decode(out->nonce_a, OM_NONCE_LEN, nonce) < 0))
		rc = OM_EPROTO;
	if (rc < 0)
		sho_dm_auth_clear(out);
	answer_clear(&a);
	return rc;
}

static int move(const struct om_admin_peer *p, const char *verb, const char *tre_id)
{
	struct answer a;
	int rc = call(p, verb, tre_id, &a);
	answer_clear(&a);
	return rc;
}

int sho_remote_mark_provisioned(const struct om_admin_peer *p, const char *tre_id)
{
	return move(p, "mark-provisioned", tre_id);
}

int sho_remote_mark_active(const struct om_admin_peer *p, const char *tre_id)
{
	return move(p, "mark-active", tre_id);
}

int sho_remote_mark_fell_back(const struct om_admin_peer *p, const char *tre_id)
{
	return move(p, "mark-fell-back", tre_id);
}

int sho_remote_mark_pva_refused(const struct om_admin_peer *p, const char *tre_id, const char *pva_reason)
{
	struct answer a;
	int rc = call_arg(p, "mark-pva-refused", tre_id, pva_reason, &a);
	answer_clear(&a);
	return rc;
}

/* Here rather than beside sho_device_view: the DPF links only this file. */
void sho_device_view_free(struct sho_device_view *v)
{
	if (!v)
		return;
	free(v->sign);
	free(v->enc);
	memset(v, 0, sizeof(*v));
}

/* Here rather than beside sho_dm_auth: both sides clear what they held, and the DPF links only this file. */
void sho_dm_auth_clear(struct sho_dm_auth *a)
{
	if (a)
		OPENSSL_cleanse(a, sizeof(*a));
}
