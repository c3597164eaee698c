/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DPF's DM session in one process: the factory's TRE, the SHO core
 * (its HSS behind the provisioning socket), the PVA's own code on loopback
 * and the DPF. The device side is written with the same codec (lib/dm) and
 * the TRE: om_tre_dm_digest for the Cred, om_tre_m2mmobj for package 3,
 * om_tre_install_mcim for package 4. A whole session ends with the MCIM
 * installed; a missing or wrong Cred gets the challenge and nothing is
 * released; a replayed package 3 is refused.
 */
#include <openmcim/dm.h>
#include <openmcim/tre.h>

#include "dpf_dm.h"
#include "dpf_testkit.h"
#include "refusal_kit.h"
#include "admin_socket.h"
#include "log.h"

static struct tk_parts P;
static struct dpf_dm *dm;
static struct tk_dm dev;

static int released(void)
{
	return (int)t_sql_int(P.dpf_db, "SELECT count(*) FROM dpf_release");
}

/* Encode the device's message, hand it to the DPF, parse its answer (the NextNonce kept). */
static int exchange(uint8_t *wire, size_t *wire_len)
{
	uint8_t *ans = NULL;
	size_t al = 0;
	int n = tk_encode(&dev, wire, wire_len);
	if (n <= 0)
		return n;
	int rc = dpf_dm_handle(dm, dev.buf, (size_t)n, dev.hmac[0] ? dev.hmac : NULL, time(NULL), &ans, &al);
	CHECK_INT(rc, 0);
	if (rc < 0)
		return rc;
	rc = tk_answer(&dev, ans, al);
	free(ans);
	return rc;
}

/*
 * exchange() as the daemon does it for package 3 (dpf/main.c dm_post): the
 * first call hands back the M2MMobj (it must be obj) without consuming the
 * message; an ask dropped (dpf_dm_ask_free) changes nothing, so it is asked
 * again; the PVA is asked; the second call, given the same bytes and the
 * ask, handles the message as parsed the first time.
 */
static int exchange_ask(uint8_t *wire, size_t *wire_len, const uint8_t *obj, size_t obj_len)
{
	uint8_t *ans = NULL;
	size_t al = 0;
	struct dpf_dm_ask ask = { .obj = NULL };
	int n = tk_encode(&dev, wire, wire_len);
	if (n <= 0)
		return n;
	const char *hmac = dev.hmac[0] ? dev.hmac : NULL;
	for (int round = 0; round < 2; round++) {
		CHECK_INT(dpf_dm_handle_pva(dm, dev.buf, (size_t)n, hmac, time(NULL), NULL, &ask, &ans, &al),
			  DPF_DM_ASK_PVA);
		CHECK(ans == NULL && ask.obj_len == obj_len && ask.obj && !memcmp(ask.obj, obj, obj_len));
		if (round == 0)
			dpf_dm_ask_free(&ask);
	}
	struct dpf_pva_result pva;
	dpf_pva_ask(P.dpf, ask.obj, ask.obj_len, &pva);
	CHECK_INT(pva.rc, 0);
	int rc = dpf_dm_handle_pva(dm, dev.buf, (size_t)n, hmac, time(NULL), &pva, &ask, &ans, &al);
	CHECK_INT(rc, 0);
	CHECK(ask.msg == NULL); /* taken over by the call */
	dpf_dm_ask_free(&ask);
	if (rc < 0)
		return rc;
	rc = tk_answer(&dev, ans, al);
	free(ans);
	return rc;
}

static unsigned hdr_status(void)
{
	return tk_hdr_status(&dev.got);
}

static const struct om_dm_cmd *find(enum om_dm_cmd_type t)
{
	return tk_find(&dev.got, t);
}

static void package1(const char *sid, uint32_t msg_id, const char *user, struct om_tre *tre, int cred_kind)
{
	(void)tk_package1(&dev, sid, msg_id, user, tre, cred_kind, 0);
}

