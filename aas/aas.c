/* SPDX-License-Identifier: Apache-2.0 */
/* The application activation server's DM session (aas.h, docs/aas.md). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <openmcim/aas_request.h>
#include <openmcim/app_params.h>
#include <openmcim/dm.h>

#include "aas.h"
#include "metrics.h"
#include "ocsp_client.h"

struct om_metric aas_messages = OM_COUNTER("openmcim_aas_messages_total", "DM messages from devices, by what they came to",
					   "result");
struct om_metric aas_refusals = OM_COUNTER("openmcim_aas_refusals_total", "refusals, by error code", "code");
struct om_metric aas_sent = OM_COUNTER("openmcim_aas_params_sent_total",
				       "parameters sent after a good proof and a good Cert_TRE", NULL);
struct om_metric aas_device_reports = OM_COUNTER(
	"openmcim_aas_device_reports_total", "the devices' unsigned Status for the parameters (their word, not a delivery)",
	"status");

void aas_metrics_register(void)
{
	struct om_metric *const all[] = { &aas_messages, &aas_refusals, &aas_sent, &aas_device_reports };
	om_metrics_register(all, sizeof(all) / sizeof(all[0]));
}

/* A TRE_id as a file name: letters, digits, '-', '_', '.', not first; nothing that walks out of params_dir. */
static int tre_id_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n >= sizeof(((struct aas_outcome *)0)->tre_id) || s[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return 0;
	return 1;
}

/* The DevId of the message's DevInfo, or NULL. */
static const char *dev_id_of(const struct om_dm_msg *m)
{
	for (size_t i = 0; i < m->n_cmds; i++)
		for (size_t k = 0; m->cmds[i].type == OM_DM_CMD_REPLACE && k < m->cmds[i].n_items; k++) {
			const struct om_dm_item *it = &m->cmds[i].items[k];
			if (it->source && !strcmp(it->source, "./DevInfo/DevId") && it->data)
				return (const char *)it->data;
		}
	return NULL;
}

/*
 * The device's parameters: params_dir/<tre_id>, at most OM_APP_PARAMS_MAX
 * bytes, parsed by the one codec. 0 with *len set; OM_EIO when there is no
 * such file (or it cannot be read); OM_EOBJ_TOO_LONG (oversized) or the
 * codec's code when it would not pass the device's check.
 */
