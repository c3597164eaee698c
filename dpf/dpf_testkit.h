/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DPF's tests' fixture (tests/dpf_testkit.c, in libomtest),
 * shared by dpf_core_test, dpf_dm_test, dpf_daemon_test and
 * tests/provisioning_refusal_test:
 *
 *   the parts   a factory run (and optionally a second run at firmware 1.0.1
 *               whose PVA references are those of 1.0.0: its measurements
 *               mismatch), the PVA's own code behind its HTTP routes on
 *               loopback (OCSP for the SHO, POST /validate for the DPF),
 *               SHO-B's registration core with its HSS behind the
 *               provisioning socket, and the DPF core;
 *   a device    its handover requested (and accepted) at SHO-B, its TRE
 *               bootstrapped by the RO (Cert_SHO[0]) with sealed DM credentials;
 *   its DM      the SyncML messages a DM client sends in B.2.3.4, built with
 *               the agent's own builders (agent/dm_client.h) and the TRE
 *               (om_tre_dm_digest for the Cred), so every test speaks the
 *               device's bytes.
 */
#pragma once

#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include <openmcim/dm.h>
#include <openmcim/handover.h>
#include <openmcim/tre.h>

#include "check.h"
#include "daemon_util.h"
#include "dm_client.h"
#include "dpf.h"
#include "drf.h"
#include "drf_admin.h"
#include "sho_internal.h"
#include "factory.h"
#include "hss.h"
#include "hss_test_util.h" /* t_sql_int, t_dump */
#include "http_server.h"
#include "pki_fixture.h"
#include "provision.h"
#include "pva.h"
#include "pva_http.h"
#include "sho.h"
#include "sho_testkit.h"

#define TK_SERVER "https://dpf.sho-b.lab/dm"
#define TK_DEVICE "IMEI:490154203237518"
#define TK_OWNER "fleet-1"
#define TK_SECRET "correct horse battery"

/* ---- the parts ------------------------------------------------------------------ */

struct tk_parts {
	char dir[64]; /* the test's temporary directory */
	char path[700];
	/* the factory: its CAs, run/ and (with_run2) run2/ */
	struct om_ca *pva_ca;
	X509 *pva_cert, *ro_cert;
	EVP_PKEY *pva_key, *ro_key;
	struct sho_device_in *note, *note2; /* the delivery notes of run and run2 */
	int n_note, n_note2;
	/* the PVA on loopback */
	struct pva *pva;
	struct om_http_server *http;
	char pva_db[700], ocsp_url[64], pva_url[64];
	X509 *pva_responder;             /* its certificate: the key of its signed verdicts */
	struct dpf_pva_http pva_http;    /* the DPF's view of it: pva_url and that key */
	/* SHO-B: its SHO_SIGNING identity (Cert_SHO[i+1]), its HSS, its core, its DPF and DRF register */
	struct pf_sho sho_b;
	struct hss *hss;
	struct sho *sho;                 /* the test's own handle on SHO-B's core */
	struct sho *sho_srv;             /* the one its internal socket serves (sho_internal.h) */
	struct sho_internal sho_internal;
	struct om_admin_peer sho_peer;   /* the DPF's view of it */
	char sho_sock[700];
	struct dpf *dpf;
	struct drf *drf;
	struct drf_admin drf_admin;     /* SHO-B's DRF serving its admin socket, as openmcim-drf does */
	struct om_admin_peer drf_peer;  /* the DPF's view of it */
	char drf_sock[700];
	/* each store: a SQLite file in dir, or with OM_TEST_STORE=pg a database of the test's cluster (t_store_conf) */
	char hss_db[700], sho_db[700], dpf_db[700], drf_b_db[700], sock[700];
};

/* A fresh temporary directory /tmp/om-<name>-XXXXXX. 0, or -1 when none could be made. */
int tk_parts_init(struct tk_parts *p, const char *name);