static void package3(const char *sid, uint32_t msg_id, const char *user, uint32_t srv_msg, uint32_t get_cmd,
		     const uint8_t *obj, size_t len)
{
	tk_package3(&dev, sid, msg_id, user, srv_msg, get_cmd, obj, len);
}

/* Every row of the DPF's and the SHO's databases, and every byte of the TRE. */
static char *world(const char *tre_dir)
{
	const char *dbs[] = { P.dpf_db, P.sho_db }, *dirs[] = { tre_dir };
	return rk_snapshot(dbs, 2, dirs, 1);
}

/*
 * Issue 12: after the 212 a message without its x-syncml-hmac, or with a
 * wrong one (another body's, the right one with a byte changed, a stale
 * nonce's), gets 401, ends the session and changes nothing.
 */
static void hmac_refused(struct om_tre *tre, const char *user, const char *sid, int how)
{
	static uint8_t obj[OM_MOBJ_MAX];
	char tre_dir[800];
	snprintf(tre_dir, sizeof(tre_dir), "%s/run/devices/%s", P.dir, user);
	char *before = world(tre_dir);
	package1(sid, 1, user, tre, 0);
	if (exchange(NULL, NULL) < 0)
		return;
	om_dm_msg_free(&dev.got);
	package1(sid, 2, user, tre, 1);
	if (exchange(NULL, NULL) < 0)
		return;
	CHECK_INT(hdr_status(), OM_DM_STATUS_AUTH_ACCEPTED);
	CHECK(dev.got.cmds[0].next_nonce_len == 16); /* the nonce of the next message's HMAC */
	const struct om_dm_cmd *g = find(OM_DM_CMD_GET);
	uint32_t srv_msg = dev.got.hdr.msg_id, get_cmd = g ? g->cmd_id : 0;
	om_dm_msg_free(&dev.got);
	int n = om_tre_m2mmobj(tre, obj, sizeof(obj));
	CHECK(n > 0);
	package3(sid, 3, user, srv_msg, get_cmd, obj, n > 0 ? (size_t)n : 0);
	int len = tk_encode(&dev, NULL, NULL);
	CHECK(len > 0 && dev.hmac[0]);
	const char *hdr = dev.hmac;
	char bad[sizeof(dev.hmac)];
	snprintf(bad, sizeof(bad), "%s", dev.hmac);
	if (how == 0) {
		hdr = NULL;
	} else if (how == 1) {
		char *mac = strstr(bad, "mac=");
		if (mac)
			mac[4] = mac[4] == 'A' ? 'B' : 'A';
		hdr = bad;
	} else if (how == 2) {
		/* the right header for these bytes over the nonce before: a replayed or stale HMAC */
		uint8_t old[16];
		memset(old, 0x33, sizeof(old));
		CHECK(agent_dm_hmac(tre, user, old, sizeof(old), dev.buf, (size_t)len, bad, sizeof(bad)) > 0);
		hdr = bad;
	} else {
		/* another user's header */
		char *u = strstr(bad, "username=\"");
		if (u)
			u[10] = u[10] == 'X' ? 'Y' : 'X';
		hdr = bad;
	}
	uint8_t *ans = NULL;
	size_t al = 0;
	CHECK_INT(dpf_dm_handle(dm, dev.buf, len > 0 ? (size_t)len : 0, hdr, time(NULL), &ans, &al), 0);
	CHECK_INT(om_dm_parse(ans, al, &dev.got), 0);
	free(ans);
	CHECK_INT(hdr_status(), OM_DM_STATUS_UNAUTHORIZED);
	CHECK(find(OM_DM_CMD_REPLACE) == NULL);
	om_dm_msg_free(&dev.got);
	char *after = world(tre_dir);
	CHECK_MSG(rk_same(before, after, sid), "%s: something changed", sid);
	free(before);
	free(after);
	CHECK_INT(dpf_dm_sessions(dm), 0); /* the session is over */
}

