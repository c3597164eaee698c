/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The device agent: TR 33.812 B.2.3.3-B.2.3.5 (spec/004 5.2.2.6.1) on top of
 * the TRE, top to bottom. om_agent_run() reads the TRE's durable state and
 * runs the step it calls for, again and again, until the device rests:
 *
 *   run_wait_push      attach with the active MID, take the pushed bootstrap (B.2.3.3)
 *   run_provisioning   the DM session with the new SHO's DPF (B.2.3.4 steps 4-VII),
 *                      then activate (VIII) and detach
 *   run_activation     attach with the new MCIM (B.2.3.5) before the Note Y deadline,
 *                      report `active`, confirm
 *   run_fallback       the deadline passed: attach with the previous MID again,
 *                      report `fallback`, drop the session
 *
 * The agent keeps no state of its own: a run killed anywhere starts again
 * from the TRE (agent.h's table; docs/agent.md). om_failpoint() marks every
 * step boundary for the crash test (docs/crash.md). No secret reaches an
 * event or a reason: the TRE computes RES and the DM credential, and only
 * IMSIs, codes and URLs are reported.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openmcim/aas_request.h>
#include <openmcim/app_params.h>
#include <openmcim/failpoint.h>
#include <openmcim/hex.h>
#include <openmcim/radio.h>

#include "agent.h"
#include "dm_client.h"

#define DEFAULT_TIMEOUT_MS 10000
#define DEFAULT_RETRY_MIN_MS 200
#define DEFAULT_RETRY_MAX_MS 5000
#define DEFAULT_RETRIES 8
#define MAX_STEPS 16 /* om_tre state changes in one run: a loop guard, never reached in a sane flow */

/* What a step came to, besides an om_err code. */
enum {
	STEP_AGAIN = 1,   /* the TRE's state moved on: look at it again */
	STEP_DONE = 2,    /* res->outcome is set */
	STEP_FELL = 3,    /* om_tre_tick fell back (Note Y) */
};

struct agent {
	const struct om_agent_config *cfg;
	struct om_agent_result *res;
	struct om_tre *tre;
	struct om_radio_link link;
	int attached;
	char imsi[OM_MCIM_IMSI_MAX + 1];
	struct om_radio_bearer bearer;
	int timeout_ms;
	unsigned retry_min, retry_max, retries, backoff;
	unsigned accepted; /* bootstraps the TRE took in this run */
	int bootstrap_rc;
	int app_rc;    /* why the last ./M2MAppParams was refused (app_params), 0 when it was kept */
	int aas_tried; /* the activation session ran in this run (run_app_activation) */
	void *tls_sessions; /* the DM clients' TLS sessions, for this run (agent_dm_sessions_new) */
};

const char *om_agent_outcome_name(int outcome)
{
	switch (outcome) {
	case OM_AGENT_IDLE:
		return "IDLE";
	case OM_AGENT_PROVISIONED:
		return "PROVISIONED";
	case OM_AGENT_FELL_BACK:
		return "FELL_BACK";
	case OM_AGENT_REFUSED:
		return "REFUSED";
	default:
		return "?";
	}
}

/* ---- helpers --------------------------------------------------------------------- */

static void event(struct agent *ag, const char *step, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void event(struct agent *ag, const char *step, const char *fmt, ...)
{
	char detail[512];
	va_list ap;
	if (!ag->cfg->on_event)
		return;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	ag->cfg->on_event(ag->cfg->event_arg, ag->res->tre_id, step, detail);
}

/* Set the run's error (or refusal) code and its one-line reason. */
static int fail(struct agent *ag, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct agent *ag, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ag->res->reason, sizeof(ag->res->reason), fmt, ap);
	va_end(ap);
	ag->res->code = code;
	return code;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* Exponential backoff after a lost message: retry_min, doubling up to retry_max; never past cap_ms. */
static void backoff(struct agent *ag, long cap_ms)
{
	unsigned ms = ag->backoff ? ag->backoff : ag->retry_min;
	ag->backoff = ms * 2 > ag->retry_max ? ag->retry_max : ms * 2;
	if (cap_ms >= 0 && (long)ms > cap_ms)
		ms = (unsigned)cap_ms;
	ag->res->retries++;
	sleep_ms(ms);
}

/* The active MID's IMSI and owner into the result: the identity the device rests with. */
static void note_identity(struct agent *ag)
{
	struct om_tre_mid_info mi;
	if (om_tre_active(ag->tre, &mi) == 0) {
		snprintf(ag->res->imsi, sizeof(ag->res->imsi), "%s", mi.imsi);
		snprintf(ag->res->owner, sizeof(ag->res->owner), "%s", mi.owner);
	}
}

/* Abort the bootstrap session (the TRE is as before the bootstrap) and end with REFUSED. */
static int refuse(struct agent *ag, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int refuse(struct agent *ag, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ag->res->reason, sizeof(ag->res->reason), fmt, ap);
	va_end(ap);
	ag->res->code = code;
	ag->res->outcome = OM_AGENT_REFUSED;
	int rc = om_tre_abort_session(ag->tre);
	event(ag, "refused", "code=%s session_aborted=%s reason=\"%s\"", om_errname(code), rc == 0 ? "yes" : "no",
	      ag->res->reason);
	return STEP_DONE;
}

/* ---- the radio: attach, AKA, push, detach ------------------------------------------ */

int om_agent_tre_aka(void *tre, const uint8_t rand[static OM_RAND_LEN], const uint8_t autn[static OM_AUTN_LEN],
		     const uint8_t snid[static OM_SNID_LEN], uint8_t res[static OM_NAS_RES_MAX], size_t *res_len,
		     uint8_t auts[static OM_AUTS_LEN], uint8_t kasme[static OM_KASME_LEN])
{
	struct om_usim_out o;
	int rc = om_tre_aka(tre, rand, autn, &o);
	if (rc == 0) {
		/* KASME in the ME from the TRE's CK and IK (TS 33.401 6.1.1, A.2); CK and IK go at once. */
		rc = om_nas_ue_kasme(kasme, o.ck, o.ik, snid, autn);
		memcpy(res, o.res, OM_RES_LEN);
		*res_len = OM_RES_LEN;
	} else if (rc == OM_EAUTH_SYNC) {
		memcpy(auts, o.auts, OM_AUTS_LEN);
	}
	om_usim_out_clear(&o);
	return rc;
}

/* B.2.3.3: a pushed bootstrap goes to the TRE as it came; the TRE checks everything. */
static int on_push(void *arg, const uint8_t *doc, size_t len)
{
	struct agent *ag = arg;
	char url[OM_BOOTSTRAP_URL_MAX + 1] = "", apn[OM_BOOTSTRAP_APN_MAX + 1] = "";
	struct om_tre_status st;
	ag->bootstrap_rc = om_tre_bootstrap(ag->tre, doc, len, time(NULL));
	if (ag->bootstrap_rc) {
		/* the TRE's files are as before: whoever can push holds no power over the wait (issue 12) */
		event(ag, "bootstrap-refused", "clause=B.2.3.3 code=%s action=ignored", om_errname(ag->bootstrap_rc));
		return ag->bootstrap_rc;
	}
	ag->accepted++;
	if (om_tre_dm_endpoint(ag->tre, url, apn) != 0 || om_tre_status(ag->tre, &st) != 0)
		st.bootstrap_sequence = 0;
	event(ag, "bootstrap", "clause=B.2.3.3 step=4 trust_root=%s sequence=%u provurl=%s apn=%s", st.trust_root_cn,
	      st.bootstrap_sequence, url, apn);
	om_failpoint("agent.bootstrap");
	return 0;
}

static void link_down(struct agent *ag)
{
	om_radio_link_close(&ag->link);
	ag->attached = 0;
}

static void detach(struct agent *ag)
{
	if (ag->attached) {
		int rc = om_radio_ue_detach(&ag->link, ag->imsi, ag->timeout_ms);
		event(ag, "detached", "imsi=%s result=%s", ag->imsi, rc ? om_errname(rc) : "ok");
	}
	link_down(ag);
}

/*
 * One attach with the TRE's active MID mi at network net (a fresh radio link
 * each time). Every failure here is the network's or the link's: worth
 * another try, there or at the next network.
 */
static int attach_at(struct agent *ag, const struct om_agent_network *net, const struct om_tre_mid_info *mi,
		     int timeout_ms)
{
	struct om_radio_attach_result r;
	int rc;
	link_down(ag);
	rc = om_radio_link_connect(&ag->link, net->host, net->port);
	if (rc) {
		event(ag, "attach-failed", "imsi=%s network=%s code=%s reason=\"vno unreachable\"", mi->imsi, net->name,
		      om_errname(rc));
		return rc;
	}
	om_radio_ue_on_push(&ag->link, on_push, ag);
	memset(&r, 0, sizeof(r));
	ag->res->attaches++;
	rc = om_radio_ue_attach(&ag->link, mi->imsi, mi->apn, om_agent_tre_aka, ag->tre, timeout_ms, &r);
	if (rc) {
		link_down(ag);
		event(ag, "attach-failed", "imsi=%s network=%s code=%s emm_cause=%u auth_rounds=%u", mi->imsi, net->name,
		      om_errname(rc), (unsigned)r.emm_cause, r.auth_rounds);
		return rc;
	}
	ag->attached = 1;
	snprintf(ag->res->network, sizeof(ag->res->network), "%s", net->name);
	ag->bearer = r.bearer;
	snprintf(ag->imsi, sizeof(ag->imsi), "%s", mi->imsi);
	note_identity(ag);
	event(ag, mi->pending ? "attached-new" : "attached",
	      "clause=%s imsi=%s owner=%s pcid=%d network=%s apn=%s auth_rounds=%u resync=%d smc=%u eea=%u eia=%u",
	      mi->pending ? "B.2.3.5" : "B.2.3.3", mi->imsi, mi->owner, mi->is_pcid, net->name, r.apn, r.auth_rounds,
	      r.sent_sync_failure ? 1 : 0, r.smc_rounds, r.eea, r.eia);
	return 0;
}

/*
 * One attach: the configured networks in their order until one accepts
 * (spec/000 5.2.4.6.3 step 6: a synthetic credential is accepted only where
 * the owner made a contract; 5.2.2.3.2 step 1). Each is tried once per
 * call; attach_retry's backoff runs between whole passes. The last
 * network's code when none accepted.
 */
static int attach_once(struct agent *ag, const struct om_tre_mid_info *mi, int timeout_ms)
{
	const struct om_agent_config *c = ag->cfg;
	struct om_agent_network one = { .name = "vno", .host = c->vno_host, .port = c->vno_port };
	const struct om_agent_network *nets = c->n_networks ? c->networks : &one;
	size_t n = c->n_networks ? c->n_networks : 1;
	int rc = OM_EAGENT_NETWORK;
	ag->res->network[0] = 0;
	for (size_t i = 0; i < n; i++)
		if ((rc = attach_at(ag, &nets[i], mi, timeout_ms)) == 0)
			return 0;
	return rc;
}

/*
 * Attach with the active MID, retrying with backoff: cfg->retries times,
 * or, with a deadline (Note Y), until om_tre_tick falls back (STEP_FELL).
 */
static int attach_retry(struct agent *ag, time_t deadline)
{
	int rc = 0;
	ag->backoff = 0;
	for (unsigned i = 0; deadline || i < ag->retries; i++) {
		int tmo = ag->timeout_ms;
		if (deadline) {
			int t = om_tre_tick(ag->tre, time(NULL));
			if (t == 1)
				return STEP_FELL;
			if (t < 0)
				return fail(ag, t, "fallback: %s", om_errname(t));
			long left = (long)(deadline - time(NULL)) * 1000;
			if (left < tmo)
				tmo = left > 500 ? (int)left : 500;
		}
		/* No usable MID (none active, or blocked at secure boot): no retry mends that. */
		struct om_tre_mid_info mi;
		rc = om_tre_active(ag->tre, &mi);
		if (rc)
			return fail(ag, rc, "no identity to attach with: %s", om_strerror(rc));
		rc = attach_once(ag, &mi, tmo);
		if (rc == 0) {
			ag->backoff = 0;
			return 0;
		}
		if (!deadline && i + 1 >= ag->retries)
			break;
		backoff(ag, deadline ? ((long)(deadline - time(NULL)) * 1000 + 50) : -1);
	}
	return fail(ag, OM_EAGENT_NETWORK, "attach failed %u times, last %s", ag->retries, om_errname(rc));
}

/* ---- the DM session (B.2.3.4) ------------------------------------------------------ */

static int dm_open(struct agent *ag, struct agent_dm **dm)
{
	char url[OM_BOOTSTRAP_URL_MAX + 1], apn[OM_BOOTSTRAP_APN_MAX + 1];
	char user[OM_BOOTSTRAP_NAME_MAX + 1], server_id[OM_BOOTSTRAP_NAME_MAX + 1];
	int rc = om_tre_dm_endpoint(ag->tre, url, apn);
	if (!rc)
		rc = om_tre_dm_identity(ag->tre, user, server_id);
	if (rc)
		return rc;
	if (!url[0])
		return OM_ETRE_NO_SESSION; /* a session from a version 2 state: no PROVURL kept */
	/* B.2.3.3: the DPF is whoever proves Cert_SHO[i+1]; after a fallback the TRE no longer holds it */
	uint8_t anchor[OM_TRE_ANCHOR_MAX];
	int n = om_tre_dm_server_anchor(ag->tre, anchor, sizeof(anchor));
	if (n < 0 && n != OM_ETRE_NO_SESSION)
		return n;
	rc = agent_dm_new(dm, url, &ag->bearer, n > 0 ? anchor : NULL, n > 0 ? (size_t)n : 0, ag->cfg->dm_ca_file,
			  ag->timeout_ms, ag->res->tre_id, user);
	if (!rc) {
		/* the outcome report resumes the provisioning session's TLS session (issue 14) */
		if (!ag->tls_sessions)
			ag->tls_sessions = agent_dm_sessions_new();
		agent_dm_use_sessions(*dm, ag->tls_sessions);
	}
	if (!rc)
		event(ag, "dm-open", "provurl=%s server_id=%s apn=%s bearer=default dpf_trust=%s", url, server_id, apn,
		      n > 0 ? ((*dm)->pinned ? "cert_sho_key" : "cert_sho_ca") : "dm_ca");
	return rc;
}

/* The DM status a device answers for a refused M2MMCIMMobj (OMA-TS-SyncML-RepPro 10). */
static unsigned install_status(int rc)
{
	return rc == OM_EIO || rc == OM_ENOMEM || rc == OM_ETRE_FULL ? OM_DM_STATUS_FAILED : 400;
}

/* The device's Status for the Replace (package 3'): SyncHdr 200 and the install's code; app_cmd's if set. */
static void send_install_status(struct agent_dm *dm, uint32_t srv_msg, uint32_t rep_cmd, unsigned code,
				uint32_t app_cmd, unsigned app_code)
{
	agent_dm_begin(dm);
	agent_dm_install_status(&dm->out, srv_msg, rep_cmd, code);
	if (app_cmd)
		agent_dm_replace_status(&dm->out, srv_msg, app_cmd, OM_DM_URI_APP_PARAMS, app_code);
}

/* Write the object to path (0600, whole or not at all: a temporary file renamed over it). */
static int store_app_params(const char *path, const uint8_t *obj, size_t len)
{
	char tmp[4096];
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return OM_EINVAL;
	/* a leftover of a crash is removed; a file or link planted there is never followed */
	if (unlink(tmp) < 0 && errno != ENOENT)
		return OM_EIO;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return OM_EIO;
	int ok = write(fd, obj, len) == (ssize_t)len && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, path) < 0) {
		unlink(tmp);
		return OM_EIO;
	}
	return 0;
}

