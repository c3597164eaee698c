/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers for the SHO and OCSP tests (tests/sho_testkit.c, in libomtest): a PVA CA, TRE certificate pairs issued by it, an index.txt for
 * the independent `openssl ocsp` responder, and that responder started on a
 * free port and stopped again.
 */
#pragma once

#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/x509.h>

#include <openmcim/claim.h>
#include <openmcim/pki.h>

#include "check.h"
#include "sho.h"

/* The kit's manufacturer claim key: a test can make any generation's claim (claim.h). */
static const uint8_t kit_claim_key[OM_CLAIM_KEY_LEN] = { 0x6b, 0x69, 0x74 };

/* A TRE's two certificates and keys, issued by the kit's CA, and its first owner's claim. */
struct kit_tre {
	char tre_id[64];
	EVP_PKEY *sign_key, *enc_key;
	X509 *sign, *enc;
	uint8_t *sign_der, *enc_der;
	size_t sign_len, enc_len;
	uint8_t claim[OM_CLAIM_LEN];
};

void kit_tre_free(struct kit_tre *t);

struct om_ca *kit_ca(const char *cn, EVP_PKEY **key_out);

void kit_tre_issue(const struct om_ca *ca, const char *tre_id, struct kit_tre *t);

/* One index.txt line: 'V' good, 'R' revoked. */
void kit_index_line(FILE *f, X509 *cert, char status);

void kit_write(const char *dir, const char *name, const char *text);

/* A port no address holds now: `openssl ocsp -port` binds [::] dual-stack (du_free_port). */
int kit_free_port(void);

/* Does the file at path contain needle? (The responder's log says when it listens.) */
int kit_log_has(const char *path, const char *needle);

/*
 * Start `openssl ocsp -index DIR/index.txt -port P -rsigner R -rkey K -CA C`
 * (paths in dir) and wait until it accepts connections. Returns the pid;
 * *port gets the port. Exits the test when it cannot start.
 */
pid_t kit_ocsp_start(const char *dir, const char *rsigner, const char *rkey, const char *ca, int *port);

void kit_ocsp_stop(pid_t pid);

void kit_rm_rf(const char *dir);

void kit_save_ca(const char *dir, const struct om_ca *ca, EVP_PKEY *key, const char *name);

/* A delivery-note row for t (its first owner's claim), current SHO current_sho; the certificates copied (free them). */
void kit_device_in(const struct kit_tre *t, const char *current_sho, struct sho_device_in *d);

/* Index lines, status V, for both certificates of each of note[0..n); *enc0 (unless NULL) keeps note[0]'s Cert_TRE (TRE_ENCRYPTION). */
void kit_index_note(FILE *f, const struct sho_device_in *note, int n, X509 **enc0);

/* The PVA (pva, pva_key) saved in dir as pva.{pem,key} and an OCSP responder on dir/index.txt; its URL in url. */
pid_t kit_ocsp_pva(const char *dir, const struct om_ca *pva, EVP_PKEY *pva_key, char *url, size_t cap);
/*
 * SHO-B's openmcim-sho configuration in dir (sho_daemon_test, sho_move_restart_test): its
 * database (db: a t_store_conf string; NULL: dir/sho.db), IMSI range, subscription, the PVA (dir/pva.pem, ocsp_url), the HSS socket, its
 * signing identity and TLS files under dir (sho-b-signing.*, tls/owners.sho-b.lab.*,
 * tls/sho-b.lab.*), [daemon] up to peer_timeout; the caller adds the rest ([peer.X]...)
 * and closes f. NULL if the file cannot be made.
 */
FILE *kit_sho_b_conf(const char *dir, const char *db, const char *path, const char *ocsp_url,
		     const char *hss_sock, unsigned peer_timeout_ms);
