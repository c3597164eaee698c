/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HSS's records on the storage interface (svc/store.h): schema,
 * migrations and one function per read or write. Internal to hss/.
 *
 * Every function here runs inside a transaction the caller opened, with the
 * HSS lock held (struct hss below); none takes the lock itself.
 */
#pragma once

#include <pthread.h>
#include <stdint.h>

#include <openmcim/milenage.h>

#include "hss.h"
#include "store.h"

#define HSS_MAX_PLMNS 16
#define HSS_MAX_VECTORS_CAP 32 /* the largest max_vectors hss_open() accepts */
#define HSS_STATUS_ACTIVE 0
#define HSS_STATUS_SUSPENDED 1

/* Statements prepared once at open, in the order of hss_store.c's table. */
enum hss_sql {
	SQL_SUB_GET,
	SQL_SUB_SET_SQN,
	SQL_ROAM_ALLOWED,
	SQL_IND_GET,
	SQL_IND_ADD,
	SQL_LOC_SET,
	SQL_LOC_CLEAR,
	SQL_APN_LIST,
	SQL_SUB_ADD,
	SQL_APN_ADD,
	SQL_APN_CLEAR,
	SQL_ROAM_ADD,
	SQL_ROAM_CLEAR,
	SQL_ROAM_LIST,
	SQL_SUB_SET_STATUS,
	SQL_SUB_SET_AMBR,
	SQL_SUB_SET_ROAMING_ANY,
	SQL_SUB_DELETE,
	SQL_SUB_COUNT,
	SQL_PREV_CLEAR,
	SQL_SUB_SET_EVENTS,
	SQL_EVENTS_SUMMARY,
	SQL_EVENTS_FLAGGED,
	SQL_SUB_LIST,
	SQL_N
};

struct hss {
	struct hss_config cfg;
	hss_notify_fn notify; /* hss_set_notify; called after the commit, without the lock */
	void *notify_arg;
	pthread_mutex_t lock; /* serialises every use of store and stmt[] */
	struct om_store *store;
	struct om_stmt *stmt[SQL_N];
};

/* One subscriber row. k and opc are secret: cleanse with hss_row_clear(). */
struct hss_row {
	char imsi[HSS_IMSI_MAX + 1];
	uint8_t k[OM_K_LEN];
	uint8_t opc[OM_OPC_LEN];
	uint8_t amf[OM_AMF_LEN];
	unsigned ind_bits;
	uint64_t sqn;          /* the last SQN handed out (exact after a clean close) */
	uint64_t seq_reserved; /* durable high-water SEQ: no SQN ever left with a higher SEQ */
	int status;
	int roaming_any;
	uint64_t ambr_ul, ambr_dl;
	unsigned resync_count;
	int64_t resync_window_start;
	char serving_host[HSS_HOST_MAX + 1];
	uint8_t serving_plmn[3];
	int64_t serving_since; /* 0: none */
	/* clone and rollback detection (hss/clone.c) */
	char previous_host[HSS_HOST_MAX + 1]; /* the MME serving_host replaced ("": none) */
	int64_t previous_until;               /* when it was replaced */
	unsigned sqn_ahead_events, two_mme_events;
	char last_event[16]; /* "sqn-ahead", "two-mme" or "" */
	int64_t last_event_at;
};

/* A profile as the provisioning interface gives it; has_* say which parts were given. */
struct hss_profile {
	int has_apns, has_ambr, has_roaming, has_status;
	size_t n_apns;
	struct hss_apn apns[HSS_MAX_APNS];
	uint64_t ambr_ul, ambr_dl;
	int roaming_any;
	size_t n_plmns;
	uint8_t plmns[HSS_MAX_PLMNS][3];
	int status;
};

void hss_row_clear(struct hss_row *r);

/*
 * Open the store at cfg->db_path, migrate, prepare every statement and
 * recover from a crash: every subscriber whose stored SQN lies below its
 * reserved mark continues above the mark (docs/hss.md). Returns 0 or a
 * negative code with a reason in err.
 */
int hss_store_open(struct hss *h, char *err, size_t err_len);

/* Record each subscriber's exact SQN as its mark (clean shutdown), then close. */
void hss_store_close(struct hss *h);

/*
 * After OM_ESTORE_CONN (the PostgreSQL server went away): drop the dead
 * connection and open again, which runs the crash recovery of
 * hss_store_open(). The server may have crashed and lost lazy commits, so
 * continuing without the recovery could hand an SQN out twice. On failure
 * h->store is NULL (every store call then fails cleanly) until a later
 * reopen succeeds.
 */
