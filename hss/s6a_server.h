/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HSS's S6a front end (TS 29.272): AIR, ULR and PUR handlers on
 * freeDiameter that read the request with the AVP layer (svc/s6a_avp.h),
 * validate it, call the HSS core (hss.h) with Origin-Host as the serving
 * MME, and answer with the vectors or subscription, or the result code.
 */
#pragma once

#include <stdint.h>

#include "hss.h"

/*
 * Register the handlers for h. Call after om_s6a_core_init() and before
 * om_s6a_core_start(), so no request arrives before a handler exists.
 * Returns 0 or -1.
 */
int hss_s6a_register(struct hss *h);

/* Unregister the handlers (before hss_close()). */
void hss_s6a_unregister(void);

/* How an hss_result goes on the wire (TS 29.272 7.4, RFC 6733 7.1). */
struct hss_s6a_code {
	uint32_t code;
	int experimental; /* 1: Experimental-Result with Vendor-Id 10415 */
};

/* The answer code for r (HSS_OK or a negative hss_result). */
struct hss_s6a_code hss_s6a_code_for(int r);