/* dir/rel (valid until the next call). */
const char *tk_at(struct tk_parts *p, const char *rel);

/*
 * The factory: CAs with the RO ro_id, a run of n devices (firmware 1.0.0)
 * and, with_run2, a run2 of one device TRX-... at firmware 1.0.1. Returns 0
 * when the delivery notes hold them all.
 */
int tk_factory(struct tk_parts *p, const char *ro_id, int n, int with_run2);

/*
 * run2's devices for the PVA in pva2/, with the references of firmware 1.0.0
 * given as those of 1.0.1, the firmware run2 reports: its measurements
 * mismatch, as a device running altered firmware would.
 */
void tk_tampered_import_dir(struct tk_parts *p);

/*
 * The PVA: its delegated OCSP responder, run imported (and run2 against
 * 1.0.0's references, with_run2), its HTTP routes served on loopback.
 */
void tk_pva_start(struct tk_parts *p, int with_run2);

/* The PVA unreachable from here on. */
void tk_pva_unplug(struct tk_parts *p);

/*
 * SHO-B: its SHO_SIGNING identity, its HSS behind the provisioning socket,
 * its registration core with the owner, the first n_register devices of run
 * and every device of run2 registered.
 */
void tk_sho_start(struct tk_parts *p, int n_register);

/*
 * SHO-B's DRF (register drf-b.db) serving its admin socket drf/admin.sock
 * as openmcim-drf does: the DPF asks it there (drf_admin.h).
 */
void tk_drf_serve(struct tk_parts *p);

/* The DPF core asking the PVA over HTTP; with_drf, SHO-B's DRF (tk_drf_serve) beside it. */
void tk_dpf_open(struct tk_parts *p, int with_drf);

/* Everything closed and freed; the directory removed unless keep_dir. */
void tk_parts_free(struct tk_parts *p, int keep_dir);

/* The device's state at SHO-B, "?" when it has none. */
const char *tk_state_of(struct tk_parts *p, const char *tre_id);

/*
 * After a refusal the PVA signed for tre_id (issue 16): the owner's view at
 * SHO-B is the device still handover_accepted with the reason "PVA: word"
 * and, last in the history, one validation_refused entry saying so. Checks
 * that, then undoes it (the entry deleted, reason and time as in *before),
 * so the caller's snapshot compares every other row and byte unchanged.
 */
static inline void tk_pva_refusal_shown_then_undone(struct tk_parts *p, const char *tre_id,
						    const struct sho_device_status *before, const char *word)
{
	struct sho_device_status st;
	char want[64], q[512];
	snprintf(want, sizeof(want), "PVA: %s", word);
	CHECK_INT(sho_status(p->sho, tre_id, &st), 0);
	CHECK_MSG(!strcmp(st.state, "handover_accepted") && !strcmp(st.reason, want), "%s: the owner sees %s '%s'",
		  tre_id, st.state, st.reason);
	snprintf(q, sizeof(q),
		 "SELECT count(*) FROM sho_event WHERE tre_id = '%s' AND event = 'validation_refused' AND detail = '%s'"
		 " AND seq = (SELECT max(seq) FROM sho_event)",
		 tre_id, want);
	CHECK_INT(t_sql_int(p->sho_db, q), 1);
	snprintf(q, sizeof(q), "SELECT count(*) FROM sho_event WHERE tre_id = '%s' AND event = 'validation_refused'",
		 tre_id);
	CHECK_INT(t_sql_int(p->sho_db, q), 1); /* however often it was tried */
	CHECK_INT(t_sql_exec(p->sho_db, "DELETE FROM sho_event WHERE seq = (SELECT max(seq) FROM sho_event)"), 0);
	snprintf(q, sizeof(q), "UPDATE sho_device SET reason = '%s', updated = %lld WHERE tre_id = '%s'", before->reason,
		 (long long)before->updated, tre_id);
	CHECK_INT(t_sql_exec(p->sho_db, q), 0);
}