int hss_store_reopen(struct hss *h, char *err, size_t err_len);

/* 0 with *r filled, OM_EHSS_NOT_FOUND, or a store code. */
int hss_store_get(struct hss *h, const char *imsi, struct hss_row *r);

/* 1 if the subscriber may attach in plmn (3 octets), 0 if not, or a store code. */
int hss_store_roaming_allowed(struct hss *h, const struct hss_row *r, const uint8_t plmn[static 3]);

/* The persistent IND of origin_host (a new one is recorded on first sight). */
int hss_store_ind(struct hss *h, const char *origin_host, unsigned *ind);

/* Write the SQN state and resync counter of r->imsi. */
int hss_store_set_sqn(struct hss *h, const struct hss_row *r);

/* Record host as r's serving MME since now, and r's previous_host and previous_until. */
int hss_store_set_location(struct hss *h, const struct hss_row *r, const char *host, const uint8_t plmn[static 3],
			   int64_t now);
/* Forget host as the serving MME (and then the replaced one too), or as the replaced MME. */
int hss_store_clear_location(struct hss *h, const char *imsi, const char *host);

/* Write r's event counters, last event, previous MME and status. */
int hss_store_set_events(struct hss *h, const struct hss_row *r);

/* The APNs of imsi into out (default context id = the first). */
int hss_store_subscription(struct hss *h, const struct hss_row *r, struct hss_subscription *out);

/* The roaming list of imsi (when not roaming_any). */
int hss_store_plmns(struct hss *h, const char *imsi, uint8_t plmns[][3], size_t max, size_t *n);

/*
 * Insert a subscriber with its whole profile (every has_* set). OM_EHSS_EXISTS if present.
 * Its SQN mark is born sqn_reserve SEQs ahead (docs/hss.md "SQN"), so the caller's
 * transaction must be durable (the admin commands' are): a lost insert must not
 * leave lazily committed SQNs behind it.
 */
int hss_store_add(struct hss *h, const char *imsi, const uint8_t k[static OM_K_LEN],
		  const uint8_t opc[static OM_OPC_LEN], const uint8_t amf[static OM_AMF_LEN], unsigned ind_bits,
		  const struct hss_profile *p);

/*
 * Raise r's SQN mark to SEQ(sqn) + sqn_reserve when it is below, in r and in the
 * store (docs/hss.md "SQN"): only in a durable transaction, since the AIRs that
 * follow commit lazily up to the new mark. 0 or a store code.
 */
int hss_store_reserve(struct hss *h, struct hss_row *r);

/* Apply the parts of p that are given. OM_EHSS_NOT_FOUND if absent. */
int hss_store_change(struct hss *h, const char *imsi, const struct hss_profile *p);

/* Delete imsi with its APNs and roaming list. OM_EHSS_NOT_FOUND if absent. */
int hss_store_delete(struct hss *h, const char *imsi);

/* Number of subscribers. */
int hss_store_count(struct hss *h, int64_t *n);

/* The clone and rollback events over all subscribers, for `status`. */
struct hss_events_summary {
	int64_t subscribers, suspended, flagged; /* flagged: subscribers with at least one event */
	int64_t sqn_ahead, two_mme;              /* events */
};
int hss_store_events_summary(struct hss *h, struct hss_events_summary *out);

/* Each flagged subscriber (at most max, the latest event first) to fn; r has no K or OPc. */
int hss_store_flagged(struct hss *h, size_t max, void (*fn)(void *ctx, const struct hss_row *r), void *ctx);

/* The subscribers after IMSI after ("" from the first), in IMSI order, at most max, to fn; r has no K or OPc. */
int hss_store_list(struct hss *h, const char *after, size_t max, void (*fn)(void *ctx, const struct hss_row *r),
		   void *ctx);

/* Map a store or om_err code to the hss_result an S6a answer needs. */
int hss_result_from_err(int err);

/* PLMN digits ("00101", "001001") to the 3-octet id, and back. 0 or OM_EHSS_PROFILE. */
int hss_plmn_parse(const char *digits, uint8_t plmn[static 3]);
void hss_plmn_format(const uint8_t plmn[static 3], char out[static 8]);

/* 1 if imsi is 6..15 decimal digits. */
int hss_imsi_valid(const char *imsi);
