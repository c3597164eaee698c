/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DPF's DM session (dpf_dm.h, docs/dpf.md "Daemon"): the packages
 * of B.2.3.4 on the lib/dm codec around dpf_m2mmobj and dpf_install_status.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <openmcim/app_params.h>
#include <openmcim/bootstrap.h>
#include <openmcim/dm.h>
#include <openmcim/mobj.h>
#include <openmcim/outcome.h>

#include "dpf_dm.h"
#include "log.h"
#include "metrics.h"

#define SID_MAX 64
#define NONCE_LEN 16

enum stage {
	ST_FREE = 0,
	ST_AUTH,    /* waiting for package 1 with a right Cred */
	ST_RESULTS, /* Get ./M2MMobj sent: waiting for package 3 */
	ST_STATUS,  /* Replace ./M2MMCIMMobj sent: waiting for its Status */
};

struct session {
	enum stage stage;
	char sid[SID_MAX + 1];
	char user[OM_BOOTSTRAP_NAME_MAX + 1]; /* the TRE_id at this SHO */
	char device[OM_DM_STR_MAX + 1];       /* the device's Source/LocURI, our Target */
	uint8_t nonce[NONCE_LEN];             /* the NextNonce we gave, for the next Cred, or after the 212 for the
						 next message's HMAC */
	int nonce_sent;
	int cred_checked; /* the probe's Cred was checked against its cookie: cred_rc is the result (cred_right) */
	int cred_rc;
	/* B64(MD5(user ":" password)) as the SHO gave it for the Cred this session was opened with: each later
	 * message's HMAC is checked against it instead of asking the SHO again (issue 14). Cleansed with the
	 * session (session_end). */
	char digest[OM_DM_B64_MD5_LEN + 1];
	uint32_t last_msg_id;  /* the device's last MsgID */
	uint32_t srv_msg_id;   /* our last MsgID */
	uint32_t get_cmd;      /* CmdID of our Get, in srv message get_msg */
	uint32_t replace_cmd;  /* CmdID of our Replace, in srv message replace_msg */
	uint32_t replace_msg;
	uint32_t app_cmd;      /* CmdID of our Replace of ./M2MAppParams (same message), 0 when none */
	time_t expires;
	int done; /* ended once this answer is written */
	const char *result;  /* how it ended, for openmcim_dpf_dm_sessions_total */
	struct timespec t0;  /* its first message */
	int in_slot;         /* counted in openmcim_dpf_dm_sessions_open */
};

/* docs/operate.md "Metrics" */
static struct om_metric m_sessions = OM_COUNTER("openmcim_dpf_dm_sessions_total",
	"OMA DM sessions ended, by result (installed, install-failed, outcome, refused, expired, error)", "result");
static struct om_metric m_session_s = OM_HISTOGRAM("openmcim_dpf_dm_session_seconds",
	"First message to end of an OMA DM session, by result", "result");
static struct om_metric m_open = OM_GAUGE("openmcim_dpf_dm_sessions_open", "Authenticated OMA DM sessions open", NULL);
static struct om_metric m_dm_refused = OM_COUNTER("openmcim_dpf_dm_refusals_total",
	"DM messages refused before the DPF's checks (credentials, HMAC, order, room), by error code", "code");


struct dpf_dm {
	struct dpf_dm_config cfg;
	struct session *sess;
	struct session probe;       /* a message of no open session, until it authenticates */
	uint8_t cookie_key[32];     /* challenge nonces (challenge_nonce), drawn per process */
	EVP_MAC_CTX *cookie_mac;    /* HMAC-SHA-256 keyed with it once: each cookie works on a copy (issue 14) */
	struct spent {              /* cookies a Cred was accepted over, kept two windows (cookie_spend) */
		uint8_t nonce[NONCE_LEN];
		int64_t window;
		int used;
	} spent[DPF_DM_SPENT_MAX];
	struct om_dm_msg in, ans; /* 40 KiB each: kept here, not on the stack */
	uint8_t obj[OM_MOBJ_MAX];
	const struct dpf_pva_result *pva; /* the PVA's answer for this message, asked before it (dpf_dm_handle_pva) */
};

int dpf_dm_new(struct dpf_dm **out, const struct dpf_dm_config *cfg)
{
	if (!out || !cfg || !cfg->dpf || !cfg->sho || !cfg->server_uri)
		return OM_EINVAL;
	struct dpf_dm *s = calloc(1, sizeof(*s));
	if (!s)
		return OM_ENOMEM;
	s->cfg = *cfg;
	if (!s->cfg.max_sessions)
		s->cfg.max_sessions = DPF_DM_SESSIONS_DEFAULT;
	if (!s->cfg.timeout_s)
		s->cfg.timeout_s = DPF_DM_TIMEOUT_DEFAULT;
	if (!s->cfg.auth_timeout_s)
		s->cfg.auth_timeout_s = DPF_DM_AUTH_TIMEOUT_DEFAULT;
	s->sess = calloc(s->cfg.max_sessions, sizeof(*s->sess));
	if (!s->sess) {
		free(s);
		return OM_ENOMEM;
	}
	if (RAND_priv_bytes(s->cookie_key, sizeof(s->cookie_key)) != 1) {
		free(s->sess);
		free(s);
		return OM_ERANDOM;
	}
	/* fetched and keyed once: HMAC() fetched the MAC and the digest and hashed the key per cookie */
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
				OSSL_PARAM_construct_end() };
	s->cookie_mac = mac ? EVP_MAC_CTX_new(mac) : NULL;
	EVP_MAC_free(mac);
	if (!s->cookie_mac || EVP_MAC_init(s->cookie_mac, s->cookie_key, sizeof(s->cookie_key), params) != 1) {
		dpf_dm_free(s);
		return OM_ECRYPTO;
	}
	*out = s;
	return 0;
}

