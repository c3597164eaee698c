/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the DRF tests share: one device made by the factory, whose
 * Cert_SHO[0] is our (SHO-A's) SHO_SIGNING certificate, and a handover
 * request signed as a peer SHO would. Test code only.
 */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openmcim/bootstrap.h>
#include <openmcim/handover.h>
#include <openmcim/pki.h>
#include <openmcim/protect.h>

#include "check.h"
#include "factory.h"
#include "pki_fixture.h"

#define TRE_ID "TRE-00000001"
#define OLD_IMSI "001019000000001"

/* The factory's CAs under dir/cas and one device from a run in dir/run. */
struct drf_tk_device {
	struct om_ca *pva;
	X509 *pva_cert, *ro_cert, *enc_cert; /* enc_cert: the device's TRE_ENCRYPTION certificate */
	EVP_PKEY *pva_key, *ro_key;	     /* ro_key: only when asked for */
};

void drf_tk_device_make(struct drf_tk_device *dv, const char *dir, int with_ro_key);

void drf_tk_device_free(struct drf_tk_device *dv);

/*
 * A handover request from s (claiming to be id) for TRE_ID with code, its
 * DM credentials sealed to enc_cert, created at created, signed with key.
 * The encoded request (free()) and its length in *len.
 */
uint8_t *drf_tk_request(X509 *enc_cert, const struct pf_sho *s, const char *id, const char *rid, const char *code, int64_t created, EVP_PKEY *key, size_t *len);
