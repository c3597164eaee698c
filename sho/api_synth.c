/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The owner API of Alternative 3 (synthetic.h): POST /api/v1/synthetic gives
 * {tre_id, ku} to this operator (spec/000 5.2.4.6.3 step 2: "gives Ku to the
 * network"), which creates the subscriber suspended; POST
 * /api/v1/synthetic/activate makes it live (5.2.4.3.4). Ku never reaches a
 * log or an answer; the JSON copy of it is cleansed.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "api.h"
#include "log.h"
#include "sho_int.h"
#include "synthetic.h"

static void forget_ku(cJSON *b)
{
	cJSON *ku = b ? cJSON_GetObjectItemCaseSensitive(b, "ku") : NULL;
	if (cJSON_IsString(ku) && ku->valuestring)
		OPENSSL_cleanse(ku->valuestring, strlen(ku->valuestring));
	cJSON_Delete(b);
}

static void synth_call(struct om_http_req *r, struct sho_api *a, int activate)
{
	struct api_caller c;
	char imsi[OM_MCIM_IMSI_MAX + 1] = "", why[256] = "";
	if (api_caller(r, a, 1, &c) < 0)
		return;
	cJSON *b = api_body(r);
	if (!b)
		return;
	const char *tre_id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "tre_id"));
	const char *ku = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "ku"));
	int rc = !tre_id || !ku || !sho_id_ok(tre_id, OM_TRE_ID_MAX)
			 ? om_reason(why, sizeof(why), OM_ESHO_REQUEST, "tre_id and ku (strings) are needed")
		 : activate ? sho_synth_activate(a->synth, &a->synth_target, tre_id, ku, imsi, why, sizeof(why))
			    : sho_synth_accept(a->synth, &a->synth_target, tre_id, ku, imsi, why, sizeof(why));
	const char *event = activate ? "synthetic-activate" : "synthetic-accept";
	if (rc < 0) {
		om_notice(event, "peer=%s owner=%s tre_id=%.64s result=refused reason=%s", om_http_req_peer(r), c.owner_id,
			  tre_id && sho_id_ok(tre_id, OM_TRE_ID_MAX) ? tre_id : "-", om_errname(rc));
		forget_ku(b);
		return api_error(r, rc, why);
	}
	om_info(event, "peer=%s owner=%s tre_id=%s imsi=%s status=%s", om_http_req_peer(r), c.owner_id, tre_id, imsi,
		activate ? "active" : "suspended");
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "tre_id", tre_id);
	cJSON_AddStringToObject(j, "imsi", imsi);
	cJSON_AddStringToObject(j, "status", activate ? "active" : "suspended");
	forget_ku(b);
	api_json(r, activate ? 200 : 201, j);
}

void api_synth_accept(struct om_http_req *r, void *arg)
{
	synth_call(r, arg, 0);
}

void api_synth_activate(struct om_http_req *r, void *arg)
{
	synth_call(r, arg, 1);
}