static void session_end(struct session *x)
{
	if (x->in_slot)
		om_metric_gauge_add(&m_open, NULL, -1);
	OPENSSL_cleanse(x, sizeof(*x));
}

void dpf_dm_free(struct dpf_dm *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->cfg.max_sessions; i++)
		session_end(&s->sess[i]);
	OPENSSL_cleanse(s->cookie_key, sizeof(s->cookie_key));
	EVP_MAC_CTX_free(s->cookie_mac);
	free(s->sess);
	free(s);
}

size_t dpf_dm_sessions(const struct dpf_dm *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->cfg.max_sessions; i++)
		n += s->sess[i].stage != ST_FREE;
	return n;
}

/*
 * Slots are for authenticated sessions only (issue 14): a message of no open
 * session is answered from s->probe, and its challenge nonce is a cookie,
 * HMAC-SHA-256(cookie_key, window | MsgID | SessionID | user) cut to 16
 * bytes, so the DPF keeps nothing for a device that has not authenticated
 * (as SYN cookies do for TCP). The Cred of the next message (MsgID + 1) is
 * checked against the cookie of this window and of the one before; only
 * then does the session take a slot. A flood of first messages takes none.
 */
static void challenge_nonce(const struct dpf_dm *s, const char *sid, const char *user, uint32_t msg_id,
			    int64_t window, uint8_t out[static NONCE_LEN])
{
	uint8_t in[8 + 4 + SID_MAX + 1 + OM_BOOTSTRAP_NAME_MAX + 1], mac[32];
	size_t n = 0, sl = strlen(sid), ul = strlen(user), ml = 0;
	for (int i = 7; i >= 0; i--)
		in[n++] = (uint8_t)((uint64_t)window >> (8 * i));
	for (int i = 3; i >= 0; i--)
		in[n++] = (uint8_t)(msg_id >> (8 * i));
	memcpy(in + n, sid, sl + 1);
	n += sl + 1;
	memcpy(in + n, user, ul + 1);
	n += ul + 1;
	EVP_MAC_CTX *h = EVP_MAC_CTX_dup(s->cookie_mac);
	if (!h || EVP_MAC_update(h, in, n) != 1 || EVP_MAC_final(h, mac, &ml, sizeof(mac)) != 1 || ml != sizeof(mac))
		RAND_bytes(mac, NONCE_LEN); /* a nonce nobody can answer: the device is challenged again */
	EVP_MAC_CTX_free(h);
	memcpy(out, mac, NONCE_LEN);
	OPENSSL_cleanse(mac, sizeof(mac));
}

static int64_t cookie_window(const struct dpf_dm *s, time_t now)
{
	return (int64_t)now / (int64_t)s->cfg.auth_timeout_s;
}

/*
 * The cookie a Cred was just accepted over is spent: 0, and it is kept until
 * it can no longer be answered (its window and the next); OM_EDM_CRED when
 * it was spent already, a replay of a captured Cred message after its
 * session ended (issue 14 finding 7: the cookie is not bound to the
 * connection); OM_EDPF_DM_FULL when the cookie's DPF_DM_SPENT_PROBE slots hold
 * live cookies (refused rather than forgetting one that could then be replayed).
 */
static int cookie_spend(struct dpf_dm *s, const uint8_t nonce[static NONCE_LEN], time_t now)
{
	int64_t w = cookie_window(s, now);
	struct spent *room = NULL;
	/* An open-addressed set: a cookie is an HMAC under our key, so its first bytes pick its home
	 * slot evenly; it lives in one of the DPF_DM_SPENT_PROBE slots from there, and each of them is
	 * looked at every time (an expired slot in between may be reused, so a scan never stops early). */
	size_t home = ((size_t)nonce[0] | (size_t)nonce[1] << 8 | (size_t)nonce[2] << 16) % DPF_DM_SPENT_MAX;
	for (size_t k = 0; k < DPF_DM_SPENT_PROBE; k++) {
		struct spent *e = &s->spent[(home + k) % DPF_DM_SPENT_MAX];
		if (!e->used || e->window < w - 1) {
			room = room ? room : e;
			continue;
		}
		if (!CRYPTO_memcmp(e->nonce, nonce, NONCE_LEN))
			return OM_EDM_CRED;
	}
	if (!room)
		return OM_EDPF_DM_FULL;
	memcpy(room->nonce, nonce, NONCE_LEN);
	room->window = w;
	room->used = 1;
	return 0;
}

