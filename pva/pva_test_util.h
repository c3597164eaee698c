/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the PVA test programs (tests/pva_test_util.c, in libomtest). */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <openmcim/pki.h>

#include "check.h"
#include "pva.h"

#define T_MODEL "LAB-1"
#define T_FW "2.0.0"
#define T_N_COMP 3
static const char *const t_components[T_N_COMP] = { "bootloader", "tre-kernel", "m2me-agent" };

/* The lab's reference value of a component: SHA-256 of "model/firmware/component". */
void t_reference(const char *model, const char *fw, const char *comp, uint8_t out[32]);

void t_write(const char *path, const char *text);

/* One TRE: its signing key, and the devices.csv row for it (model, firmware given). */
struct t_tre {
	EVP_PKEY *sign;
	X509 *sign_cert;
	char row[4096];
};

int t_make_tre(const struct om_ca *ca, const char *tre_id, const char *model, const char *fw, struct t_tre *t);

void t_tre_free(struct t_tre *t);

/* reference-measurements.csv text for T_MODEL/fw. */
void t_refs_csv(const char *fw, char *out, size_t cap);

/* A signed M2MMobj for t with the given firmware and measurements of (model, meas_fw). */
int t_m2mmobj(const struct t_tre *t, const char *tre_id, const char *fw, const char *meas_fw, uint8_t *out, size_t cap);

/* The PVA's CA and responder written into dir: ca.pem, responder.pem, responder.key. */
struct om_ca *t_pva_ca(const char *dir);