static void whole_session(struct om_tre *tre, const char *tre_id)
{
	static uint8_t obj[OM_MOBJ_MAX], p3[OM_DM_MSG_MAX];
	static char p3_hmac[AGENT_DM_HMAC_MAX];
	size_t p3_len = 0;
	uint8_t mid[OM_MCIM_MID_LEN];
	char user[OM_BOOTSTRAP_NAME_MAX + 1], server_id[OM_BOOTSTRAP_NAME_MAX + 1];
	CHECK_INT(om_tre_dm_identity(tre, user, server_id), 0);
	CHECK(!strcmp(user, tre_id));
	for (int how = 0; how < 4; how++) {
		char sid[8];
		snprintf(sid, sizeof(sid), "H%d", how);
		hmac_refused(tre, user, sid, how);
	}

	/* no Cred: 407 with a challenge */
	package1("S1", 1, user, tre, 0);
	if (exchange(NULL, NULL) < 0)
		return;
	CHECK_INT(hdr_status(), OM_DM_STATUS_MISSING_CRED);
	CHECK(dev.got.cmds[0].chal == OM_DM_AUTH_MD5 && dev.got.cmds[0].next_nonce_len == 16);
	CHECK(find(OM_DM_CMD_GET) == NULL);
	uint8_t first[16];
	memcpy(first, dev.nonce, 16);
	om_dm_msg_free(&dev.got);

	/* a wrong password: 401, a fresh dev.nonce, nothing asked, nothing released */
	package1("S1", 2, user, tre, 2);
	if (exchange(NULL, NULL) < 0)
		return;
	CHECK_INT(hdr_status(), OM_DM_STATUS_UNAUTHORIZED);
	CHECK(dev.got.cmds[0].chal == OM_DM_AUTH_MD5 && memcmp(first, dev.nonce, 16) != 0);
	CHECK(find(OM_DM_CMD_GET) == NULL);
	om_dm_msg_free(&dev.got);

	/* a Results pushed without authentication: challenged, not read */
	int n = om_tre_m2mmobj(tre, obj, sizeof(obj));
	CHECK(n > 0);
	package3("S1", 3, user, 2, 4, obj, n > 0 ? (size_t)n : 0);
	if (exchange(NULL, NULL) < 0)
		return;
	CHECK_INT(hdr_status(), OM_DM_STATUS_MISSING_CRED);
	CHECK(find(OM_DM_CMD_REPLACE) == NULL);
	om_dm_msg_free(&dev.got);
	CHECK_INT(released(), 0);
	CHECK(!strcmp(tk_state_of(&P, tre_id), "handover_accepted"));

	/* the TRE's credential over the last dev.nonce: 212 and the Get of ./M2MMobj */
	package1("S1", 4, user, tre, 1);
	if (exchange(NULL, NULL) < 0)
		return;
	CHECK_INT(hdr_status(), OM_DM_STATUS_AUTH_ACCEPTED);
	const struct om_dm_cmd *g = find(OM_DM_CMD_GET);
	CHECK(g && g->n_items == 1 && !strcmp(g->items[0].target, OM_DM_URI_M2MMOBJ));
	uint32_t srv_msg = dev.got.hdr.msg_id, get_cmd = g ? g->cmd_id : 0;
	om_dm_msg_free(&dev.got);

	/* package 3 -> package 4: the Replace of ./M2MMCIMMobj */
	n = om_tre_m2mmobj(tre, obj, sizeof(obj));
	CHECK(n > 0);
	package3("S1", 5, user, srv_msg, get_cmd, obj, n > 0 ? (size_t)n : 0);
	if (exchange_ask(p3, &p3_len, obj, n > 0 ? (size_t)n : 0) < 0)
		return;
	snprintf(p3_hmac, sizeof(p3_hmac), "%s", dev.hmac);
	CHECK_INT(hdr_status(), OM_DM_STATUS_OK);
	const struct om_dm_cmd *r = find(OM_DM_CMD_REPLACE);
	CHECK(r && r->n_items == 1 && !strcmp(r->items[0].target, OM_DM_URI_M2MMCIMMOBJ) &&
	      r->items[0].format == OM_DM_FMT_B64);
	CHECK_INT(released(), 1);
	uint8_t mcim[OM_MOBJ_MAX];
	size_t ml = r ? r->items[0].data_len : 0;
	uint32_t rep_msg = dev.got.hdr.msg_id, rep_cmd = r ? r->cmd_id : 0;
	if (r)
		memcpy(mcim, r->items[0].data, ml);
	om_dm_msg_free(&dev.got);

	/* the same package 3 again: refused, nothing more released */
	uint8_t *ans = NULL;
	size_t al = 0;
	CHECK_INT(dpf_dm_handle(dm, p3, p3_len, p3_hmac, time(NULL), &ans, &al), 0);
	CHECK_INT(om_dm_parse(ans, al, &dev.got), 0);
	free(ans);
	CHECK_INT(hdr_status(), 403);
	CHECK(find(OM_DM_CMD_REPLACE) == NULL);
	om_dm_msg_free(&dev.got);
	CHECK_INT(released(), 1);

	/* the TRE installs; its Status 200 reports it: provisioned, session over */
	CHECK_INT(om_tre_install_mcim(tre, mcim, ml, time(NULL), mid), 0);
	tk_install_status(&dev, "S1", 6, user, rep_msg, rep_cmd, OM_DM_STATUS_OK);
	if (exchange(NULL, NULL) < 0)
		return;
	CHECK_INT(hdr_status(), OM_DM_STATUS_OK);
	CHECK(dev.got.final && find(OM_DM_CMD_REPLACE) == NULL && find(OM_DM_CMD_GET) == NULL);
	om_dm_msg_free(&dev.got);
	CHECK(!strcmp(tk_state_of(&P, tre_id), "provisioned"));
	CHECK_INT(dpf_dm_sessions(dm), 0);
	struct om_tre_mid_info m[4];
	CHECK_INT(om_tre_mid_list(tre, "SHO-B", m, 4), 1);

	/* package 3 replayed once the session is closed: a new session, challenged, nothing released */
	CHECK_INT(dpf_dm_handle(dm, p3, p3_len, p3_hmac, time(NULL), &ans, &al), 0);
	CHECK_INT(om_dm_parse(ans, al, &dev.got), 0);
	free(ans);
	CHECK_INT(hdr_status(), OM_DM_STATUS_MISSING_CRED);
	CHECK(find(OM_DM_CMD_REPLACE) == NULL);
	om_dm_msg_free(&dev.got);
	CHECK_INT(released(), 1);

	/* the device attaches with its new MCIM: the TRE now signs `active` */
	CHECK_INT(om_tre_activate(tre, mid, time(NULL), 600), 0);

	/* the outcome alert without credentials: challenged, nothing changes */
	(void)tk_package1(&dev, "S2", 1, user, tre, 0, OM_OUTCOME_ACTIVE);
	if (exchange(NULL, NULL) < 0)
		return;
	CHECK_INT(hdr_status(), OM_DM_STATUS_MISSING_CRED);
	om_dm_msg_free(&dev.got);
	CHECK(!strcmp(tk_state_of(&P, tre_id), "provisioned"));

	/* with them: 212, 200 for both alerts, Final, no Get; the device is active and the session over */
	uint32_t alert_cmd = tk_package1(&dev, "S2", 2, user, tre, 1, OM_OUTCOME_ACTIVE);
	if (exchange(NULL, NULL) < 0)
		return;
	CHECK_INT(hdr_status(), OM_DM_STATUS_AUTH_ACCEPTED);
	CHECK(dev.got.final && find(OM_DM_CMD_GET) == NULL);
	CHECK_INT(tk_status_for(&dev.got, alert_cmd), OM_DM_STATUS_OK);
	om_dm_msg_free(&dev.got);
	CHECK(!strcmp(tk_state_of(&P, tre_id), "active"));
	CHECK_INT(dpf_completion_count(P.dpf, "pending"), 1);
	CHECK_INT(dpf_dm_sessions(dm), 0); /* a challenged session takes no slot (issue 14) */

	/* not a DM message: no answer */
	CHECK(dpf_dm_handle(dm, (const uint8_t *)"<x/>", 4, NULL, time(NULL), &ans, &al) < 0 && ans == NULL);
}