/* The open session of (sid, user), expired ones ended on the way; NULL when none. */
static struct session *session_open(struct dpf_dm *s, const char *sid, const char *user, time_t now)
{
	for (size_t i = 0; i < s->cfg.max_sessions; i++) {
		struct session *x = &s->sess[i];
		if (x->stage != ST_FREE && x->expires <= now) {
			om_info("dm_session", "sid=%s tre=%s result=expired", x->sid, x->user);
			om_metric_inc(&m_sessions, "expired");
			session_end(x);
		}
		if (x->stage != ST_FREE && !strcmp(x->sid, sid) && !strcmp(x->user, user))
			return x;
	}
	return NULL;
}

/* A free slot for a session that just authenticated; NULL when all hold authenticated sessions. */
static struct session *slot_free(struct dpf_dm *s)
{
	for (size_t i = 0; i < s->cfg.max_sessions; i++)
		if (s->sess[i].stage == ST_FREE)
			return &s->sess[i];
	return NULL;
}

/* ---- building the answer ------------------------------------------------- */

static void answer_start(struct dpf_dm *s, struct session *x, unsigned hdr_code)
{
	x->srv_msg_id++;
	om_dm_msg_init(&s->ans, x->sid, x->srv_msg_id, x->device, s->cfg.server_uri);
	struct om_dm_cmd *c = om_dm_add_status(&s->ans, s->in.hdr.msg_id, 0, "SyncHdr", hdr_code);
	if (c) {
		c->target_ref = s->in.hdr.target;
		c->source_ref = s->in.hdr.source;
	}
	s->ans.final = 1;
}

/* A Status for each of the device's commands that is not itself a Status or Results. */
static void status_each(struct dpf_dm *s, unsigned code)
{
	for (size_t i = 0; i < s->in.n_cmds; i++) {
		const struct om_dm_cmd *c = &s->in.cmds[i];
		if (c->type != OM_DM_CMD_STATUS && c->type != OM_DM_CMD_RESULTS)
			om_dm_add_status(&s->ans, s->in.hdr.msg_id, c->cmd_id, om_dm_cmd_name(c->type), code);
	}
}

static int answer_encode(struct dpf_dm *s, uint8_t **out, size_t *out_len)
{
	uint8_t *buf = malloc(OM_DM_MSG_MAX);
	if (!buf)
		return OM_ENOMEM;
	int n = om_dm_encode(&s->ans, buf, OM_DM_MSG_MAX);
	if (n < 0) {
		free(buf);
		return n;
	}
	*out = buf;
	*out_len = (size_t)n;
	return 0;
}

/* ---- package 1: authentication (OMA DM Security 1.2, syncml:auth-md5) ---- */

/* 0 when the Cred is that of credentials a over the nonce we gave (x->nonce); the digest kept on success. */
static int cred_match(struct dpf_dm *s, struct session *x, const struct sho_dm_auth *a)
{
	char want[OM_DM_B64_MD5_LEN + 1];
	int rc = OM_EDM_CRED;
	/* the SHO keeps B64(MD5(user ":" password)) only: the outer step is all the server computes */
	if (!strcmp(a->username, x->user) && om_dm_md5_digest(a->digest, x->nonce, sizeof(x->nonce), want) == 0)
		rc = om_dm_cred_check(want, s->in.hdr.cred_data);
	if (rc == 0)
		snprintf(x->digest, sizeof(x->digest), "%s", a->digest);
	OPENSSL_cleanse(want, sizeof(want));
	return rc;
}

/*
 * 0 when the Cred is that of the pending handover's credentials over the
 * nonce we gave; with w, over the cookie challenge_nonce gave message
 * msg_id in window w or, failing that, in w - 1 (x->nonce is left that of
 * w - 1 then). The SHO is asked once either way (issue 14: the cookie's
 * two windows used to cost a call each, and package1 a third).
 */
static int cred_right_at(struct dpf_dm *s, struct session *x, int cookie, uint32_t msg_id, int64_t w)
{
	struct sho_dm_auth a;
	int rc = OM_EDM_CRED, earlier = 0; /* earlier: x->nonce is already the cookie of w - 1 */
	if (cookie) {
		challenge_nonce(s, x->sid, x->user, msg_id, w, x->nonce);
		x->nonce_sent = 1;
	}
	if (x->nonce_sent && s->in.hdr.cred == OM_DM_AUTH_MD5 && s->in.hdr.cred_data) {
		if ((rc = sho_remote_dm_auth(s->cfg.sho, x->user, &a)) < 0) {
			rc = rc == OM_EUNAVAILABLE ? OM_EDPF_UNAVAILABLE : OM_EDM_CRED;
		} else {
			rc = cred_match(s, x, &a);
			if (rc < 0 && cookie) {
				challenge_nonce(s, x->sid, x->user, msg_id, w - 1, x->nonce);
				earlier = 1;
				rc = cred_match(s, x, &a);
			}
			sho_dm_auth_clear(&a);
		}
	}
	if (rc < 0 && cookie && !earlier)
		challenge_nonce(s, x->sid, x->user, msg_id, w - 1, x->nonce);
	return rc;
}

