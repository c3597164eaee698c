/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DRF's admin interface, the DPF's call (drf_admin.h). Its own file so
 * that a program linking it gets none of the DRF's store code
 * (tests/boundary_test.c).
 */
#include <stdio.h>

#include "drf_admin.h"
#include "reason.h"

int drf_remote_fallback_removal(const struct om_admin_peer *p, const char *tre_id, const char *imsi, char *why,
				size_t why_len)
{
	char line[OM_ADMIN_LINE_MAX];
	snprintf(line, sizeof(line), "fallback-removal %.64s %.15s\n", tre_id, imsi);
	return om_admin_peer_call(p, line, NULL, NULL, why, why_len);
}

int drf_remote_device_add(const struct om_admin_peer *p, const char *tre_id, const char *imsi, int64_t since,
			  const uint8_t *enc, size_t enc_len, const uint8_t *sign, size_t sign_len, const char *owner,
			  uint32_t sequence, uint64_t counter, char *why, size_t why_len)
{
	char line[OM_ADMIN_LINE_MAX];
	int n = snprintf(line, sizeof(line), "device-add %s %s %lld %s %u ", tre_id, imsi, (long long)since, owner,
			 (unsigned)sequence);
	int e = n > 0 && (size_t)n < sizeof(line) ? om_admin_b64_put(line + n, sizeof(line) - (size_t)n, enc, enc_len)
						  : OM_ELENGTH;
	if (e >= 0) {
		n += e;
		if (sign && sign_len && (size_t)n + 2 < sizeof(line)) {
			line[n++] = ' ';
			e = om_admin_b64_put(line + n, sizeof(line) - (size_t)n, sign, sign_len);
			n += e;
			if (e >= 0 && counter) {
				int k = snprintf(line + n, sizeof(line) - (size_t)n, " %llu", (unsigned long long)counter);
				e = k > 0 && (size_t)k < sizeof(line) - (size_t)n ? k : OM_ELENGTH;
				n += e > 0 ? e : 0;
			}
		}
	}
	if (e < 0 || (size_t)n + 2 > sizeof(line))
		return om_reason(why, why_len, OM_ELENGTH, "device-add line longer than %d", OM_ADMIN_LINE_MAX);
	line[n++] = '\n';
	line[n] = '\0';
	return om_admin_peer_call(p, line, NULL, NULL, why, why_len);
}