static int read_params(const struct aas_config *cfg, const char *tre_id, uint8_t *obj, size_t *len)
{
	char path[1024];
	struct om_app_params p;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", cfg->params_dir, tre_id) >= sizeof(path))
		return OM_EIO;
	/* never a link, never a FIFO or a device that would block the handler: a regular file or nothing */
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return OM_EIO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return OM_EIO;
	}
	size_t n = 0;
	ssize_t r;
	/* one byte more than the bound: an oversized file is refused, not cut */
	while (n <= OM_APP_PARAMS_MAX && (r = read(fd, obj + n, OM_APP_PARAMS_MAX + 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	if (n > OM_APP_PARAMS_MAX)
		return OM_EOBJ_TOO_LONG;
	int rc = om_app_params_parse(obj, n, &p);
	if (rc == 0)
		*len = n;
	return rc;
}

/* The activation nonce of (SessionID, TRE_id) in window w: a cookie, so nothing is kept for a device. */
static void nonce_of(const struct aas_config *cfg, const char *sid, const char *tre_id, int64_t w,
		     uint8_t out[static OM_AAS_NONCE_LEN])
{
	uint8_t in[8 + 64 + 1 + 64 + 1], mac[32];
	unsigned ml = 0;
	size_t n = 0, sl = strnlen(sid, 64), tl = strnlen(tre_id, 64);
	for (int i = 7; i >= 0; i--)
		in[n++] = (uint8_t)((uint64_t)w >> (8 * i));
	memcpy(in + n, sid, sl);
	n += sl;
	in[n++] = 0;
	memcpy(in + n, tre_id, tl);
	n += tl;
	in[n++] = 0;
	if (!HMAC(EVP_sha256(), cfg->cookie_key, sizeof(cfg->cookie_key), in, n, mac, &ml))
		RAND_bytes(mac, sizeof(mac)); /* a nonce nobody can answer: the device is challenged again */
	memcpy(out, mac, OM_AAS_NONCE_LEN);
	OPENSSL_cleanse(mac, sizeof(mac));
}

/* The activation request of package 1 (Generic Alert 1226, one item ./M2MActivation), or NULL. */
static const struct om_dm_item *request_of(const struct om_dm_msg *m, const struct om_dm_cmd **cmd)
{
	for (size_t i = 0; i < m->n_cmds; i++) {
		const struct om_dm_cmd *c = &m->cmds[i];
		if (c->type == OM_DM_CMD_ALERT && c->code == OM_DM_ALERT_GENERIC && c->n_items == 1 &&
		    c->items[0].source && !strcmp(c->items[0].source, OM_DM_URI_AAS_REQUEST) && c->items[0].type &&
		    !strcmp(c->items[0].type, OM_DM_TYPE_AAS_REQUEST) && c->items[0].data) {
			*cmd = c;
			return &c->items[0];
		}
	}
	return NULL;
}

/*
 * 0 when the request proves the TRE named tre_id, over the nonce of this
 * session in this window or the one before; else its refusal code
 * (om_aas_request_verify's, OM_EOBJ_VALUE for another TRE_id, OM_EDM_CRED
 * for another nonce).
 */
static int request_right(const struct aas_config *cfg, const struct om_dm_msg *m, const char *tre_id,
			 const struct om_dm_item *it, time_t now, X509 **cert)
{
	char who[OM_TRE_ID_MAX + 1];
	uint8_t got[OM_AAS_NONCE_LEN], want[OM_AAS_NONCE_LEN];
	int rc = om_aas_request_verify(it->data, it->data_len, cfg->trust, now, who, got, cert);
	if (rc < 0)
		return rc;
	if (strcmp(who, tre_id))
		return OM_EOBJ_VALUE;
	int64_t w = (int64_t)now / AAS_WINDOW_S;
	rc = OM_EDM_CRED;
	for (int64_t k = 0; k < 2 && rc; k++) {
		nonce_of(cfg, m->hdr.session_id, tre_id, w - k, want);
		if (!CRYPTO_memcmp(want, got, sizeof(got)))
			rc = 0;
	}
	return rc;
}

/*
 * Cert_TRE's status at the PVA (the OCSP client's deadline bounds the
 * wait): 0 good; OM_EPKI_STATUS_REVOKED or OM_EPKI_STATUS_UNKNOWN (the PVA
 * never issued it or does not know it); else the client's OM_EOCSP_* code
 * (unreachable, a late or untrusted answer) with its reason in why: fail
 * closed, nothing is sent without a good status.
 */
static int cert_status(const struct aas_config *cfg, X509 *cert, char *why, size_t wl)
{
	int status = -1;
	if (!cfg->ocsp) {
		snprintf(why, wl, "no OCSP responder configured");
		return OM_EOCSP_TRANSPORT;
	}
	int rc = om_ocsp_check(cfg->ocsp, &cert, 1, &status, why, wl);
	if (rc < 0)
		return rc;
	return status == OM_OCSP_GOOD ? 0 : status == OM_OCSP_REVOKED ? OM_EPKI_STATUS_REVOKED : OM_EPKI_STATUS_UNKNOWN;
}

/* The device's Status for our Replace of ./M2MAppParams, or NULL. */
static const struct om_dm_cmd *replace_status(const struct om_dm_msg *m)
{
	for (size_t i = 0; i < m->n_cmds; i++) {
		const struct om_dm_cmd *c = &m->cmds[i];
		if (c->type == OM_DM_CMD_STATUS && c->ref_cmd && !strcmp(c->ref_cmd, "Replace"))
			return c;
	}
	return NULL;
}

/* A Status of code for each command of msg that asks for one, but code_one for the command one. */
static void status_each(struct om_dm_msg *ans, const struct om_dm_msg *msg, unsigned code,
			const struct om_dm_cmd *one, unsigned code_one)
{
	for (size_t i = 0; i < msg->n_cmds; i++) {
		const struct om_dm_cmd *c = &msg->cmds[i];
		if (c->type != OM_DM_CMD_STATUS && c->type != OM_DM_CMD_RESULTS)
			om_dm_add_status(ans, msg->hdr.msg_id, c->cmd_id, om_dm_cmd_name(c->type),
					 c == one ? code_one : code);
	}
}

static int handle(const struct aas_config *cfg, const uint8_t *in, size_t len, time_t now, uint8_t **out,
		  size_t *out_len, struct aas_outcome *oc, X509 **cert)
{
	static __thread uint8_t chal[OM_AAS_NONCE_LEN];
	static __thread struct om_dm_msg msg, ans; /* 40 KiB each: off the stack */
	static __thread uint8_t obj[OM_APP_PARAMS_MAX + 1];
	char want[OM_DM_DEV_ID_LEN + 1];
	size_t obj_len = 0;
	memset(oc, 0, sizeof(*oc));
	oc->result = "refused";
	*out = NULL;
	int rc = om_dm_parse(in, len, &msg);
	if (rc < 0)
		return oc->code = rc;
	/* the device names itself: its TRE_id (LocName) and the DevId that is that TRE_id's URN */
	const char *tre_id = msg.hdr.source_name, *dev = dev_id_of(&msg);
	if (!tre_id_ok(tre_id) || !msg.hdr.source || om_dm_dev_id(tre_id, want) < 0 ||
	    strcmp(msg.hdr.source, want) || (dev && strcmp(dev, want))) {
		om_dm_msg_free(&msg);
		return oc->code = OM_EDM_MISSING;
	}
	snprintf(oc->tre_id, sizeof(oc->tre_id), "%s", tre_id);
	om_dm_msg_init(&ans, msg.hdr.session_id, msg.hdr.msg_id, msg.hdr.source, cfg->server_uri);
	ans.final = 1;
	struct om_dm_cmd *h = om_dm_add_status(&ans, msg.hdr.msg_id, 0, "SyncHdr", OM_DM_STATUS_OK);
	if (h) {
		h->target_ref = msg.hdr.target;
		h->source_ref = msg.hdr.source;
	}
	const struct om_dm_cmd *alert = NULL, *st = replace_status(&msg);
	for (size_t i = 0; i < msg.n_cmds; i++)
		if (msg.cmds[i].type == OM_DM_CMD_ALERT && msg.cmds[i].code == OM_DM_ALERT_CLIENT_INITIATED)
			alert = &msg.cmds[i];
	const struct om_dm_cmd *req_cmd = NULL;
	const struct om_dm_item *req = alert ? request_of(&msg, &req_cmd) : NULL;
	int proof = alert && req ? request_right(cfg, &msg, tre_id, req, now, cert) : OM_EDM_CRED;
	int status = alert && proof == 0 ? cert_status(cfg, *cert, oc->why, sizeof(oc->why)) : 0;
	if (alert && proof < 0) {
		/* package 1 without a request that proves the TRE: a nonce to sign (407), or a refusal (401) */
		unsigned code = req ? OM_DM_STATUS_UNAUTHORIZED : OM_DM_STATUS_MISSING_CRED;
		oc->result = req ? "refused-request" : "challenged";
		oc->code = req ? proof : 0;
		if (h) {
			h->code = code;
			nonce_of(cfg, msg.hdr.session_id, tre_id, (int64_t)now / AAS_WINDOW_S, chal);
			h->chal = OM_DM_AUTH_MD5; /* the codec's Chal: its NextNonce is what the TRE signs (docs/aas.md) */
			h->next_nonce = chal;
			h->next_nonce_len = sizeof(chal);
		}
		status_each(&ans, &msg, code, NULL, code);
	} else if (alert && status < 0) {
		/* a TRE the PVA revoked or does not know gets nothing; nor does any TRE while the PVA cannot say */
		int cert_bad = status == OM_EPKI_STATUS_REVOKED || status == OM_EPKI_STATUS_UNKNOWN;
		oc->result = cert_bad ? "refused-cert" : "status-unavailable";
		oc->code = status;
		status_each(&ans, &msg, OM_DM_STATUS_OK, alert, cert_bad ? OM_DM_STATUS_FORBIDDEN : OM_DM_STATUS_UNAVAILABLE);
	} else if (alert) {
		/* package 1 with the TRE's proof: this device's parameters, checked as the device will check them */
		rc = read_params(cfg, tre_id, obj, &obj_len);
		oc->result = rc == 0 ? "sent" : rc == OM_EIO ? "no-parameters" : "refused-file";
		oc->code = rc == OM_EIO ? 0 : rc;
		status_each(&ans, &msg, OM_DM_STATUS_OK, alert,
			    rc == 0 ? OM_DM_STATUS_OK : rc == OM_EIO ? OM_DM_STATUS_NOT_FOUND : OM_DM_STATUS_FAILED);
		struct om_dm_cmd *r = rc == 0 ? om_dm_add_cmd(&ans, OM_DM_CMD_REPLACE) : NULL;
		struct om_dm_item *it = r ? om_dm_add_item(r) : NULL;
		if (rc == 0 && !it) {
			om_dm_msg_free(&msg);
			return oc->code = OM_ENOMEM;
		}
		if (it) {
			it->target = OM_DM_URI_APP_PARAMS;
			it->type = OM_DM_TYPE_APP_PARAMS;
			it->format = OM_DM_FMT_B64;
			it->data = obj;
			it->data_len = obj_len;
		}
	} else {
		/* package 3': what the device says it did with them (unsigned: its word, not a delivery); the end */
		oc->device_status = st ? st->code : 0;
		oc->result = !st ? "closed" : st->code == OM_DM_STATUS_OK ? "device-reported" : "device-refused";
		status_each(&ans, &msg, OM_DM_STATUS_OK, NULL, OM_DM_STATUS_OK);
	}
	uint8_t *buf = malloc(OM_DM_MSG_MAX);
	int n = buf ? om_dm_encode(&ans, buf, OM_DM_MSG_MAX) : OM_ENOMEM;
	om_dm_msg_free(&msg);
	if (n < 0) {
		free(buf);
		return oc->code = n;
	}
	*out = buf;
	*out_len = (size_t)n;
	return 0;
}

int aas_handle(const struct aas_config *cfg, const uint8_t *in, size_t len, time_t now, uint8_t **out,
	       size_t *out_len, struct aas_outcome *oc)
{
	X509 *cert = NULL;
	int rc = handle(cfg, in, len, now, out, out_len, oc, &cert);
	X509_free(cert);
	if (rc < 0)
		oc->result = "refused";
	om_metric_inc(&aas_messages, oc->result);
	if (oc->code)
		om_metric_inc_err(&aas_refusals, oc->code);
	if (rc == 0 && !strcmp(oc->result, "sent"))
		om_metric_inc(&aas_sent, NULL);
	if (rc == 0 && oc->device_status) {
		char s[12];
		snprintf(s, sizeof(s), "%u", oc->device_status);
		om_metric_inc(&aas_device_reports, s);
	}
	return rc;
}