/*
 * The application parameters a DPF may set with the MCIM (./M2MAppParams, spec/000
 * 5.2.4.3.5): checked with the one codec, kept in the result and stored at
 * app_params_path. The DM Status for its Replace: 200, 400 (malformed: nothing kept)
 * or 500 (not stored). 0 when the session set none.
 */
static unsigned app_params(struct agent *ag, struct agent_dm *dm, uint32_t *cmd)
{
	struct om_app_params p;
	const struct om_dm_cmd *c = NULL;
	*cmd = 0;
	for (size_t i = 0; i < dm->in.n_cmds && !c; i++)
		if (dm->in.cmds[i].type == OM_DM_CMD_REPLACE && dm->in.cmds[i].n_items == 1 &&
		    dm->in.cmds[i].items[0].target && !strcmp(dm->in.cmds[i].items[0].target, OM_DM_URI_APP_PARAMS))
			c = &dm->in.cmds[i];
	if (!c)
		return 0;
	*cmd = c->cmd_id;
	const struct om_dm_item *it = &c->items[0];
	int rc = it->data ? om_app_params_parse(it->data, it->data_len, &p) : OM_EOBJ_MISSING;
	ag->app_rc = rc;
	if (rc < 0) {
		event(ag, "app-params-refused", "code=%s", om_errname(rc));
		return 400;
	}
	if (ag->cfg->app_params_path && (rc = store_app_params(ag->cfg->app_params_path, it->data, it->data_len)) < 0) {
		ag->app_rc = rc;
		event(ag, "app-params-refused", "code=%s reason=not-stored", om_errname(rc));
		return OM_DM_STATUS_FAILED;
	}
	snprintf(ag->res->app_server, sizeof(ag->res->app_server), "%s", p.server);
	event(ag, "app-params", "clause=spec/000-5.2.4.3.5 server=%s anchor_bytes=%zu stored=%s", p.server,
	      p.anchor_len, ag->cfg->app_params_path ? "yes" : "no");
	return OM_DM_STATUS_OK;
}