/* Replace the first `from` in text (NUL-terminated, room for the growth) by `to`. */
static void edit(char *text, const char *from, const char *to)
{
	char *at = strstr(text, from);
	CHECK_MSG(at != NULL, "no %s", from);
	if (!at)
		return;
	size_t fl = strlen(from), tl = strlen(to);
	memmove(at + tl, at + fl, strlen(at + fl) + 1);
	memcpy(at, to, tl);
}

#define SYNCML_DOCTYPE                                                                                                 \
	"<!DOCTYPE SyncML PUBLIC \"-//SYNCML//DTD SyncML 1.2//EN\" "                                                     \
	"\"http://www.openmobilealliance.org/tech/DTD/OMA-TS-SyncML_RepPro_DTD-V1_2.dtd\">"

/*
 * What a third-party client sends that is not our own encoder's output: a
 * DM 1.1 message gets a SyncHdr Status 505 and no session; the DOCTYPE
 * wbxml2xml prints is served like any message; a DOCTYPE with an internal
 * subset is still no DM message (no answer).
 */
static void versions_and_doctype(struct om_tre *tre, const char *user)
{
	static char text[OM_DM_MSG_MAX + 512];
	uint8_t *ans = NULL;
	size_t al = 0, before = dpf_dm_sessions(dm);
	(void)tk_package1(&dev, "V1", 1, user, tre, 0, 0);
	int n = tk_encode(&dev, NULL, NULL);
	if (n <= 0)
		return;
	memcpy(text, dev.buf, (size_t)n);
	text[n] = 0;
	edit(text, "SYNCML:SYNCML1.2", "SYNCML:SYNCML1.1");
	edit(text, "<VerDTD>1.2</VerDTD>", "<VerDTD>1.1</VerDTD>");
	edit(text, "<VerProto>DM/1.2</VerProto>", "<VerProto>DM/1.1</VerProto>");
	CHECK_INT(dpf_dm_handle(dm, (const uint8_t *)text, strlen(text), NULL, time(NULL), &ans, &al), 0);
	CHECK_INT(tk_answer(&dev, ans, al), 0);
	free(ans);
	CHECK_INT(hdr_status(), 505);
	CHECK(dev.got.final && dev.got.n_cmds == 1 && !strcmp(dev.got.hdr.session_id, "V1") &&
	      dev.got.cmds[0].msg_ref == 1);
	om_dm_msg_free(&dev.got);
	CHECK_INT(dpf_dm_sessions(dm), before);

	/* DM 1.2 with a VerProto we do not serve: 505 too */
	memcpy(text, dev.buf, (size_t)n);
	text[n] = 0;
	edit(text, "<VerProto>DM/1.2</VerProto>", "<VerProto>DM/1.3</VerProto>");
	CHECK_INT(dpf_dm_handle(dm, (const uint8_t *)text, strlen(text), NULL, time(NULL), &ans, &al), 0);
	CHECK_INT(tk_answer(&dev, ans, al), 0);
	free(ans);
	CHECK_INT(hdr_status(), 505);
	om_dm_msg_free(&dev.got);
	CHECK_INT(dpf_dm_sessions(dm), before);

	/* the standard DOCTYPE: served (a challenge for a package 1 without Cred) */
	memcpy(text, dev.buf, (size_t)n);
	text[n] = 0;
	edit(text, "<SyncML ", SYNCML_DOCTYPE "<SyncML ");
	CHECK_INT(dpf_dm_handle(dm, (const uint8_t *)text, strlen(text), NULL, time(NULL), &ans, &al), 0);
	CHECK_INT(tk_answer(&dev, ans, al), 0);
	free(ans);
	CHECK_INT(hdr_status(), OM_DM_STATUS_MISSING_CRED);
	om_dm_msg_free(&dev.got);
	CHECK_INT(dpf_dm_sessions(dm), before); /* challenged: no slot taken */

	/* an internal subset, even an empty one, or another public id: not served */
	memcpy(text, dev.buf, (size_t)n);
	text[n] = 0;
	edit(text, "<SyncML ", "<!DOCTYPE SyncML PUBLIC \"-//SYNCML//DTD SyncML 1.2//EN\" \"x.dtd\" []><SyncML ");
	ans = NULL;
	CHECK_INT(dpf_dm_handle(dm, (const uint8_t *)text, strlen(text), NULL, time(NULL), &ans, &al), OM_EDM_DTD);
	CHECK(ans == NULL);
	memcpy(text, dev.buf, (size_t)n);
	text[n] = 0;
	edit(text, "<SyncML ", "<!DOCTYPE SyncML SYSTEM \"file:///etc/passwd\"><SyncML ");
	CHECK_INT(dpf_dm_handle(dm, (const uint8_t *)text, strlen(text), NULL, time(NULL), &ans, &al), OM_EDM_DTD);
	CHECK(ans == NULL);
	CHECK_INT(dpf_dm_sessions(dm), before);
}