static int cred_right(struct dpf_dm *s, struct session *x)
{
	/* the Cred of a message that opened no session was checked once against its cookie (dpf_dm_handle_pva) */
	if (x->cred_checked)
		return x->cred_rc;
	return cred_right_at(s, x, 0, 0, 0);
}

/*
 * OMA DM Security 1.2 HMAC (the x-syncml-hmac header) of every message after
 * the 212: mac = B64(MD5(B64(MD5(user ":" password)) ":" nonce ":"
 * B64(MD5(body)))) with the NextNonce of our last answer, username the
 * session's. 0, or OM_EDPF_DM_HMAC (none, unreadable, another user, wrong).
 */
static int hmac_right(struct dpf_dm *s, struct session *x, const uint8_t *body, size_t len, const char *header)
{
	struct sho_dm_auth a;
	char user[OM_BOOTSTRAP_NAME_MAX + 1], mac[OM_DM_B64_MD5_LEN + 1], want[OM_DM_B64_MD5_LEN + 1];
	uint8_t in[NONCE_LEN + 1 + OM_DM_B64_MD5_LEN];
	int rc = OM_EDPF_DM_HMAC, n;
	if (!x->nonce_sent || !header || om_dm_hmac_header_parse(header, user, sizeof(user), mac) < 0 ||
	    strcmp(user, x->user))
		return OM_EDPF_DM_HMAC;
	memset(&a, 0, sizeof(a));
	if (x->digest[0])
		memcpy(a.digest, x->digest, sizeof(a.digest));
	else if ((rc = sho_remote_dm_auth(s->cfg.sho, x->user, &a)) < 0)
		return rc == OM_EUNAVAILABLE ? OM_EDPF_UNAVAILABLE : OM_EDPF_DM_HMAC;
	rc = OM_EDPF_DM_HMAC;
	if ((n = om_dm_hmac_input(x->nonce, sizeof(x->nonce), body, len, in, sizeof(in))) > 0 &&
	    om_dm_md5_digest(a.digest, in, (size_t)n, want) == 0 && om_dm_cred_check(want, mac) == 0)
		rc = 0;
	sho_dm_auth_clear(&a);
	OPENSSL_cleanse(want, sizeof(want));
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}

/* A fresh NextNonce in our answer's SyncHdr Status, for the device's next HMAC. */
static int next_nonce(struct dpf_dm *s, struct session *x)
{
	if (RAND_bytes(x->nonce, sizeof(x->nonce)) != 1)
		return OM_ERANDOM;
	x->nonce_sent = 1;
	struct om_dm_cmd *c = &s->ans.cmds[0];
	c->chal = OM_DM_AUTH_MD5;
	c->next_nonce = x->nonce;
	c->next_nonce_len = sizeof(x->nonce);
	return 0;
}

static const struct om_dm_cmd *find_alert(const struct om_dm_msg *m, unsigned code)
{
	for (size_t i = 0; i < m->n_cmds; i++)
		if (m->cmds[i].type == OM_DM_CMD_ALERT && m->cmds[i].code == code)
			return &m->cmds[i];
	return NULL;
}

/* The DM Status for the outcome alert: 200 recorded, 400 unreadable, 403 refused, 500 not recorded. */
static unsigned outcome_code(int rc)
{
	switch (rc) {
	case 0:
		return OM_DM_STATUS_OK;
	case OM_EDPF_OUTCOME:
	case OM_EDPF_NOT_RELEASED:
	case OM_EDPF_STATE:
	case OM_EDPF_UNKNOWN_TRE:
	case OM_EDPF_OUTCOME_SIGNATURE:
	case OM_EDPF_OUTCOME_TRE:
	case OM_EDPF_OUTCOME_NONCE_B:
	case OM_EDPF_OUTCOME_IMSI:
	case OM_EDPF_COUNTER:
		return 403;
	default:
		return OM_DM_STATUS_FAILED;
	}
}

/*
 * The outcome report (docs/dm.md "Outcome alert"): Generic Alert 1226 with
 * one item ./M2MMCIMMobj of type OM_DM_TYPE_MCIM_OUTCOME, b64, the TRE's
 * signed outcome statement (outcome.h), beside the authenticated Alert
 * 1201. Answered with the Statuses and Final, no Get: the session ends.
 */