/*
 * One DM session, B.2.3.4 steps 4-VII: 0 with the MCIM installed (mid);
 * STEP_DONE on a refusal (res set, session aborted); a transient code
 * (the caller starts a new session); another negative code: give up.
 */
static int dm_session(struct agent *ag, struct agent_dm *dm, uint8_t mid[static OM_MCIM_MID_LEN])
{
	static const char *const lost = "the DPF lost the session";
	uint8_t obj[OM_MOBJ_MAX];

	/* Step 4: package 1, challenged, then with the Cred the TRE computes. */
	int rc = agent_dm_authenticate(dm, ag->tre, 0, NULL);
	if (rc == OM_EAGENT_REFUSED)
		return refuse(ag, rc, "the DPF refused the DM credentials: %s", dm->why);
	if (rc)
		return rc;
	event(ag, "dm-authenticated", "clause=B.2.3.4 step=4 session=%s device=%s", dm->session_id, dm->dev_id);
	om_failpoint("agent.dm-authenticated");
	const struct om_dm_cmd *get = agent_dm_find(dm, OM_DM_CMD_GET);
	if (!get || get->n_items < 1 || !get->items[0].target || strcmp(get->items[0].target, OM_DM_URI_M2MMOBJ)) {
		snprintf(dm->why, sizeof(dm->why), "no Get of %s after the 212", OM_DM_URI_M2MMOBJ);
		return OM_EAGENT_DM;
	}
	uint32_t srv_msg = dm->in.hdr.msg_id, get_cmd = get->cmd_id;

	/* Steps II and 5: the TRE signs M2MMobj {TRE info, nonceA, nonceB}; package 3 carries it as Results. */
	int n = om_tre_m2mmobj(ag->tre, obj, sizeof(obj));
	if (n < 0)
		return fail(ag, n, "M2MMobj: %s", om_strerror(n));
	agent_dm_begin(dm);
	uint32_t my_msg = dm->next_msg_id;
	uint32_t results_cmd = agent_dm_package3(&dm->out, srv_msg, get_cmd, obj, (size_t)n);
	rc = agent_dm_exchange(dm);
	if (rc)
		return rc;
	event(ag, "m2mmobj-sent", "clause=B.2.3.4 step=5 bytes=%d", n);
	om_failpoint("agent.m2mmobj-sent");

	/* Steps III-V at the DPF; step 7: the Replace of ./M2MMCIMMobj, or a refusal. */
	unsigned hs = agent_dm_hdr_status(dm);
	if (hs == OM_DM_STATUS_MISSING_CRED || hs == OM_DM_STATUS_UNAUTHORIZED || hs == 403) {
		/* A DPF that restarted forgot the session: a new one from package 1
		 * (the DPF supersedes the unreported release on a fresh M2MMobj). */
		snprintf(dm->why, sizeof(dm->why), "%s (status %u)", lost, hs);
		event(ag, "dm-restart", "status=%u", hs);
		return OM_EAGENT_DM;
	}
	const struct om_dm_cmd *rep = agent_dm_find(dm, OM_DM_CMD_REPLACE);
	if (!rep || rep->n_items < 1 || !rep->items[0].target ||
	    strcmp(rep->items[0].target, OM_DM_URI_M2MMCIMMOBJ) || !rep->items[0].data) {
		const struct om_dm_cmd *st = agent_dm_status_for(dm, my_msg, results_cmd);
		unsigned code = st ? st->code : 0;
		if (code >= 400 && code < 500)
			return refuse(ag, OM_EAGENT_REFUSED, "the DPF refused the M2MMobj with status %u", code);
		snprintf(dm->why, sizeof(dm->why), "no M2MMCIMMobj, status %u for the Results", code);
		return code >= 500 ? OM_EAGENT_NETWORK : OM_EAGENT_DM;
	}
	uint32_t rep_msg = dm->in.hdr.msg_id, rep_cmd = rep->cmd_id;

	/* Steps VI-VII: the TRE checks SHO[i+1]'s signature and nonceB, opens and stores the MCIM. */
	rc = om_tre_install_mcim(ag->tre, rep->items[0].data, rep->items[0].data_len, time(NULL), mid);
	if (rc) {
		send_install_status(dm, rep_msg, rep_cmd, install_status(rc), 0, 0);
		int sent = agent_dm_exchange(dm);
		event(ag, "install-reported", "status=%u delivered=%s", install_status(rc), sent ? "no" : "yes");
		return refuse(ag, rc, "the TRE refused the M2MMCIMMobj: %s", om_strerror(rc));
	}
	struct om_tre_mid_info mi[OM_TRE_MIDS_MAX];
	struct om_tre_status tst;
	const char *imsi = "?";
	if (om_tre_status(ag->tre, &tst) == 0) {
		int k = om_tre_mid_list(ag->tre, tst.trust_root_cn, mi, OM_TRE_MIDS_MAX);
		for (int i = 0; i < k && i < OM_TRE_MIDS_MAX; i++)
			if (!memcmp(mi[i].mid, mid, OM_MCIM_MID_LEN))
				imsi = mi[i].imsi;
		event(ag, "installed", "clause=B.2.3.4 step=VII imsi=%s owner=%s", imsi, tst.trust_root_cn);
	}
	om_failpoint("agent.installed");

	/* The application parameters of the same message, if any; then package 3': the install's Status 200.
	 * Best effort: the outcome report says it again. */
	uint32_t app_cmd = 0;
	unsigned app_code = app_params(ag, dm, &app_cmd);
	for (int i = 0; i < 2; i++) {
		send_install_status(dm, rep_msg, rep_cmd, OM_DM_STATUS_OK, app_cmd, app_code);
		rc = agent_dm_exchange(dm);
		if (rc == 0 || rc == OM_EAGENT_DM)
			break;
	}
	event(ag, "install-reported", "status=200 delivered=%s answer=%u", rc ? "no" : "yes",
	      rc ? 0 : agent_dm_hdr_status(dm));
	om_failpoint("agent.install-reported");
	return 0;
}

