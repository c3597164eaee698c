/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HSS core: subscribers, SQN, vectors and roaming rules, with no
 * Diameter in it. The S6a front end (hss/s6a_server.c) turns AIR, ULR and
 * PUR into these calls and their results into TS 29.272 result codes; the
 * provisioning interface (hss/provision.c) adds, changes and removes
 * subscribers. Every operator runs this same code: the Registration
 * Operator's ICF for PCIDs, each SHO's HSS for its MCIMs.
 *
 * Thread safety: every call may come from any freeDiameter dispatch thread.
 * SQN allocation is atomic per subscriber, and no vector leaves before its
 * SQN is durable (persisted, or below a persisted high-water mark).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openmcim/vector.h>

#include "svc_err.h"

#define HSS_IMSI_MAX 15
#define HSS_APN_MAX 100
#define HSS_HOST_MAX 255
#define HSS_MAX_APNS 4

struct hss;

/* What the HSS does when it suspects a clone or a rollback (docs/hss.md). */
enum hss_clone_policy {
	HSS_CLONE_REPORT = 0, /* log and count only */
	HSS_CLONE_BAR = 1,    /* also suspend the subscriber: later AIR and ULR get HSS_SUSPENDED */
};

struct hss_config {
	const char *db_path;      /* SQLite file */
	unsigned max_vectors;     /* cap on Number-Of-Requested-Vectors */
	unsigned sqn_reserve;     /* SEQ steps reserved ahead per durable write */
	unsigned max_resyncs;     /* resyncs per subscriber per window before refusing */
	unsigned resync_window_s; /* that window, in seconds */
	enum hss_clone_policy clone_policy;
	unsigned clone_window_s;  /* a replaced MME heard from within this many seconds: two MMEs at once */
	/*
	 * Front ends sharing one PostgreSQL database (docs/sqn.md): frontends
	 * is their number (1, 2, 4 .. 32; 0 means 1), frontend_index this
	 * one's slot (0 .. frontends - 1). The slot takes the top IND bits,
	 * so each front end's vectors land in their own USIM array entries.
	 */
	unsigned frontends;
	unsigned frontend_index;
};

/* What an AIR, ULR or PUR comes to; the S6a front end maps each to its code. */
enum hss_result {
	HSS_OK = 0,
	HSS_USER_UNKNOWN = -1,                /* DIAMETER_ERROR_USER_UNKNOWN 5001 */
	HSS_UNKNOWN_EPS_SUBSCRIPTION = -2,    /* DIAMETER_ERROR_UNKNOWN_EPS_SUBSCRIPTION 5420 */
	HSS_ROAMING_NOT_ALLOWED = -3,         /* DIAMETER_ERROR_ROAMING_NOT_ALLOWED 5004 */
	HSS_AUTHENTICATION_DATA_UNAVAILABLE = -4, /* DIAMETER_AUTHENTICATION_DATA_UNAVAILABLE 4181 */
	HSS_RESYNC_REFUSED = -5,              /* AUTS did not verify, or too many resyncs: 4181 */
	HSS_SUSPENDED = -6,                   /* operator barring: 5420 per our docs/hss.md */
	HSS_INVALID = -7,                     /* malformed request: DIAMETER_INVALID_AVP_VALUE 5004 */
	HSS_ERROR = -8,                       /* storage or internal failure: DIAMETER_UNABLE_TO_COMPLY 5012 */
};

/* What a subscription allows a bearer to reach, for ULA's APN-Configuration. */
struct hss_apn {
	uint32_t context_id;
	char name[HSS_APN_MAX + 1]; /* Service-Selection, e.g. "provisioning" */
};

struct hss_subscription {
	char imsi[HSS_IMSI_MAX + 1];
	uint32_t default_context_id;
	size_t n_apns;
	struct hss_apn apns[HSS_MAX_APNS];
	uint64_t ambr_ul, ambr_dl; /* bit/s */
};

/* Open (creating if needed) the HSS's database. NULL with a message in err on failure. */
struct hss *hss_open(const struct hss_config *cfg, char *err, size_t err_len);
void hss_close(struct hss *h);

/*
 * After each request (S6a answer, provisioning command), under the HSS
 * lock: finds, logs and resets any statement left busy and rolls back an
 * open transaction (svc/store.h om_store_idle; aborts in strict mode).
 * Returns how many it found.
 */
unsigned hss_idle(struct hss *h, const char *where);

/*
 * Authentication-Information: up to n E-UTRAN vectors for imsi, requested
 * by origin_host for serving network visited_plmn (3 octets, TS 24.008
 * 10.5.1.13). resync, when not NULL, is Re-Synchronization-Info = RAND ||
 * AUTS (30 octets): verify AUTS, then continue above both SQN_MS and every
 * SQN issued before (TS 33.102 6.3.5; docs/sqn.md), then make the vectors.
 * The roaming rules are checked before anything is generated. An AUTS ahead
 * of everything issued, or a request from the MME that was replaced as the
 * serving MME moments ago, is a clone or rollback event: logged, counted
 * and, under HSS_CLONE_BAR, answered HSS_SUSPENDED. Returns the
 * number of vectors written to out (1..n), or an hss_result.
 */
int hss_auth_info(struct hss *h, const char *imsi, const uint8_t visited_plmn[static 3],
		  const char *origin_host, unsigned n, const uint8_t *resync, struct om_eutran_vector *out);

/* As above for UTRAN vectors (Requested-UTRAN-GERAN-Authentication-Info). */
int hss_auth_info_utran(struct hss *h, const char *imsi, const uint8_t visited_plmn[static 3],
			const char *origin_host, unsigned n, const uint8_t *resync,
			struct om_utran_vector *out);

/* Update-Location: record the serving MME (and the one it replaces) and
 * return the subscription; the two-MME rule applies as for AIR. */
int hss_update_location(struct hss *h, const char *imsi, const uint8_t visited_plmn[static 3],
			const char *origin_host, struct hss_subscription *out);

/* Purge-UE: forget the serving MME, or the replaced one, if it is origin_host. */
int hss_purge(struct hss *h, const char *imsi, const char *origin_host);

/*
 * What the serving MME must hear after a committed change (TS 29.272 5.2.1.1
 * Cancel Location, 5.2.2.1 Insert Subscriber Data). The core says whom and
 * what; the S6a front end sends it (hss/s6a_server.c), outside every lock.
 */
enum hss_notify_kind {
	HSS_NOTIFY_CANCEL_UPDATE,    /* another MME sent ULR: Cancellation-Type MME_UPDATE_PROCEDURE (0) */
	HSS_NOTIFY_CANCEL_WITHDRAWN, /* deleted, suspended, or no longer allowed in the serving PLMN:
					SUBSCRIPTION_WITHDRAWAL (2); the HSS forgets the serving MME */
	HSS_NOTIFY_PROFILE,          /* APNs or AMBR changed: Insert-Subscriber-Data with sub */
};
typedef void (*hss_notify_fn)(void *arg, enum hss_notify_kind kind, const char *imsi, const char *mme,
			      const struct hss_subscription *sub);

/* Who hears of changes (NULL: nobody, as in the tests of the core alone). Set before serving. */
void hss_set_notify(struct hss *h, hss_notify_fn fn, void *arg);

/* A name for each hss_result, for logs. */
const char *hss_result_name(int r);