static int outcome(struct dpf_dm *s, struct session *x, const struct om_dm_cmd *a, time_t now)
{
	const struct om_dm_item *it = a->n_items == 1 ? &a->items[0] : NULL;
	char why[DPF_REASON_MAX + 1] = "";
	int rc = OM_EDPF_OUTCOME, kind = 0;
	unsigned code = 400;
	if (it && it->source && !strcmp(it->source, OM_DM_URI_M2MMCIMMOBJ) && it->type &&
	    !strcmp(it->type, OM_DM_TYPE_MCIM_OUTCOME)) {
		rc = dpf_outcome(s->cfg.dpf, x->user, it->data, it->data ? it->data_len : 0, now, &kind, why,
				 sizeof(why));
		code = outcome_code(rc);
	} else {
		snprintf(why, sizeof(why), "not an outcome item");
	}
	answer_start(s, x, OM_DM_STATUS_AUTH_ACCEPTED);
	for (size_t i = 0; i < s->in.n_cmds; i++) {
		const struct om_dm_cmd *c = &s->in.cmds[i];
		if (c->type != OM_DM_CMD_STATUS && c->type != OM_DM_CMD_RESULTS)
			om_dm_add_status(&s->ans, s->in.hdr.msg_id, c->cmd_id, om_dm_cmd_name(c->type),
			       c == a ? code : OM_DM_STATUS_OK);
	}
	x->done = 1;
	x->result = rc < 0 ? "outcome-refused" : "outcome";
	om_debug("dm_session", "sid=%s tre=%s result=outcome outcome=%s dm=%u%s%s%s", x->sid, x->user,
		kind ? om_outcome_name(kind) : "-", code, rc < 0 ? " code=" : "", rc < 0 ? om_errname(rc) : "",
		rc < 0 ? " refused" : "");
	if (rc == 0 && kind == OM_OUTCOME_ACTIVE && s->cfg.queued)
		s->cfg.queued(s->cfg.queued_arg);
	return 0;
}

/* A right Cred over a cookie (no slot yet): 1 when that cookie was not spent before, now it is. */
static int cookie_unspent(struct dpf_dm *s, struct session *x, time_t now)
{
	int rc = x == &s->probe ? cookie_spend(s, x->nonce, now) : 0;
	if (rc < 0) {
		om_notice("dm_session", "sid=%s tre=%s result=refused code=%s reason=%s", x->sid, x->user,
			  om_errname(rc), rc == OM_EDM_CRED ? "cookie-spent" : "spent-cookies-full");
		om_metric_inc_err(&m_dm_refused, rc);
	}
	return rc == 0;
}

static int package1(struct dpf_dm *s, struct session *x, time_t now)
{
	const struct om_dm_cmd *alert = find_alert(&s->in, OM_DM_ALERT_CLIENT_INITIATED);
	int cred = cred_right(s, x);
	if (cred == OM_EDPF_UNAVAILABLE)
		return cred; /* no answer: not a wrong password, so no challenge; the device tries again */
	if (cred == 0 && alert && cookie_unspent(s, x, now)) {
		const struct om_dm_cmd *generic = find_alert(&s->in, OM_DM_ALERT_GENERIC);
		if (generic) {
			OPENSSL_cleanse(x->nonce, sizeof(x->nonce));
			x->nonce_sent = 0;
			return outcome(s, x, generic, now);
		}
		/* the nonce is spent; every later message carries an HMAC over a fresh one (OMA DM Security 1.2) */
		OPENSSL_cleanse(x->nonce, sizeof(x->nonce));
		x->nonce_sent = 0;
		answer_start(s, x, OM_DM_STATUS_AUTH_ACCEPTED);
		if (next_nonce(s, x) < 0)
			return OM_ERANDOM;
		status_each(s, OM_DM_STATUS_OK);
		struct om_dm_cmd *g = om_dm_add_cmd(&s->ans, OM_DM_CMD_GET);
		struct om_dm_item *it = g ? om_dm_add_item(g) : NULL;
		if (!it)
			return OM_EINVAL;
		it->target = OM_DM_URI_M2MMOBJ;
		x->get_cmd = g->cmd_id;
		x->stage = ST_RESULTS;
		om_debug("dm_session", "sid=%s tre=%s result=authenticated", x->sid, x->user);
		return 0;
	}
	unsigned code = s->in.hdr.cred == OM_DM_AUTH_NONE ? OM_DM_STATUS_MISSING_CRED : OM_DM_STATUS_UNAUTHORIZED;
	/* nothing kept: the next message's Cred is checked against this cookie (challenge_nonce) */
	challenge_nonce(s, x->sid, x->user, s->in.hdr.msg_id, cookie_window(s, now), x->nonce);
	x->nonce_sent = 1;
	answer_start(s, x, code);
	struct om_dm_cmd *c = &s->ans.cmds[0];
	c->chal = OM_DM_AUTH_MD5;
	c->next_nonce = x->nonce;
	c->next_nonce_len = sizeof(x->nonce);
	om_debug("dm_session", "sid=%s tre=%s result=challenged code=%u", x->sid, x->user, code);
	return 0;
}

/* ---- package 3: the M2MMobj, package 4: the M2MMCIMMobj or a refusal ----- */