/* One message at time now: its answer parsed into dev.got; dpf_dm_handle's code. */
static int exchange_at(time_t now)
{
	uint8_t *ans = NULL;
	size_t al = 0;
	int n = tk_encode(&dev, NULL, NULL);
	if (n <= 0)
		return OM_EINVAL;
	int rc = dpf_dm_handle(dm, dev.buf, (size_t)n, NULL, now, &ans, &al);
	if (rc == 0)
		rc = tk_answer(&dev, ans, al);
	free(ans);
	return rc;
}

/*
 * 256 first messages without a Cred (issue 14: they used to take every slot
 * for 300 s): each is challenged and none takes a slot; then the genuine
 * device authenticates at once, in its normal time. A Cred over a challenge
 * two windows old is challenged again.
 */
static void first_message_flood(struct om_tre *tre, const char *user)
{
	time_t now = time(NULL);
	size_t before = dpf_dm_sessions(dm);
	int challenged = 0;
	for (int i = 0; i < 256; i++) {
		char sid[16], who[32];
		snprintf(sid, sizeof(sid), "F%d", i);
		snprintf(who, sizeof(who), "flood-%d", i);
		(void)tk_package1(&dev, sid, 1, i % 2 ? who : user, tre, 0, 0);
		challenged += exchange_at(now) == 0 && hdr_status() == OM_DM_STATUS_MISSING_CRED;
		om_dm_msg_free(&dev.got);
	}
	CHECK_INT(challenged, 256);
	CHECK_INT(dpf_dm_sessions(dm), before);

	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	(void)tk_package1(&dev, "G1", 1, user, tre, 0, 0);
	CHECK_INT(exchange_at(now), 0);
	CHECK_INT(hdr_status(), OM_DM_STATUS_MISSING_CRED);
	om_dm_msg_free(&dev.got);
	(void)tk_package1(&dev, "G1", 2, user, tre, 1, 0);
	CHECK_INT(exchange_at(now + 1), 0);
	CHECK_INT(hdr_status(), OM_DM_STATUS_AUTH_ACCEPTED);
	CHECK(find(OM_DM_CMD_GET) != NULL);
	om_dm_msg_free(&dev.got);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	CHECK_MSG(ms < 300, "the genuine device waited %ld ms", ms);
	CHECK_INT(dpf_dm_sessions(dm), before + 1);

	/* a challenge answered two windows later: challenged again, no slot */
	(void)tk_package1(&dev, "G2", 1, user, tre, 0, 0);
	CHECK_INT(exchange_at(now), 0);
	om_dm_msg_free(&dev.got);
	(void)tk_package1(&dev, "G2", 2, user, tre, 1, 0);
	CHECK_INT(exchange_at(now + 2 * DPF_DM_AUTH_TIMEOUT_DEFAULT), 0);
	CHECK_INT(hdr_status(), OM_DM_STATUS_UNAUTHORIZED);
	om_dm_msg_free(&dev.got);
	CHECK_INT(dpf_dm_sessions(dm), before + 1);
}

