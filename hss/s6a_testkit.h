/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the HSS's S6a tests share (tests/s6a_testkit.c, in libomtest): the subscriber rows filled through the core's provisioning
 * commands, a Diameter CA with a certificate per peer naming its identity,
 * and the daemon's configuration with S6a over TLS.
 */
#pragma once

#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "check.h"
#include "daemon_util.h"
#include "hss.h"
#include "pki_fixture.h"

#define SK_HSS_ID "hss.test.lab"
#define SK_MME_ID "mme.test.lab"
#define SK_MME2_ID "mme2.test.lab" /* a second MME the HSS serves: where a relayed request would go */
#define SK_OTHER_ID "mme.other.lab" /* a certificate of the right CA for an identity the HSS does not serve */
#define SK_REALM "epc.mnc001.mcc001.3gppnetwork.org"
#define SK_IMSI "001010000000001"
#define SK_IMSI_ROAM "001010000000002" /* may roam only in 001/02 */
#define SK_K_HEX "465b5ce8b199b49faa5f0a2ee238a6bc"
#define SK_OPC_HEX "cd63cb71954a9f4e48a5994e37a02baf"

/* openmcim-hss next to this test program, and hss.conf, hss.log, hss.db in dir. 0, or -1 (CHECKed). */
int sk_files(const char *dir, char bin[static 4096], char conf[static 512], char log[static 512], char db[static 512]);

void sk_emit(void *ctx, const char *line);

/* Fill the database through the core's own provisioning commands. */
int sk_provision(const char *db);

/* The test's Diameter CA (dir/ca.pem) and a certificate naming each identity: dir/<id>.pem and .key. */
int sk_make_pki(const char *dir);

/* openmcim-hss's configuration in dir/hss.conf: S6a over TLS on port, serving SK_MME_ID and SK_MME2_ID. */
void sk_hss_conf(const char *dir, const char *path, const char *db, unsigned port, const char *extra);