/* An MCIM installed in this session but not yet activated (a run stopped after step VII). */
static int installed_mid(struct agent *ag, uint8_t mid[static OM_MCIM_MID_LEN])
{
	struct om_tre_status st;
	struct om_tre_mid_info mi[OM_TRE_MIDS_MAX];
	if (om_tre_status(ag->tre, &st) != 0)
		return 0;
	int n = om_tre_mid_list(ag->tre, st.trust_root_cn, mi, OM_TRE_MIDS_MAX);
	for (int i = 0; i < n && i < OM_TRE_MIDS_MAX; i++) {
		if (mi[i].state == OM_TRE_MID_INSTALLED && !mi[i].is_pcid) {
			memcpy(mid, mi[i].mid, OM_MCIM_MID_LEN);
			return 1;
		}
	}
	return 0;
}

/*
 * The outcome report (docs/agent.md): a new DM session whose package 1 adds
 * Alert 1226 for ./M2MMCIMMobj with the TRE's signed statement, `active`
 * or `fallback` (om_tre_outcome). 0 when the DPF
 * answered Status 200 for it; OM_EAGENT_REFUSED when it answered otherwise
 * (an answer all the same); a transient code when every try was lost.
 */
static int report_outcome(struct agent *ag, int kind, time_t deadline)
{
	const char *outcome = om_outcome_name(kind);
	struct agent_dm *dm = NULL;
	int rc = dm_open(ag, &dm);
	if (rc)
		return rc;
	ag->backoff = 0;
	for (unsigned i = 0; i < ag->retries; i++) {
		uint32_t cmd = 0;
		if (i) {
			if (deadline && time(NULL) + 1 >= deadline)
				break;
			backoff(ag, deadline ? ((long)(deadline - time(NULL)) * 1000) : -1);
			agent_dm_new_session(dm);
		}
		rc = agent_dm_authenticate(dm, ag->tre, kind, &cmd);
		/* refused, or the TRE will not sign it (its state says otherwise): saying it again changes nothing */
		if (rc == OM_EAGENT_REFUSED || rc == OM_ETRE_OUTCOME || rc == OM_ETRE_NO_SESSION)
			break;
		if (rc) {
			event(ag, "report-lost", "outcome=%s try=%u code=%s why=\"%s\"", outcome, i + 1, om_errname(rc),
			      dm->why);
			continue;
		}
		const struct om_dm_cmd *st = agent_dm_status_for(dm, dm->next_msg_id - 1, cmd);
		unsigned code = st ? st->code : 0;
		if (code >= 500) {
			/* "not recorded" (docs/dpf.md): the DPF could not write it; say it again. */
			rc = OM_EAGENT_NETWORK;
			snprintf(dm->why, sizeof(dm->why), "outcome status %u", code);
			event(ag, "report-lost", "outcome=%s try=%u status=%u", outcome, i + 1, code);
			continue;
		}
		event(ag, "reported", "clause=B.2.3.5 outcome=%s status=%u", outcome, code);
		if (code != OM_DM_STATUS_OK)
			snprintf(dm->why, sizeof(dm->why), "outcome status %u", code);
		rc = code == OM_DM_STATUS_OK ? 0 : OM_EAGENT_REFUSED;
		break;
	}
	if (rc == OM_EAGENT_REFUSED)
		event(ag, "report-refused", "outcome=%s why=\"%s\"", outcome, dm->why);
	ag->res->dm_messages += dm->messages;
	ag->res->dm_tls_full += dm->tls_full;
	ag->res->dm_tls_resumed += dm->tls_resumed;
	agent_dm_free(dm);
	return rc;
}

