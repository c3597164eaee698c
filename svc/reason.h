/* SPDX-License-Identifier: Apache-2.0 */
/* Small helpers the services share: a reason for the caller, libcurl set up once. */
#pragma once

#include <stddef.h>

/*
 * Write a one-line reason into why (when why and len are set) and return
 * rc, so a refusal reads `return om_reason(why, len, OM_E..., "...", ...)`.
 */
int om_reason(char *why, size_t len, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * libcurl's global initialisation, done once per process whichever client
 * (OCSP, PVA, peer DRF, VNO push) comes first. Returns 1 when libcurl is usable.
 */
int om_curl_ready(void);