/* The DM Status code for a refusal of dpf_m2mmobj (docs/dpf.md "Daemon"). */
static unsigned refusal_code(int rc)
{
	switch (rc) {
	case OM_EDPF_MALFORMED:
		return 400;
	case OM_EDPF_UNKNOWN_TRE:
	case OM_EDPF_STATE:
	case OM_EDPF_SIGNATURE:
	case OM_EDPF_NONCE_A:
	case OM_EDPF_REPLAY_NONCE_B:
	case OM_EDPF_REPLAY_NONCE_A:
	case OM_EDPF_PVA_REFUSED:
	case OM_EDPF_COUNTER:
	case OM_EDPF_TRE_BLOCKED:
		return 403;
	default:
		return OM_DM_STATUS_FAILED;
	}
}

static const struct om_dm_cmd *results_for(const struct om_dm_msg *m, uint32_t get_cmd)
{
	for (size_t i = 0; i < m->n_cmds; i++) {
		const struct om_dm_cmd *c = &m->cmds[i];
		if (c->type == OM_DM_CMD_RESULTS && c->cmd_ref == get_cmd && c->n_items == 1 && c->items[0].data &&
		    c->items[0].source && !strcmp(c->items[0].source, OM_DM_URI_M2MMOBJ))
			return c;
	}
	return NULL;
}

static int package3(struct dpf_dm *s, struct session *x, time_t now)
{
	const struct om_dm_cmd *r = results_for(&s->in, x->get_cmd);
	answer_start(s, x, OM_DM_STATUS_OK);
	if (next_nonce(s, x) < 0)
		return OM_ERANDOM;
	status_each(s, OM_DM_STATUS_OK);
	if (!r) {
		om_notice("dm_session", "sid=%s tre=%s result=refused reason=no-M2MMobj-results", x->sid, x->user);
		x->done = 1;
		x->result = "refused";
		return 0;
	}
	char why[DPF_REASON_MAX + 1] = "", tre_id[OM_TRE_ID_MAX + 1];
	const struct om_dm_item *it = &r->items[0];
	int n;
	/* the object must be the authenticated device's own */
	if (om_m2mmobj_peek_tre_id(it->data, it->data_len, tre_id) < 0 || strcmp(tre_id, x->user)) {
		n = OM_EDPF_UNKNOWN_TRE;
		snprintf(why, sizeof(why), "M2MMobj is not the authenticated device's");
	} else {
		n = dpf_m2mmobj_with(s->cfg.dpf, it->data, it->data_len, s->pva, now, s->obj, sizeof(s->obj), why,
				     sizeof(why));
	}
	if (n <= 0) {
		unsigned code = n < 0 ? refusal_code(n) : OM_DM_STATUS_FAILED;
		om_dm_add_status(&s->ans, s->in.hdr.msg_id, r->cmd_id, "Results", code);
		om_notice("dm_session", "sid=%s tre=%s result=refused code=%s dm=%u reason=%s", x->sid, x->user,
			  om_errname(n), code, why);
		x->done = 1;
		x->result = "refused";
		return 0;
	}
	om_dm_add_status(&s->ans, s->in.hdr.msg_id, r->cmd_id, "Results", OM_DM_STATUS_OK);
	struct om_dm_cmd *rep = om_dm_add_cmd(&s->ans, OM_DM_CMD_REPLACE);
	struct om_dm_item *ri = rep ? om_dm_add_item(rep) : NULL;
	if (!ri)
		return OM_EINVAL;
	ri->target = OM_DM_URI_M2MMCIMMOBJ;
	ri->type = OM_DM_TYPE_M2MMCIMMOBJ;
	ri->format = OM_DM_FMT_B64;
	ri->data = s->obj;
	ri->data_len = (size_t)n;
	x->replace_cmd = rep->cmd_id;
	x->replace_msg = x->srv_msg_id;
	x->app_cmd = 0;
	/* the application parameters after the credential (spec/000 5.2.4.3.5): same session, same source */
	if (s->cfg.app_params_len) {
		struct om_dm_cmd *app = om_dm_add_cmd(&s->ans, OM_DM_CMD_REPLACE);
		struct om_dm_item *ai = app ? om_dm_add_item(app) : NULL;
		if (!ai)
			return OM_EINVAL;
		ai->target = OM_DM_URI_APP_PARAMS;
		ai->type = OM_DM_TYPE_APP_PARAMS;
		ai->format = OM_DM_FMT_B64;
		ai->data = s->cfg.app_params;
		ai->data_len = s->cfg.app_params_len;
		x->app_cmd = app->cmd_id;
	}
	x->stage = ST_STATUS;
	om_debug("dm_session", "sid=%s tre=%s result=released", x->sid, x->user);
	return 0;
}

/* ---- package 3': the device's Status for the Replace ---------------------- */