/* ---- application activation (spec/000 5.2.4.6.3 steps 7-8) ------------------------ */

/* The parameters kept at app_params_path pass the codec: nothing to ask for (their server into the result). */
static int params_held(struct agent *ag)
{
	const char *path = ag->cfg->app_params_path;
	uint8_t obj[OM_APP_PARAMS_MAX + 1];
	struct om_app_params p;
	/* O_NONBLOCK: a FIFO under the name reads as nothing held instead of blocking the run */
	int fd = path ? open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) : -1;
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, obj, sizeof(obj));
	close(fd);
	if (n <= 0 || (size_t)n > OM_APP_PARAMS_MAX || om_app_params_parse(obj, (size_t)n, &p) < 0)
		return 0;
	snprintf(ag->res->app_server, sizeof(ag->res->app_server), "%s", p.server);
	return 1;
}

/*
 * One activation session (docs/aas.md): package 1 (Alert 1201, DevInfo);
 * the AAS challenges (407, a nonce), and package 1 again carries the TRE's
 * activation request over that nonce (om_tre_aas_request) in a Generic
 * Alert of ./M2MActivation; the AAS answers with a Replace of
 * ./M2MAppParams, checked and kept by app_params() as a DPF's would be;
 * our Status for it closes the session. 0 when kept; OM_EAGENT_REFUSED (the
 * AAS refused our request: 401, has no parameters for us: 404, or would not
 * send its file: 500), the codec's code (we refused them), the TRE's, or
 * the codes of agent_dm_exchange().
 */
