/* SPDX-License-Identifier: Apache-2.0 */
/*
 * M2M application parameters as their own management object (spec/000
 * 5.2.4.3.2 "configuring application parameters, such as addresses of M2M
 * application servers", 5.2.4.3.5 "the application activation server then
 * provides the M2M terminal with the required parameters (addresses,
 * security association)"): the application server's address and the trust
 * anchor the terminal checks that server against. The DPF sets it over the
 * OMA DM session as ./M2MAppParams (docs/dm.md), right after the
 * M2MMCIMMobj; the session's own authentication (the DPF proves the key the
 * bootstrap pinned, every message HMAC'd) is its source validation. The
 * format, byte by byte, is in docs/formats.md "Application parameters";
 * one codec for both sides.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openmcim/err.h>

#define OM_DM_URI_APP_PARAMS "./M2MAppParams"
#define OM_DM_TYPE_APP_PARAMS "org.openmcim.m2m-app-params"

#define OM_APP_SERVER_MAX 255  /* https URL, printable ASCII, no space */
#define OM_APP_ANCHOR_MAX 4096 /* one DER certificate */
#define OM_APP_PARAMS_MAX (4 + 1 + 2 + OM_APP_SERVER_MAX + 2 + OM_APP_ANCHOR_MAX)

struct om_app_params {
	char server[OM_APP_SERVER_MAX + 1];
	uint8_t anchor[OM_APP_ANCHOR_MAX]; /* DER of a CA certificate */
	size_t anchor_len;
};

/*
 * Encode p into out (cap bytes). Returns the length, or OM_EOBJ_FIELD (the
 * server is not an https URL of printable ASCII), OM_EOBJ_VALUE (the anchor
 * is not one DER CA certificate), OM_EOBJ_TOO_LONG (a field or cap).
 */
OM_NODISCARD int om_app_params_encode(const struct om_app_params *p, uint8_t *out, size_t cap);

/*
 * Parse and check the object (the same checks as encoding): 0, or
 * OM_EOBJ_MAGIC, OM_EOBJ_VERSION, OM_EOBJ_TRUNCATED, OM_EOBJ_TRAILING,
 * OM_EOBJ_TOO_LONG, OM_EOBJ_FIELD, OM_EOBJ_VALUE; *p is zeroed on error.
 */
OM_NODISCARD int om_app_params_parse(const uint8_t *in, size_t len, struct om_app_params *p);