/* ---- a device up to its bootstrap ------------------------------------------------ */

/*
 * The owner's handover request for tre_id at SHO-B, verified as the current
 * SHO would: its sealed creds in *r. The signed request itself in *req
 * (the caller frees it) when req is given.
 */
void tk_handover_request(struct tk_parts *p, const char *tre_id, const char *code, struct om_handover_req *r, uint8_t **req, size_t *req_len);

/* A handover of tre_id requested and accepted (the current SHO's answer recorded at SHO-B). */
void tk_handover_accepted(struct tk_parts *p, const char *tre_id, struct om_handover_req *r);

/* The TRE of <run>/devices/<tre_id> opened and bootstrapped by the RO for SHO-B with the sealed creds. */
struct om_tre *tk_tre_bootstrapped(struct tk_parts *p, const char *run, const char *tre_id, uint8_t *creds, size_t creds_len);

/* ---- its DM client --------------------------------------------------------------- */

/* The device's side of one DM conversation: the message being built, the last answer, the last NextNonce. */
struct tk_dm {
	struct om_dm_msg msg, got;
	uint8_t nonce[64];
	size_t nonce_len;
	char cred[OM_DM_B64_MD5_LEN + 1]; /* the message points into it until encoded */
	uint8_t stmt[OM_OUTCOME_MAX];     /* the TRE's outcome statement, likewise */
	struct om_tre *tre;               /* the device's TRE (tk_package1), for the HMAC after the 212 */
	const char *user;
	int authed;                       /* the DPF answered 212: later messages carry the HMAC */
	char hmac[AGENT_DM_HMAC_MAX];     /* x-syncml-hmac of the last message encoded, "" when none */
	uint8_t buf[OM_DM_MSG_MAX];       /* the last message encoded */
};

/* om_dm_msg_init for a message of the session sid from user. */
void tk_begin(struct tk_dm *d, const char *sid, uint32_t msg_id, const char *user);

/*
 * Package 1 into d->msg: Alert 1201, DevInfo, the Cred over the last nonce
 * when cred_kind is 1 (the TRE's) or 2 (a guessed password), and the outcome
 * alert (docs/dm.md "Outcome alert") with the statement the TRE signs when
 * outcome is an om_outcome_kind (0: none). Returns the outcome alert's
 * CmdID, or 0.
 */
uint32_t tk_package1(struct tk_dm *d, const char *sid, uint32_t msg_id, const char *user, struct om_tre *tre, int cred_kind, int outcome);

/* Package 3 into d->msg: Statuses for the SyncHdr and the Get, the Results with the M2MMobj. */
void tk_package3(struct tk_dm *d, const char *sid, uint32_t msg_id, const char *user, uint32_t srv_msg, uint32_t get_cmd, const uint8_t *obj, size_t len);

/* Package 3': the Status for the server's Replace (code 200: installed). */
void tk_install_status(struct tk_dm *d, const char *sid, uint32_t msg_id, const char *user, uint32_t rep_msg, uint32_t rep_cmd, unsigned code);

/* d->msg encoded into d->buf (and copied to wire when given). Its length, or <= 0. */
int tk_encode(struct tk_dm *d, uint8_t *wire, size_t *wire_len);

unsigned tk_hdr_status(const struct om_dm_msg *got);

/* The server's answer parsed into d->got, its NextNonce kept (after a 212, for the HMAC). The parse's code. */
int tk_answer(struct tk_dm *d, const uint8_t *ans, size_t len);

/* The server's Status for the SyncHdr, or 0. */
unsigned tk_hdr_status(const struct om_dm_msg *got);

/* The first command of type t in got, or NULL. */
const struct om_dm_cmd *tk_find(const struct om_dm_msg *got, enum om_dm_cmd_type t);

/* The code of the server's Status for our command cmd_id, or 0. */
unsigned tk_status_for(const struct om_dm_msg *got, uint32_t cmd_id);