static int aas_session(struct agent *ag, struct agent_dm *dm)
{
	uint8_t req[OM_AAS_REQUEST_MAX];
	agent_dm_begin(dm);
	uint32_t my_msg = dm->next_msg_id, app_cmd = 0;
	agent_dm_package1(&dm->out, dm->dev_id, NULL, 0, NULL);
	int rc = agent_dm_exchange(dm);
	if (rc)
		return rc;
	if (agent_dm_hdr_status(dm) == OM_DM_STATUS_MISSING_CRED && dm->nonce_len == OM_AAS_NONCE_LEN) {
		/* step 7: the TRE proves it is the TRE_id it names, over the AAS's nonce */
		int n = om_tre_aas_request(ag->tre, dm->nonce, req, sizeof(req));
		if (n < 0)
			return n;
		agent_dm_begin(dm);
		my_msg = dm->next_msg_id;
		agent_dm_package1(&dm->out, dm->dev_id, NULL, 0, NULL);
		struct om_dm_cmd *a = om_dm_add_cmd(&dm->out, OM_DM_CMD_ALERT);
		struct om_dm_item *it = a ? om_dm_add_item(a) : NULL;
		if (!it)
			return OM_EAGENT_DM;
		a->code = OM_DM_ALERT_GENERIC;
		it->source = OM_DM_URI_AAS_REQUEST;
		it->type = OM_DM_TYPE_AAS_REQUEST;
		it->format = OM_DM_FMT_B64;
		it->data = req;
		it->data_len = (size_t)n;
		if ((rc = agent_dm_exchange(dm)) != 0)
			return rc;
		event(ag, "aas-request", "clause=spec/000-5.2.4.6.3 step=7 bytes=%d status=%u", n, agent_dm_hdr_status(dm));
	}
	if (agent_dm_hdr_status(dm) != OM_DM_STATUS_OK) {
		snprintf(dm->why, sizeof(dm->why), "the AAS answered status %u", agent_dm_hdr_status(dm));
		return OM_EAGENT_REFUSED;
	}
	uint32_t srv_msg = dm->in.hdr.msg_id;
	unsigned code = app_params(ag, dm, &app_cmd);
	if (!app_cmd) {
		const struct om_dm_cmd *st = agent_dm_status_for(dm, my_msg, 1); /* the Alert: CmdID 1 */
		snprintf(dm->why, sizeof(dm->why), "no %s, status %u for the Alert", OM_DM_URI_APP_PARAMS,
			 st ? st->code : 0);
		return OM_EAGENT_REFUSED;
	}
	agent_dm_begin(dm);
	agent_dm_app_status(&dm->out, srv_msg, app_cmd, code);
	int sent = agent_dm_exchange(dm); /* best effort: what we kept does not depend on it */
	event(ag, "app-params-reported", "status=%u delivered=%s", code, sent ? "no" : "yes");
	if (code != OM_DM_STATUS_OK)
		snprintf(dm->why, sizeof(dm->why), "./M2MAppParams refused: %s", om_errname(ag->app_rc));
	return code == OM_DM_STATUS_OK ? 0 : ag->app_rc ? ag->app_rc : OM_EAGENT_DM;
}

/* "sha256:" and the 64 hex digits of the SHA-256 of the AAS's SubjectPublicKeyInfo DER: 0, else -1. */
static int aas_pin_parse(const char *s, uint8_t out[static 32])
{
	return s && !strncmp(s, "sha256:", 7) && strlen(s + 7) == 64 && om_hex_decode(out, 32, s + 7) == 0 ? 0 : -1;
}

/*
 * Steps 7-8 after the attach, once per run, while no parameters are held:
 * the AAS at the address the factory configured (cfg->aas_url), trusted
 * only when its key is the one the factory pinned (cfg->aas_pin, the
 * SHA-256 of its SubjectPublicKeyInfo): never the DM CA file, never the
 * TRE's trust root (the manufacturer's signing key, or after a change of
 * operator the operator's), never an address the network gave. A failure
 * keeps nothing and is not the run's: the device is attached, and the next
 * run asks again (res->aas_code says why).
 */
static void run_app_activation(struct agent *ag)
{
	uint8_t pin[32];
	struct agent_dm *dm = NULL;
	if (!ag->cfg->aas_url || ag->aas_tried || params_held(ag))
		return;
	ag->aas_tried = 1;
	int rc = aas_pin_parse(ag->cfg->aas_pin, pin) ? OM_EAGENT_CONFIG
						      : agent_dm_new_pinned(&dm, ag->cfg->aas_url, &ag->bearer, pin,
									    ag->timeout_ms, ag->res->tre_id, ag->res->tre_id);
	if (rc == 0) {
		event(ag, "aas-open", "clause=spec/000-5.2.4.6.3 step=7 url=%s aas_trust=aas_pin", ag->cfg->aas_url);
		ag->backoff = 0;
		for (unsigned i = 0;; i++) {
			rc = aas_session(ag, dm);
			if (rc != OM_EAGENT_NETWORK && rc != OM_EAGENT_DM)
				break;
			event(ag, "aas-lost", "try=%u code=%s why=\"%s\"", i + 1, om_errname(rc), dm->why);
			if (i + 1 >= ag->retries)
				break;
			backoff(ag, -1);
			agent_dm_new_session(dm);
		}
	}
	if (rc == OM_EAGENT_DPF_IDENTITY)
		rc = OM_EAGENT_AAS_IDENTITY; /* nothing was sent to it, nothing taken from it */
	ag->res->aas_code = rc;
	if (rc)
		event(ag, "aas-refused", "clause=spec/000-5.2.4.6.3 step=8 code=%s why=\"%s\" kept=nothing", om_errname(rc),
		      dm ? dm->why : "");
	if (dm) {
		ag->res->dm_messages += dm->messages;
		ag->res->dm_tls_full += dm->tls_full;
		ag->res->dm_tls_resumed += dm->tls_resumed;
		agent_dm_free(dm);
	}
}

/* ---- the steps --------------------------------------------------------------------- */

/*
 * Whether a bootstrap was accepted since *seen: only that ends the wait. A
 * refused push (one already taken, repeated by the DRF's at-least-once
 * delivery, or one that fails verification: anyone the VNO lets push can
 * send junk) was logged by on_push and changed nothing; the wait goes on.
 */
static int push_decides(struct agent *ag, unsigned *seen)
{
	if (ag->accepted == *seen)
		return 0;
	*seen = ag->accepted;
	return 1;
}