/*
 * Issue 14 finding 7: a captured Cred message replayed after its session
 * ended (its cookie still in the window) gets the normal challenge and no
 * slot; the genuine device then authenticates as before.
 */
static void cookie_replay(struct om_tre *tre, const char *user)
{
	time_t now = time(NULL);
	size_t before = dpf_dm_sessions(dm);
	(void)tk_package1(&dev, "R1", 1, user, tre, 0, 0);
	CHECK_INT(exchange_at(now), 0);
	om_dm_msg_free(&dev.got);
	(void)tk_package1(&dev, "R1", 2, user, tre, 1, 0);
	int n = tk_encode(&dev, NULL, NULL);
	CHECK(n > 0);
	if (n <= 0)
		return;
	uint8_t *captured = malloc((size_t)n), *ans = NULL;
	size_t al = 0;
	if (!captured)
		return;
	memcpy(captured, dev.buf, (size_t)n);
	CHECK_INT(exchange_at(now), 0);
	CHECK_INT(hdr_status(), OM_DM_STATUS_AUTH_ACCEPTED);
	om_dm_msg_free(&dev.got);
	CHECK_INT(dpf_dm_sessions(dm), before + 1);
	/* the session ends: its next message has no HMAC */
	tk_package3(&dev, "R1", 3, user, 2, 1, (const uint8_t *)"x", 1);
	CHECK_INT(exchange_at(now), 0);
	CHECK_INT(hdr_status(), OM_DM_STATUS_UNAUTHORIZED);
	om_dm_msg_free(&dev.got);
	CHECK_INT(dpf_dm_sessions(dm), before);
	/* the replay, in the same window */
	CHECK_INT(dpf_dm_handle(dm, captured, (size_t)n, NULL, now + 1, &ans, &al), 0);
	CHECK_INT(tk_answer(&dev, ans, al), 0);
	CHECK_INT(hdr_status(), OM_DM_STATUS_UNAUTHORIZED);
	CHECK(find(OM_DM_CMD_GET) == NULL);
	om_dm_msg_free(&dev.got);
	free(ans);
	free(captured);
	CHECK_INT(dpf_dm_sessions(dm), before);
	/* the genuine device, a new session */
	(void)tk_package1(&dev, "R2", 1, user, tre, 0, 0);
	CHECK_INT(exchange_at(now + 1), 0);
	om_dm_msg_free(&dev.got);
	(void)tk_package1(&dev, "R2", 2, user, tre, 1, 0);
	CHECK_INT(exchange_at(now + 1), 0);
	CHECK_INT(hdr_status(), OM_DM_STATUS_AUTH_ACCEPTED);
	om_dm_msg_free(&dev.got);
	CHECK_INT(dpf_dm_sessions(dm), before + 1);
}