static int install_report(struct dpf_dm *s, struct session *x, time_t now)
{
	unsigned code = 0, app_code = 0;
	for (size_t i = 0; i < s->in.n_cmds; i++) {
		const struct om_dm_cmd *c = &s->in.cmds[i];
		if (c->type == OM_DM_CMD_STATUS && c->msg_ref == x->replace_msg && c->cmd_ref == x->replace_cmd)
			code = c->code;
		else if (c->type == OM_DM_CMD_STATUS && x->app_cmd && c->msg_ref == x->replace_msg && c->cmd_ref == x->app_cmd)
			app_code = c->code;
	}
	if (x->app_cmd)
		om_info("app-params", "sid=%s tre=%s dm=%u result=%s", x->sid, x->user, app_code,
			app_code == OM_DM_STATUS_OK ? "set" : "not-set");
	enum dpf_install st = code == OM_DM_STATUS_OK ? DPF_INSTALL_SUCCESS : DPF_INSTALL_FAILURE;
	int rc = dpf_install_status(s->cfg.dpf, x->user, st, now);
	om_debug("dm_session", "sid=%s tre=%s result=%s dm=%u report=%s", x->sid, x->user,
		st == DPF_INSTALL_SUCCESS ? "installed" : "install-failed", code, rc < 0 ? om_errname(rc) : "recorded");
	answer_start(s, x, OM_DM_STATUS_OK);
	status_each(s, OM_DM_STATUS_OK);
	x->done = 1;
	x->result = st == DPF_INSTALL_SUCCESS ? "installed" : "install-failed";
	return 0;
}

/* ---- one message ----------------------------------------------------------- */

/*
 * A SyncML message of another version (DM 1.1, or VerProto not DM/1.2):
 * the header is readable, so it gets a SyncHdr Status 505 (SyncML RepPro
 * 1.2 10.3 "DTD Version not supported" / "Protocol Version not
 * supported") and Final, as a DM server answers what it cannot serve. No
 * session is opened or touched.
 */
static int version_refused(struct dpf_dm *s, const uint8_t *in, size_t len, int why, uint8_t **out,
			   size_t *out_len)
{
	int rc = om_dm_parse_hdr(in, len, &s->in);
	if (rc < 0) {
		om_notice("dm_session", "result=unreadable code=%s", om_errname(rc));
		return rc;
	}
	const struct om_dm_hdr *h = &s->in.hdr;
	om_notice("dm_session", "sid=%.64s result=refused reason=version code=%s status=505", h->session_id,
		  om_errname(why));
	om_dm_msg_init(&s->ans, h->session_id, 1, h->source, s->cfg.server_uri);
	struct om_dm_cmd *c = om_dm_add_status(&s->ans, h->msg_id, 0, "SyncHdr", 505);
	if (c) {
		c->target_ref = h->target;
		c->source_ref = h->source;
	}
	s->ans.final = 1;
	rc = answer_encode(s, out, out_len);
	om_dm_msg_free(&s->in);
	return rc;
}

/*
 * Package 3 of an authenticated session, its M2MMobj the session's device's:
 * the parsed message moves into *ask (s->in is left empty), so the PVA can
 * be asked about its object before the message is handled. 1, 0 (not such
 * a message) or OM_ENOMEM.
 */
static int pva_first(struct dpf_dm *s, const struct session *x, const uint8_t *in, size_t len,
		     struct dpf_dm_ask *ask)
{
	const struct om_dm_cmd *r = results_for(&s->in, x->get_cmd);
	char tre_id[OM_TRE_ID_MAX + 1];
	if (!r || om_m2mmobj_peek_tre_id(r->items[0].data, r->items[0].data_len, tre_id) < 0 || strcmp(tre_id, x->user))
		return 0;
	if (!(ask->msg = malloc(sizeof(*ask->msg))))
		return OM_ENOMEM;
	/* the item's data lives in the message's arena, which moves with it */
	ask->obj = r->items[0].data;
	ask->obj_len = r->items[0].data_len;
	*ask->msg = s->in;
	s->in.arena = NULL;
	ask->in = in;
	ask->len = len;
	return 1;
}

void dpf_dm_ask_free(struct dpf_dm_ask *ask)
{
	if (!ask)
		return;
	om_dm_msg_free(ask->msg);
	free(ask->msg);
	memset(ask, 0, sizeof(*ask));
}

int dpf_dm_handle(struct dpf_dm *s, const uint8_t *in, size_t len, const char *hmac, time_t now, uint8_t **out,
		  size_t *out_len)
{
	return dpf_dm_handle_pva(s, in, len, hmac, now, NULL, NULL, out, out_len);
}