/* No session: attach with the active MID and wait for a bootstrap (B.2.3.3). */
static int run_wait_push(struct agent *ag)
{
	int wait = ag->cfg->wait_push_ms;
	time_t until = wait > 0 ? time(NULL) + (wait + 999) / 1000 : 0;
	unsigned pushes = ag->accepted;

	for (unsigned lost = 0;;) {
		if (!ag->attached) {
			int rc = attach_retry(ag, 0);
			if (rc)
				return rc;
			om_failpoint("agent.attached");
		}
		run_app_activation(ag);
		/* A push may have come during the attach itself. */
		if (push_decides(ag, &pushes))
			break;
		if (wait == 0) {
			ag->res->outcome = OM_AGENT_IDLE;
			return STEP_DONE;
		}
		int tmo = wait < 0 ? -1 : (int)((until - time(NULL)) * 1000);
		if (wait > 0 && tmo <= 0) {
			ag->res->outcome = OM_AGENT_IDLE;
			return STEP_DONE;
		}
		int rc = om_radio_ue_wait_push(&ag->link, tmo);
		if (push_decides(ag, &pushes))
			break;
		if (ag->bootstrap_rc && rc == ag->bootstrap_rc)
			continue; /* a refused bootstrap: still attached, wait on */
		if (rc == OM_ERADIO_TIMEOUT) {
			ag->res->outcome = OM_AGENT_IDLE;
			return STEP_DONE;
		}
		/* The link or the bearer went: attach again. */
		event(ag, "link-lost", "code=%s", om_errname(rc));
		link_down(ag);
		if (++lost > ag->retries)
			return fail(ag, OM_EAGENT_NETWORK, "radio link lost %u times", lost);
		backoff(ag, -1);
	}
	return STEP_AGAIN;
}

/* A session, nothing activated: B.2.3.4 steps 4-VIII, then detach for the new MCIM. */
static int run_provisioning(struct agent *ag)
{
	uint8_t mid[OM_MCIM_MID_LEN];
	struct agent_dm *dm = NULL;
	int rc;

	if (!installed_mid(ag, mid)) {
		if (!ag->attached) {
			rc = attach_retry(ag, 0);
			if (rc)
				return rc;
			om_failpoint("agent.attached");
		}
		rc = dm_open(ag, &dm);
		if (rc == OM_ETRE_NO_SESSION)
			return refuse(ag, rc, "the bootstrap session names no DPF");
		if (rc)
			return fail(ag, rc, "DM client: %s", om_strerror(rc));
		ag->backoff = 0;
		for (unsigned i = 0;; i++) {
			rc = dm_session(ag, dm, mid);
			if (rc == 0 || rc == STEP_DONE)
				break;
			/* a DPF that is not the bootstrap's got nothing: as lost, the genuine one may answer next */
			if (rc != OM_EAGENT_NETWORK && rc != OM_EAGENT_DM && rc != OM_EAGENT_DPF_IDENTITY)
				break;
			event(ag, "dm-lost", "try=%u code=%s why=\"%s\"", i + 1, om_errname(rc), dm->why);
			if (i + 1 >= ag->retries) {
				rc = fail(ag, rc, "DM session with the DPF failed %u times: %s", i + 1, dm->why);
				break;
			}
			backoff(ag, -1);
			agent_dm_new_session(dm);
		}
		ag->res->dm_messages += dm->messages;
		ag->res->dm_tls_full += dm->tls_full;
		ag->res->dm_tls_resumed += dm->tls_resumed;
		agent_dm_free(dm);
		if (rc)
			return rc;
	}

	/* Step VIII (Note Y): the new MCIM active, the previous one kept until confirmed. */
	rc = om_tre_activate(ag->tre, mid, time(NULL), ag->cfg->fallback_s);
	if (rc)
		return refuse(ag, rc, "the TRE refused to activate the MCIM: %s", om_strerror(rc));
	struct om_tre_status st;
	if (om_tre_status(ag->tre, &st) == 0)
		event(ag, "activated", "clause=B.2.3.4 step=VIII deadline=%lld", (long long)st.fallback_deadline);
	om_failpoint("agent.activated");
	/* B.2.3.5: the new MCIM attaches afresh; leave the current network first. */
	detach(ag);
	return STEP_AGAIN;
}

/* An activation pending: attach with the new MCIM before the deadline, report `active`, confirm. */
static int run_activation(struct agent *ag, time_t deadline)
{
	int rc = attach_retry(ag, deadline);
	if (rc == STEP_FELL) {
		event(ag, "fell-back", "clause=B.2.3.4 note=Y deadline=%lld", (long long)deadline);
		om_failpoint("agent.fell-back");
		return STEP_AGAIN;
	}
	if (rc)
		return rc;
	om_failpoint("agent.attached-new");

	/* The outcome to the new SHO's DPF while the DM credentials are still held. */
	rc = report_outcome(ag, OM_OUTCOME_ACTIVE, deadline);
	if (rc && rc != OM_EAGENT_REFUSED) {
		if (om_tre_tick(ag->tre, time(NULL)) == 1)
			return STEP_AGAIN;
		return fail(ag, OM_EAGENT_NETWORK, "the outcome report could not be delivered: %s", om_errname(rc));
	}
	om_failpoint("agent.reported");
	rc = om_tre_confirm(ag->tre, time(NULL));
	if (rc == OM_ETRE_MID_STATE && om_tre_tick(ag->tre, time(NULL)) == 1)
		return STEP_AGAIN; /* the deadline won while we reported */
	if (rc)
		return fail(ag, rc, "confirm: %s", om_strerror(rc));
	note_identity(ag);
	event(ag, "confirmed", "clause=B.2.3.5 imsi=%s owner=%s", ag->res->imsi, ag->res->owner);
	om_failpoint("agent.confirmed");
	ag->res->outcome = OM_AGENT_PROVISIONED;
	return STEP_DONE;
}

/* After a fallback: attach with the previous MID, report `fallback` (best effort), drop the session. */
static int run_fallback(struct agent *ag)
{
	int rc;
	if (!ag->attached) {
		rc = attach_retry(ag, 0);
		if (rc)
			return rc;
		om_failpoint("agent.attached");
	}
	rc = report_outcome(ag, OM_OUTCOME_FALLBACK, 0);
	if (rc)
		event(ag, "report-lost", "outcome=fallback code=%s", om_errname(rc));
	om_failpoint("agent.fallback-reported");
	rc = om_tre_abort_session(ag->tre);
	if (rc && rc != OM_ETRE_NO_SESSION)
		return fail(ag, rc, "abort session: %s", om_strerror(rc));
	note_identity(ag);
	ag->res->outcome = OM_AGENT_FELL_BACK;
	return STEP_DONE;
}

/* ---- the run ---------------------------------------------------------------------- */