/* ---- the calls the DM side makes to the SHO ---------------------------------------- */

/* A socket in front of the SHO's internal one that counts the dm-auth lines it passes on. */
static _Atomic int dm_auth_calls;
static int counting_exec(void *arg, char *line, om_admin_emit emit, void *ctx, char *why, size_t why_len)
{
	if (!strncmp(line, "dm-auth ", 8))
		dm_auth_calls++;
	return sho_internal_exec(arg, line, emit, ctx, why, why_len);
}

/*
 * Issue 14: a Cred is checked with one dm-auth call to the SHO, whether it
 * answers the cookie of this window or of the one before (the cookie's
 * check and package 1's each asked the SHO: two calls per authentication),
 * and a wrong one is refused after one call too.
 */
static void one_sho_call_per_cred(struct om_tre *tre, const char *user)
{
	static struct om_admin_socket_opts o = { .what = "counting", .log_prefix = "counting",
						 .exec = counting_exec, .arg = NULL };
	struct om_admin_socket *sock = NULL;
	struct om_admin_peer peer = { .timeout_ms = 5000 };
	struct dpf_dm *saved = dm, *counted = NULL;
	char path[800], err[256];
	o.arg = &P.sho_internal;
	snprintf(path, sizeof(path), "%s/counting/sho.sock", P.dir);
	CHECK_MSG(om_admin_socket_start(&sock, &o, path, err, sizeof(err)) == 0, "%s", err);
	peer.path = path;
	struct dpf_dm_config mc = { .dpf = P.dpf, .sho = &peer, .server_uri = TK_SERVER, .max_sessions = 4 };
	CHECK_INT(dpf_dm_new(&counted, &mc), 0);
	if (!sock || !counted)
		goto out;
	dm = counted;
	time_t now = time(NULL);
	struct {
		const char *sid;
		int cred_kind;   /* tk_package1: 1 the TRE's Cred, 2 a wrong password */
		time_t later;    /* the Cred's message after the challenge: this window, the next */
		unsigned status; /* the answer's SyncHdr status */
	} c[] = {
		{ "C1", 1, 0, OM_DM_STATUS_AUTH_ACCEPTED },
		{ "C2", 1, DPF_DM_AUTH_TIMEOUT_DEFAULT, OM_DM_STATUS_AUTH_ACCEPTED },
		{ "C3", 2, 0, OM_DM_STATUS_UNAUTHORIZED },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		(void)tk_package1(&dev, c[i].sid, 1, user, tre, 0, 0);
		CHECK_INT(exchange_at(now), 0);
		CHECK_INT(hdr_status(), OM_DM_STATUS_MISSING_CRED);
		om_dm_msg_free(&dev.got);
		int before = dm_auth_calls;
		(void)tk_package1(&dev, c[i].sid, 2, user, tre, c[i].cred_kind, 0);
		CHECK_INT(exchange_at(now + c[i].later), 0);
		CHECK_INT(hdr_status(), c[i].status);
		om_dm_msg_free(&dev.got);
		CHECK_MSG(dm_auth_calls - before == 1, "%s: %d dm-auth calls for one Cred", c[i].sid,
			  dm_auth_calls - before);
	}
out:
	dm = saved;
	dpf_dm_free(counted);
	om_admin_socket_stop(sock);
}