int dpf_dm_handle_pva(struct dpf_dm *s, const uint8_t *in, size_t len, const char *hmac, time_t now,
		      const struct dpf_pva_result *pva, struct dpf_dm_ask *ask, uint8_t **out, size_t *out_len)
{
	if (!s || !in || !out || !out_len)
		return OM_EINVAL;
	*out = NULL;
	*out_len = 0;
	int rc;
	if (pva && ask && ask->msg && ask->in == in && ask->len == len) {
		/* the second call for a package 3: the message as the first call parsed it (issue 14) */
		s->in = *ask->msg;
		ask->msg->arena = NULL;
		dpf_dm_ask_free(ask);
		rc = 0;
	} else {
		dpf_dm_ask_free(ask);
		rc = om_dm_parse(in, len, &s->in);
	}
	if (rc == OM_EDM_VERDTD || rc == OM_EDM_VERPROTO)
		return version_refused(s, in, len, rc, out, out_len);
	if (rc < 0) {
		om_notice("dm_session", "result=unreadable code=%s", om_errname(rc));
		return rc;
	}
	const struct om_dm_hdr *h = &s->in.hdr;
	const char *user = h->source_name ? h->source_name : h->source;
	if (strlen(h->session_id) > SID_MAX || !user || !*user || strlen(user) > OM_BOOTSTRAP_NAME_MAX) {
		rc = OM_EDPF_DM_IDENTITY;
		goto out;
	}
	struct session *x = session_open(s, h->session_id, user, now);
	int fresh = !x;
	if (fresh) {
		/* no open session: answered from the probe, a slot only once it authenticates */
		x = &s->probe;
		session_end(x);
		x->stage = ST_AUTH;
		x->t0 = om_metric_start();
		snprintf(x->sid, sizeof(x->sid), "%s", h->session_id);
		snprintf(x->user, sizeof(x->user), "%s", user);
		x->srv_msg_id = h->msg_id - 1; /* our answer to message N is our message N */
		if (h->msg_id > 1 && h->cred == OM_DM_AUTH_MD5) {
			/* the Cred answers the cookie we gave message N - 1, in this window or the one before */
			x->cred_rc = cred_right_at(s, x, 1, h->msg_id - 1, cookie_window(s, now));
			x->cred_checked = 1;
		}
	}
	snprintf(x->device, sizeof(x->device), "%s", h->source);
	/* MsgIDs follow each other: anything else is a replay or a lost message */
	if (!fresh && h->msg_id != x->last_msg_id + 1) {
		om_notice("dm_session", "sid=%s tre=%s result=refused reason=msgid-out-of-order msgid=%u", x->sid,
			  x->user, (unsigned)h->msg_id);
		om_metric_inc(&m_dm_refused, "msgid-out-of-order");
		answer_start(s, x, 403);
		rc = answer_encode(s, out, out_len);
		goto out;
	}
	/* after the 212 every message must carry the HMAC of its bytes; one without or with a wrong one ends the
	 * session with a 401 and changes nothing (issue 12; docs/dm.md "HMAC after the 212") */
	int mac = x->stage != ST_AUTH ? hmac_right(s, x, in, len, hmac) : 0;
	if (mac == OM_EDPF_UNAVAILABLE) {
		/* the session and its MsgID stay as they were: the same message again is heard */
		om_notice("dm_session", "sid=%s tre=%s result=unavailable code=%s", x->sid, x->user, om_errname(mac));
		rc = mac;
		goto out;
	}
	if (mac < 0) {
		om_notice("dm_session", "sid=%s tre=%s result=refused code=%s reason=%s", x->sid, x->user,
			  om_errname(OM_EDPF_DM_HMAC), hmac ? "wrong-hmac" : "no-hmac");
		om_metric_inc_err(&m_dm_refused, OM_EDPF_DM_HMAC);
		answer_start(s, x, OM_DM_STATUS_UNAUTHORIZED);
		x->done = 1;
		rc = answer_encode(s, out, out_len);
		om_metric_inc(&m_sessions, "refused");
		om_metric_observe_since(&m_session_s, "refused", &x->t0);
		session_end(x);
		goto out;
	}
	/* the PVA is asked first, with the caller's locks released; the message is handled again with its answer */
	if (ask && !pva && x->stage == ST_RESULTS && x != &s->probe && (rc = pva_first(s, x, in, len, ask)) != 0)
		goto out;
	s->pva = pva;
	x->last_msg_id = h->msg_id;
	x->expires = now + (time_t)s->cfg.timeout_s;
	switch (x->stage) {
	case ST_AUTH:
		rc = package1(s, x, now);
		break;
	case ST_RESULTS:
		rc = package3(s, x, now);
		break;
	case ST_STATUS:
		rc = install_report(s, x, now);
		break;
	default:
		rc = OM_EINVAL;
	}
	if (rc == 0)
		rc = answer_encode(s, out, out_len);
	if (rc == 0 && x == &s->probe && x->stage != ST_AUTH && !x->done) {
		struct session *slot = slot_free(s);
		if (!slot) {
			om_notice("dm_session", "sid=%s tre=%s result=refused reason=sessions-full", x->sid, x->user);
			om_metric_inc_err(&m_dm_refused, OM_EDPF_DM_FULL);
			free(*out);
			*out = NULL;
			*out_len = 0;
			rc = OM_EDPF_DM_FULL;
		} else {
			*slot = *x;
			slot->cred_checked = 0;
			slot->in_slot = 1;
			om_metric_gauge_add(&m_open, NULL, 1);
		}
	}
	if (x->done || (rc < 0 && x != &s->probe)) {
		const char *res = x->done && x->result ? x->result : "error";
		om_metric_inc(&m_sessions, res);
		om_metric_observe_since(&m_session_s, res, &x->t0);
	}
	if (rc < 0 || x->done || x == &s->probe)
		session_end(x);
out:
	s->pva = NULL;
	om_dm_msg_free(&s->in);
	OPENSSL_cleanse(s->obj, sizeof(s->obj));
	return rc;
}
