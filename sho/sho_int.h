/* SPDX-License-Identifier: Apache-2.0 */
/* What the registration service's files share inside sho/. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "sho.h"
#include "reason.h" /* om_reason: a one-line reason into why, returns rc */
#include "store.h"

#define SHO_DIGITS_MAX 15

#define SHO_AUTH_CACHE 16   /* owners remembered after a successful check */
#define SHO_AUTH_TTL 300    /* seconds a successful check is remembered */

/* The SHO's statements, prepared once at open (sho_store.c). */
enum sho_sql {
	SHO_SQL_OWNER_ADD,
	SHO_SQL_OWNER_GET,
	SHO_SQL_IMSI_NEXT_GET,
	SHO_SQL_IMSI_NEXT_SET,
	SHO_SQL_STATUS,
	SHO_SQL_LIST,
	SHO_SQL_SEALED_MCIM,
	SHO_SQL_CERT_SIGN,
	SHO_SQL_CERT_ENC,
	SHO_SQL_DM_AUTH,
	SHO_SQL_DEV_CLASSIFY,
	SHO_SQL_DEV_ADD,
	SHO_SQL_DEV_MOVE,
	SHO_SQL_VIEW,
	SHO_SQL_HO_DELETE,
	SHO_SQL_HO_ADD,
	SHO_SQL_DEV_REQUESTED,
	SHO_SQL_DEV_TRANSITION,
	SHO_SQL_HO_SEQUENCE,
	SHO_SQL_HO_OLD_PASSWORDS,
	SHO_SQL_HO_FORGET_PASSWORD,
	SHO_SQL_FLEET_PAGE,
	SHO_SQL_FLEET_COUNTS,
	SHO_SQL_EVENT_ADD,
	SHO_SQL_HISTORY,
	SHO_SQL_ADMIN_WORD,
	SHO_SQL_OWNER_EVENTS,
	SHO_SQL_DEV_RETURN,
	SHO_SQL_DEV_MODEL,
	SHO_SQL_DEV_RELEASE,
	SHO_SQL_CURSOR_GET,
	SHO_SQL_CURSOR_SET,
	SHO_SQL_MOVE_ADD,
	SHO_SQL_MOVE_ITEM_ADD,
	SHO_SQL_MOVE_ITEM_SET,
	SHO_SQL_MOVE_FINISH,
	SHO_SQL_MOVE_DELETE,
	SHO_SQL_MOVE_LIST,
	SHO_SQL_MOVE_ITEMS,
	SHO_SQL_MOVE_OLD,
	/* issue 15: the operator's owner and device commands (sho-admin) */
	SHO_SQL_OWNER_PAGE,
	SHO_SQL_OWNER_HOLDS,
	SHO_SQL_OWNER_SECRET,
	SHO_SQL_OWNER_DEL_MOVES,
	SHO_SQL_OWNER_DEL_EVENTS,
	SHO_SQL_OWNER_DELETE,
	SHO_SQL_DEV_DELETE,
	SHO_SQL_DEV_DEL_EVENTS,
	/* issue 14: the DPF's view of a device in one call (internal socket's device) */
	SHO_SQL_DEVICE,
	SHO_SQL_N
};

struct om_ocsp_client;
struct om_admin_link;

struct sho {
	struct om_store *store;
	struct om_stmt *stmt[SHO_SQL_N];
	/* the configuration, copied; empty strings when not given */
	char sho_id[OM_HANDOVER_SHO_ID_MAX + 1];
	char mcc[4], mnc[4];
	char msin_first[SHO_DIGITS_MAX + 1], msin_last[SHO_DIGITS_MAX + 1];
	uint8_t op[16];
	int has_op;
	char apn[OM_MCIM_APN_MAX + 1];
	char roaming[256];
	uint8_t amf[2];
	unsigned ind_bits;
	X509 *pva_ca;
	X509_STORE *pva_trust;
	char ocsp_url[256];
	struct om_ocsp_client *ocsp; /* made at the first registration and kept (sho/certs.c) */
	char hss_socket[108];
	struct om_admin_link *hss_link; /* kept-open connections to it for the release's resume (issue 14); NULL: one per call */
	char drf_socket[108];
	EVP_PKEY *sign_key;
	X509 *sign_cert;
	char provurl[OM_BOOTSTRAP_URL_MAX + 1];
	char server_id[OM_BOOTSTRAP_NAME_MAX + 1];
	char dpf_apn[OM_BOOTSTRAP_APN_MAX + 1];
	/* owners whose secret passed scrypt lately (sho/owner.c "Verified owners") */
	uint8_t auth_key[32];
	int has_auth_key;
	struct sho_auth_entry {
		char owner_id[SHO_OWNER_ID_MAX + 1];
		uint8_t stored[32]; /* the scrypt hash it was verified against */
		uint8_t mac[32];    /* HMAC-SHA-256(auth_key, secret) */
		int64_t until;
	} auth[SHO_AUTH_CACHE];
};