int main(void)
{
	om_log_init("dpf-dm-test", OM_LOG_ERROR);
	if (tk_parts_init(&P, "dpf-dm-test"))
		return 1;

	/* the factory: CAs and one device; the PVA, served on loopback; the SHO with its HSS, the device registered */
	if (tk_factory(&P, "RO", 1, 0))
		return check_done();
	tk_pva_start(&P, 0);
	tk_sho_start(&P, 1);

	/* the DPF and its DM side */
	tk_dpf_open(&P, 1);
	struct dpf_dm_config mc = { .dpf = P.dpf, .sho = &P.sho_peer, .server_uri = TK_SERVER, .max_sessions = 4 };
	CHECK_INT(dpf_dm_new(&dm, &mc), 0);

	/* the handover requested and accepted, the TRE bootstrapped by the RO with the SHO's sealed credentials */
	if (P.dpf && dm) {
		struct om_handover_req r;
		const char *tre_id = P.note[0].tre_id;
		tk_handover_accepted(&P, tre_id, &r);
		struct om_tre *tre = tk_tre_bootstrapped(&P, "run", tre_id, r.creds, r.creds_len);
		om_handover_free(&r);
		if (tre)
			whole_session(tre, tre_id);
		if (tre)
			versions_and_doctype(tre, tre_id);
		if (tre)
			first_message_flood(tre, tre_id);
		if (tre)
			cookie_replay(tre, tre_id);
		if (tre)
			one_sho_call_per_cred(tre, tre_id);
		om_tre_close(tre);
	}

	dpf_dm_free(dm);
	tk_parts_free(&P, 0);
	return check_done();
}