static int check_config(const struct om_agent_config *cfg, struct om_agent_result *res)
{
	const char *what = NULL;
	if (!cfg->tre_dir || !cfg->tre_dir[0])
		what = "tre_dir";
	else if (!cfg->n_networks && (!cfg->vno_host || !cfg->vno_host[0] || !cfg->vno_port))
		what = "vno host and port";
	else if (cfg->n_networks > OM_AGENT_NETWORKS_MAX || (cfg->n_networks && !cfg->networks))
		what = "networks (1 to 8)";
	for (size_t i = 0; !what && i < cfg->n_networks; i++) {
		const struct om_agent_network *n = &cfg->networks[i];
		if (!n->name || !n->name[0] || strlen(n->name) > OM_AGENT_NETWORK_NAME_MAX || !n->host || !n->host[0] ||
		    !n->port)
			what = "a network's name, host or port";
	}
	if (!what && (!cfg->dm_ca_file || !cfg->dm_ca_file[0]))
		what = "dm_ca_file";
	/* the AAS's address is the factory's and https only (docs/agent.md "Application activation") */
	if (!what && cfg->aas_url && (strncmp(cfg->aas_url, "https://", 8) || strlen(cfg->aas_url) > OM_BOOTSTRAP_URL_MAX))
		what = "an https aas_url";
	/* and the AAS's key, pinned by the factory: required with aas_url (docs/agent.md "Application activation") */
	uint8_t pin[32];
	if (!what && cfg->aas_url && aas_pin_parse(cfg->aas_pin, pin))
		what = "an aas_pin (sha256: and 64 hex digits) with aas_url";
	if (!what)
		return 0;
	snprintf(res->reason, sizeof(res->reason), "agent configuration: %s missing", what);
	res->code = OM_EAGENT_CONFIG;
	return OM_EAGENT_CONFIG;
}

int om_agent_run(const struct om_agent_config *cfg, struct om_agent_result *res)
{
	struct agent ag;
	struct om_tre_status st;
	int rc;

	if (!res)
		return OM_EINVAL;
	memset(res, 0, sizeof(*res));
	if (!cfg)
		return OM_EINVAL;
	if ((rc = check_config(cfg, res)) != 0)
		return rc;
	memset(&ag, 0, sizeof(ag));
	ag.cfg = cfg;
	ag.res = res;
	om_radio_link_init(&ag.link, -1);
	ag.timeout_ms = cfg->net_timeout_ms > 0 ? cfg->net_timeout_ms : DEFAULT_TIMEOUT_MS;
	ag.retry_min = cfg->retry_min_ms ? cfg->retry_min_ms : DEFAULT_RETRY_MIN_MS;
	ag.retry_max = cfg->retry_max_ms ? cfg->retry_max_ms : DEFAULT_RETRY_MAX_MS;
	if (ag.retry_max < ag.retry_min)
		ag.retry_max = ag.retry_min;
	ag.retries = cfg->retries ? cfg->retries : DEFAULT_RETRIES;

	/* Power on: secure boot of the TRE. */
	rc = om_tre_open_backend(&ag.tre, cfg->tre_dir, &cfg->tre, cfg->tre_flags);
	if (rc) {
		snprintf(res->reason, sizeof(res->reason), "TRE in %s does not open: %s", cfg->tre_dir, om_strerror(rc));
		res->code = rc;
		return rc;
	}
	if (om_tre_status(ag.tre, &st) == 0)
		snprintf(res->tre_id, sizeof(res->tre_id), "%s", st.tre_id);
	if (cfg->signer_status_max_age_s &&
	    (rc = om_tre_require_signer_status(ag.tre, (long)cfg->signer_status_max_age_s)) < 0) {
		snprintf(res->reason, sizeof(res->reason), "signer_status_max_age: %s", om_strerror(rc));
		res->code = rc;
		om_tre_close(ag.tre);
		return rc;
	}
	event(&ag, "power-on", "session=%d pending=%d fell_back=%d sequence=%u left_blocked=%d active_blocked=%d",
	      st.session, st.activation_pending, st.session_fell_back, st.bootstrap_sequence, st.left_blocked,
	      st.active_blocked);
	/* Note Y: a deadline that passed while the device was off falls back now. */
	if (om_tre_tick(ag.tre, time(NULL)) == 1)
		event(&ag, "fell-back", "clause=B.2.3.4 note=Y at=boot");

	rc = STEP_AGAIN;
	for (unsigned step = 0; rc == STEP_AGAIN && step < MAX_STEPS; step++) {
		if ((rc = om_tre_status(ag.tre, &st)) != 0)
			break;
		if (st.activation_pending)
			rc = run_activation(&ag, st.fallback_deadline);
		else if (st.session && st.session_fell_back)
			rc = run_fallback(&ag);
		else if (st.session)
			rc = run_provisioning(&ag);
		else
			rc = run_wait_push(&ag);
	}
	if (rc == STEP_AGAIN)
		rc = fail(&ag, OM_EAGENT_DM, "no resting state after %d steps", MAX_STEPS);
	if (rc == STEP_DONE) {
		rc = 0;
		res->code = res->outcome == OM_AGENT_REFUSED ? res->code : 0;
	} else if (rc > 0) {
		rc = fail(&ag, OM_EAGENT_DM, "step ended with %d", rc);
	}
	note_identity(&ag);
	event(&ag, "rest", "outcome=%s imsi=%s owner=%s attaches=%u dm_messages=%u tls_full=%u tls_resumed=%u retries=%u",
	      rc ? "error" : om_agent_outcome_name(res->outcome), res->imsi, res->owner, res->attaches,
	      res->dm_messages, res->dm_tls_full, res->dm_tls_resumed, res->retries);
	detach(&ag);
	agent_dm_sessions_free(ag.tls_sessions);
	om_tre_close(ag.tre);
	if (rc) {
		res->outcome = 0;
		if (!res->code)
			res->code = rc;
		if (!res->reason[0])
			snprintf(res->reason, sizeof(res->reason), "%s", om_strerror(rc));
	}
	return rc;
}