/*
 * Open the database conf names (a SQLite path or a postgresql:// URI), bring
 * its schema up to date and prepare s->stmt[]. 0 or a code with err.
 */
/* The schema steps and the statement table (tests/query_plan_test.c reads each statement's plan). */
const struct om_store_schema *sho_store_schema(void);

OM_NODISCARD int sho_store_open(struct sho *s, const char *conf, char *err, size_t err_len);
/* Finalize s->stmt[] and close the store. */
void sho_store_close(struct sho *s);

/* 1 if s is 1..max printable ASCII without space, comma or quote. */
int sho_id_ok(const char *s, size_t max);

/* Is the registration part of the configuration there? 0 or OM_ESHO_CONFIG. */
int sho_need_register_config(const struct sho *s, char *why, size_t wl);
int sho_need_handover_config(const struct sho *s, char *why, size_t wl);

/* ---- IMSI range (imsi.c) ---- */
/* IMSIs left in the range. */
OM_NODISCARD int sho_imsi_left(struct sho *s, uint64_t *left);
/* Take the next IMSI (inside the caller's transaction). 0 or OM_ESHO_IMSI_RANGE. */
OM_NODISCARD int sho_imsi_take(struct sho *s, char imsi[static OM_MCIM_IMSI_MAX + 1]);

/* ---- certificates (certs.c) ---- */
/* Per row: decoded certificates and the check's outcome. */
struct sho_checked {
	X509 *sign, *enc;
	int rc;
	char reason[SHO_REASON_MAX + 1];
};
/*
 * Check rows[i] for every i with ok[i]: decode, CN = TRE_id, chain and
 * profile against the PVA's CA, then one OCSP round per batch for all of
 * them. A row's failure goes into out[i]; the return is 0 or a failure of
 * the OCSP exchange itself (OM_EOCSP_*), which concerns every row.
 */
OM_NODISCARD int sho_certs_check(struct sho *s, const struct sho_device_in *rows, const int *todo, size_t n,
				 struct sho_checked *out, char *why, size_t wl);
void sho_checked_free(struct sho_checked *c, size_t n);

/* ---- MCIM preparation (mcim_prep.c) ---- */
struct sho_hss_row; /* hss_link.h */
/*
 * Fresh K, OPc (from the SHO's OP) and MID for imsi; the MCIM sealed for
 * enc_cert's key into *sealed (malloc'd); K/OPc/AMF copied into hss_row for
 * the HSS import (secret: the caller cleanses it). Returns 0 or a code.
 */
OM_NODISCARD int sho_mcim_prepare(struct sho *s, const char *imsi, X509 *enc_cert, uint8_t **sealed,
				  size_t *sealed_len, uint8_t mid[static OM_MCIM_MID_LEN],
				  struct sho_hss_row *hss_row);

/* The SHA-256 over what the owner gave for a device: makes a repeat recognisable. */
void sho_content_hash(const struct sho_device_in *d, uint8_t out[static 32]);

/* Seconds since the epoch. */
int64_t sho_now(void);

/* ---- history (fleet.c) ---- */
/* One event of tre_id for owner_id at `at`, inside the caller's transaction. */
OM_NODISCARD int sho_event_add(struct sho *s, const char *tre_id, const char *owner_id, int64_t at, const char *event,
			       const char *detail);

/* ---- device status rows (query.c) ---- */
/* One row of a status query (sho_store.c STATUS_COLUMNS). */
void sho_read_status(struct om_stmt *st, struct sho_device_status *o);
