/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The new SHO as a client of the current SHO's DRF (spec/002 B.2.3.2 step
 * 2): the peer table ([peer.<SHO_ID>] url, ca in sho.conf) and one POST
 * <url>/handover of a signed request over HTTPS with mutual TLS (our
 * OPERATOR_TLS certificate; the DRF's certificate verified against the
 * peer's CA), with the DRF's one-line answer (drf/drf_http.h) read back.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openmcim/err.h>
#include <openmcim/handover.h>

#include "conf.h"
#include "https_client.h"
#include "sho.h"

#define SHO_PEERS_MAX 32
#define SHO_PEER_URL_MAX 255

struct sho_peer {
	char sho_id[OM_HANDOVER_SHO_ID_MAX + 1];
	char url[SHO_PEER_URL_MAX + 1]; /* the DRF's base URL; /handover is appended */
	char ca_file[512];              /* PEM roots for the DRF's TLS certificate */
	struct om_https_client *client; /* kept links to it (sho_peers_connect), or NULL */
};

struct sho_peers {
	struct sho_peer p[SHO_PEERS_MAX];
	size_t n;
	const char *cert_file, *key_file; /* our OPERATOR_TLS identity (borrowed) */
	long timeout_ms;                   /* whole exchange */
};

/*
 * A client per peer, built once (svc/https_client.h): its roots, our
 * certificate and key parsed now, its connections kept between calls. Call
 * after the table is filled; a table without it makes a client per call.
 * Returns 0, or OM_ESHO_CONFIG / OM_ENOMEM with the peer and file in err.
 */
OM_NODISCARD int sho_peers_connect(struct sho_peers *t, char *err, size_t err_len);
void sho_peers_close(struct sho_peers *t);

/* The DRF's answer to one request. */
struct sho_peer_answer {
	int http_status;
	int accepted;                                /* 1: result=accepted */
	char request_id[OM_HANDOVER_ID_MAX + 1];     /* as the DRF echoed it ("" if not) */
	char reason[SHO_REASON_MAX + 1];             /* refusal: the DRF's reason (OM_E...) */
	int completed;                               /* 1: result=completed (sho_peer_completed) */
	uint32_t sequence;                           /* accepted: the bootstrap's sequence= (0 if absent) */
};

/*
 * The [peer.<SHO_ID>] section names found in the configuration file at
 * path, so that the daemon's key table can list them (svc/conf.h knows
 * fixed sections only). ids[i] get at most OM_HANDOVER_SHO_ID_MAX bytes.
 * Returns the number found (0..max), or OM_ESHO_CONFIG with the file and
 * line in err (unreadable file, a name too long or twice, too many).
 */
OM_NODISCARD int sho_peer_sections(const char *path, char ids[][OM_HANDOVER_SHO_ID_MAX + 1], size_t max,
				   char *err, size_t err_len);

/*
 * The configuration file at path loaded with the keys base[0..n_base) and,
 * for each [peer.<SHO_ID>] section in it (sho_peer_sections), its url and ca
 * (both required): how the daemons that talk to peers' DRFs (openmcim-sho,
 * openmcim-dpf) read theirs. The peers' ids into ids[0..*n_ids), ready for
 * sho_peers_read. Returns the configuration, or NULL with the reason in err.
 */
struct om_conf *sho_peer_conf_load(const char *path, const struct om_conf_key *base, size_t n_base,
				   char ids[][OM_HANDOVER_SHO_ID_MAX + 1], size_t *n_ids, char *err, size_t err_len);

/* The peer for sho_id, or NULL. */
const struct sho_peer *sho_peer_find(const struct sho_peers *t, const char *sho_id);

/*
 * POST req[0..len) to <peer url>/handover with our client certificate and
 * read the answer into *ans. A 200 "result=accepted" or a 4xx
 * "result=refused reason=..." is an answer (0); anything else is not.
 * Returns 0, OM_ESHO_PEER_TRANSPORT (no connection, TLS refused, no answer
 * within timeout_ms: the request may or may not have arrived),
 * OM_ESHO_PEER_ANSWER (an answer we cannot read, e.g. 5xx or another
 * format), or OM_ENOMEM, with a one-line reason in why.
 */
OM_NODISCARD int sho_peer_send(const struct sho_peers *t, const struct sho_peer *p, const uint8_t *req, size_t len,
			       struct sho_peer_answer *ans, char *why, size_t why_len);

/*
 * The [peer.<SHO_ID>] sections of c for ids[0..n) (as sho_peer_sections
 * found them) into t->p[0..n) and t->n: url must be https://..., ca a
 * readable PEM certificate. The caller sets cert_file, key_file and
 * timeout_ms. Returns 0, or OM_ESHO_CONFIG with the file and section in err.
 */
OM_NODISCARD int sho_peers_read(const struct om_conf *c, char ids[][OM_HANDOVER_SHO_ID_MAX + 1], size_t n,
				struct sho_peers *t, char *err, size_t err_len);

/*
 * Note Z: report to the previous SHO's DRF that the device attached with
 * the MCIM of request_id: POST <peer url>/handover/<request_id>/completed
 * (docs/drf.md "Daemon") with our client certificate; the body is the
 * TRE's signed outcome statement (outcome.h), which the DRF verifies before
 * it releases anything (issue 12). A 200
 * "result=completed" (ans->completed = 1) or a 4xx "result=refused
 * reason=..." is an answer (0). Returns 0, OM_EINVAL (request_id not
 * [A-Za-z0-9._-]), OM_ESHO_PEER_TRANSPORT, OM_ESHO_PEER_ANSWER or
 * OM_ENOMEM, with a one-line reason in why.
 */
OM_NODISCARD int sho_peer_completed(const struct sho_peers *t, const struct sho_peer *p, const char *request_id,
				    const uint8_t *statement, size_t statement_len, struct sho_peer_answer *ans,
				    char *why, size_t why_len);
