/* SPDX-License-Identifier: Apache-2.0 */
/* The SHO's client of its operator's DRF admin socket (drf_link.h). */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "admin_call.h"
#include "drf_link.h"
#include "sho_int.h"

struct drf_line {
	char text[512];
};

static void keep_line(void *ctx, const char *line)
{
	struct drf_line *l = ctx;
	snprintf(l->text, sizeof(l->text), "%s", line);
}

static int call(const char *socket_path, const char *cmd, struct drf_line *got, char *why, size_t wl)
{
	struct om_admin_peer peer = { .path = socket_path, .timeout_ms = SHO_DRF_LINK_MS };
	int rc = om_admin_peer_call(&peer, cmd, keep_line, got, why, wl);
	return rc == OM_EUNAVAILABLE ? OM_ESHO_DRF : rc;
}

int sho_drf_code(const char *socket_path, const char *tre_id, const char *owner_id, int64_t valid_s,
		 char code[static SHO_DRF_CODE_MAX + 1], char *why, size_t wl)
{
	struct drf_line got = { "" };
	char cmd[OM_TRE_ID_MAX + SHO_OWNER_ID_MAX + 64];
	if (!socket_path || !sho_id_ok(tre_id, OM_TRE_ID_MAX) || !sho_id_ok(owner_id, SHO_OWNER_ID_MAX) || valid_s < 0)
		return OM_EINVAL;
	snprintf(cmd, sizeof(cmd), "transfer-code %s %lld %s\n", tre_id, (long long)valid_s, owner_id);
	int rc = call(socket_path, cmd, &got, why, wl);
	size_t n = strlen(got.text);
	if (rc == 0 && (n == 0 || n > SHO_DRF_CODE_MAX))
		rc = om_reason(why, wl, OM_ESHO_DRF, "the DRF answered no code");
	if (rc == 0)
		memcpy(code, got.text, n + 1);
	OPENSSL_cleanse(&got, sizeof(got));
	return rc;
}

int sho_drf_owner(const char *socket_path, const char *tre_id, const char *owner_id, char *why, size_t wl)
{
	struct drf_line got = { "" };
	char cmd[OM_TRE_ID_MAX + SHO_OWNER_ID_MAX + 16];
	if (!socket_path || !sho_id_ok(tre_id, OM_TRE_ID_MAX) || !sho_id_ok(owner_id, SHO_OWNER_ID_MAX))
		return OM_EINVAL;
	snprintf(cmd, sizeof(cmd), "owner %s %s\n", tre_id, owner_id);
	return call(socket_path, cmd, &got, why, wl);
}
