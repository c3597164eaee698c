/* SPDX-License-Identifier: Apache-2.0 */
/* The JSON owner API: transfer codes at the current operator, bulk moves to this one (api.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "api.h"
#include "drf_link.h"
#include "log.h"
#include "sho_int.h"

#define CODES_MAX 1000
#define MOVE_STEP 4 /* devices a move advances per request that follows it */

/* The array under key: 1..max entries, or NULL after answering 400. */
static cJSON *array_of(struct om_http_req *r, cJSON *b, const char *key, int max)
{
	cJSON *arr = cJSON_GetObjectItemCaseSensitive(b, key);
	int n = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : 0;
	if (n < 1 || n > max) {
		char why[96];
		snprintf(why, sizeof(why), "%s must be an array of 1..%d entries", key, max);
		api_error(r, OM_ESHO_REQUEST, why);
		return NULL;
	}
	return arr;
}

/* ---- POST /api/v1/transfer-codes ----------------------------------------------------------- */

/*
 * The owner's consent to leave this operator (spec/002 B.2.3.2 step 2): a
 * code per device from this operator's DRF, over its admin socket (the
 * DRF's own interface, drf_link.h; `openmcim drf-admin transfer-code` is the
 * staff's way to the same). Only the device's owner here may consent: after
 * a resale the seller's account has no such device (404) and gets no code
 * (docs/decisions.md "Resale"), and the DRF issues the code only while its
 * register names the same owner, in one transaction with the issue. A new
 * code revokes the device's unused ones (one unused code per device).
 */
#define CODE_VALID_S (30 * 24 * 3600) /* as the DRF's default */

static int one_code(struct om_http_req *r, struct sho_api *a, const char *owner_id, const char *tre_id,
		    char code[static SHO_DRF_CODE_MAX + 1], int64_t *expires)
{
	struct sho_device_status st;
	char why[256] = "";
	int rc;
	if (!sho_id_ok(tre_id, OM_TRE_ID_MAX))
		return OM_ESHO_REQUEST;
	for (int pass = 0;; pass++) {
		/* under the handler lock, where resales run: the owner registered here now */
		if ((rc = sho_status(a->sho, tre_id, &st)) == OM_ESHO_NOT_FOUND || (rc == 0 && strcmp(st.owner_id, owner_id)))
			return OM_ESHO_NOT_FOUND; /* another owner's device does not exist for this one */
		if (rc < 0)
			return rc;
		if (pass == 1) {
			/* the DRF's register names someone else (told of a resale while it was down, or entered
			 * with the owner of that time): tell it, still under the lock, then ask again */
			if ((rc = sho_drf_owner(a->drf_socket, tre_id, owner_id, why, sizeof(why))) < 0)
				break;
		}
		/* the DRF is another daemon: others are served while it answers (issue 14) */
		om_http_release(r);
		rc = sho_drf_code(a->drf_socket, tre_id, owner_id, CODE_VALID_S, code, why, sizeof(why));
		om_http_reacquire(r);
		if (rc != OM_EDRF_OWNER || pass == 1)
			break;
	}
	if (rc == 0) {
		*expires = sho_now() + CODE_VALID_S;
		return 0;
	}
	if (rc != OM_EDRF_NOT_OURS)
		om_notice("sho-transfer-code", "peer=%s tre_id=%s code=%s reason=\"%s\"", om_http_req_peer(r), tre_id,
			  om_errname(rc), why);
	return rc == OM_EDRF_DEVICE || rc == OM_EDRF_OWNER ? OM_ESHO_NOT_FOUND : rc;
}

void api_codes(struct om_http_req *r, void *arg)
{
	struct sho_api *a = arg;
	struct api_caller c;
	if (api_caller(r, a, 1, &c) < 0)
		return;
	if (!a->drf_socket)
		return api_error(r, OM_ESHO_DRF, "this operator's console issues no transfer codes ([drf] admin_socket not set)");
	cJSON *b = api_body(r);
	cJSON *arr = b ? array_of(r, b, "devices", CODES_MAX) : NULL, *it;
	if (!arr) {
		cJSON_Delete(b);
		return;
	}
	cJSON *j = cJSON_CreateObject(), *out = cJSON_AddArrayToObject(j, "codes");
	unsigned issued = 0, refused = 0;
	cJSON_ArrayForEach(it, arr)
	{
		char code[SHO_DRF_CODE_MAX + 1] = "";
		int64_t expires = 0;
		const char *id = cJSON_GetStringValue(it);
		int rc = id ? 0 : OM_ESHO_REQUEST;
		/* a device listed twice gets one code: a second would revoke the first (one unused code each) */
		for (cJSON *prev = arr->child; rc == 0 && prev != it; prev = prev->next)
			if (cJSON_GetStringValue(prev) && !strcmp(cJSON_GetStringValue(prev), id))
				rc = OM_ESHO_DUPLICATE;
		if (rc == 0)
			rc = one_code(r, a, c.owner_id, id, code, &expires);
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "tre_id", id && sho_id_ok(id, OM_TRE_ID_MAX) ? id : "");
		if (rc == 0) {
			cJSON_AddStringToObject(o, "code", code);
			api_add_time(o, "expires", expires);
			cJSON_AddNullToObject(o, "error");
			issued++;
		} else {
			cJSON_AddNullToObject(o, "code");
			cJSON_AddNullToObject(o, "expires");
			cJSON_AddItemToObject(o, "error", api_error_object(rc, NULL));
			refused++;
		}
		OPENSSL_cleanse(code, sizeof(code));
		cJSON_AddItemToArray(out, o);
	}
	cJSON_Delete(b);
	/* the codes themselves are never logged */
	om_info("sho-transfer-codes", "peer=%s owner=%s issued=%u refused=%u", om_http_req_peer(r), c.owner_id, issued,
		refused);
	api_json(r, 200, j); /* the printed answer holds the codes: api_json frees it, cJSON leaves no copy */
}

/* ---- moves ------------------------------------------------------------------------------------ */

struct move_view {
	cJSON *out;
	int with_items;
};

/* Ours, or the current SHO's DRF's refusal: its reason starts with its code (OM_EDRF_...). */
static cJSON *move_error(const struct sho_move_outcome *o)
{
	if (o->rc < 0)
		return api_error_object(o->rc, o->reason);
	size_t n = strspn(o->reason, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
	char code[64];
	snprintf(code, sizeof(code), "%.*s", (int)(n < sizeof(code) ? n : 0), o->reason);
	int rc = n > 4 && !strncmp(code, "OM_E", 4) ? om_errcode(code) : 0;
	if (rc < 0 && !o->reason[n]) /* the code alone: its message is the reason */
		return api_error_object(rc, NULL);
	cJSON *e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "code", rc < 0 ? code : om_errname(OM_ESHO_REFUSED));
	cJSON_AddStringToObject(e, "reason", o->reason[0] ? o->reason : "refused by the current SHO");
	return e;
}

static void move_json(void *ctx, const struct sho_move *mv)
{
	struct move_view *v = ctx;
	unsigned tally[5] = { 0 };
	cJSON *o = cJSON_CreateObject(), *items = NULL;
	cJSON_AddStringToObject(o, "id", mv->id);
	api_add_time(o, "created", mv->created);
	api_add_time(o, "finished", mv->finished);
	cJSON_AddNumberToObject(o, "total", (double)mv->n);
	cJSON_AddNumberToObject(o, "done", (double)mv->done);
	if (v->with_items)
		items = cJSON_AddArrayToObject(o, "items");
	for (size_t i = 0; i < mv->n; i++) {
		const struct sho_move_item *it = &mv->items[i];
		enum sho_move_result res = it->out.result; /* queued until the device's answer is recorded */
		tally[res]++;
		if (!items)
			continue;
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "tre_id", it->tre_id);
		cJSON_AddStringToObject(x, "result", sho_move_result_name(res));
		api_add_text(x, "request_id", res != SHO_MOVE_QUEUED ? it->out.request_id : NULL);
		if (res != SHO_MOVE_QUEUED && res != SHO_MOVE_ACCEPTED)
			cJSON_AddItemToObject(x, "error", move_error(&it->out));
		else
			cJSON_AddNullToObject(x, "error");
		cJSON_AddItemToArray(items, x);
	}
	cJSON *t = cJSON_AddObjectToObject(o, "counts");
	for (int k = 0; k < 5; k++)
		cJSON_AddNumberToObject(t, sho_move_result_name((enum sho_move_result)k), tally[k]);
	if (cJSON_IsArray(v->out))
		cJSON_AddItemToArray(v->out, o);
	else
		v->out = o;
}

void api_move_start(struct om_http_req *r, void *arg)
{
	struct sho_api *a = arg;
	struct api_caller c;
	struct sho_move_item *items = NULL;
	char id[SHO_MOVE_ID_LEN + 1];
	cJSON *it;
	size_t n = 0;
	if (api_caller(r, a, 1, &c) < 0)
		return;
	cJSON *b = api_body(r);
	cJSON *arr = b ? array_of(r, b, "devices", SHO_MOVE_MAX) : NULL;
	if (!arr) {
		cJSON_Delete(b);
		return;
	}
	int rc = (items = calloc((size_t)cJSON_GetArraySize(arr), sizeof(*items))) ? 0 : OM_ENOMEM;
	cJSON_ArrayForEach(it, arr)
	{
		const char *tre = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "tre_id"));
		const char *code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "code"));
		if (rc < 0)
			break;
		if (!tre || !code || !sho_id_ok(tre, OM_TRE_ID_MAX) || strlen(code) > OM_HANDOVER_CODE_MAX) {
			rc = OM_ESHO_REQUEST;
			break;
		}
		sho_move_item_set(&items[n], tre, code); /* the code's proof: the code itself is not kept */
		n++;
	}
	if (b) { /* the codes in the parsed body */
		cJSON_ArrayForEach(it, arr)
		{
			char *code = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "code"));
			if (code)
				OPENSSL_cleanse(code, strlen(code));
		}
		cJSON_Delete(b);
	}
	if (rc == 0)
		rc = sho_mover_add(a->mover, a->sho, c.owner_id, items, n, id);
	if (items)
		OPENSSL_cleanse(items, n * sizeof(*items));
	free(items);
	if (rc < 0)
		return api_error(r, rc,
				 rc == OM_ESHO_REQUEST ? "each device needs tre_id and code (strings)"
				 : rc == OM_ESHO_STATE ? "too many moves running: try again when one has finished"
				 : rc == OM_ESHO_MOVE_LIMIT ? "this owner has as many unfinished moves as one may: wait for one to finish"
						       : NULL);
	om_info("sho-move", "peer=%s owner=%s id=%s devices=%zu", om_http_req_peer(r), c.owner_id, id, n);
	/* the mover's worker starts on it: the answer does not wait for any DRF */
	struct move_view v = { 0 };
	if (sho_mover_view(a->mover, c.owner_id, id, move_json, &v) < 0 || !v.out)
		return api_error(r, OM_ESHO_NOT_FOUND, NULL);
	char loc[64];
	snprintf(loc, sizeof(loc), "/api/v1/moves/%s", id);
	om_http_reply_header(r, "Location", loc);
	api_json(r, 202, v.out);
}

void api_moves(struct om_http_req *r, void *arg)
{
	struct sho_api *a = arg;
	struct api_caller c;
	if (api_caller(r, a, 0, &c) < 0)
		return;
	cJSON *j = cJSON_CreateObject();
	struct move_view v = { .out = cJSON_AddArrayToObject(j, "moves") };
	int rc = sho_mover_view(a->mover, c.owner_id, NULL, move_json, &v);
	if (rc < 0) {
		cJSON_Delete(j);
		return api_error(r, rc, NULL);
	}
	api_json(r, 200, j);
}

void api_move_one(struct om_http_req *r, void *arg)
{
	struct sho_api *a = arg;
	struct api_caller c;
	struct move_view v = { .with_items = 1 };
	if (api_caller(r, a, 0, &c) < 0)
		return;
	const char *id = api_path_id(r, "/api/v1/moves/", SHO_MOVE_ID_LEN);
	if (id)
		(void)!sho_mover_run(a->mover, a->sho, r, c.owner_id, id, MOVE_STEP);
	if (!id || sho_mover_view(a->mover, c.owner_id, id, move_json, &v) < 0 || !v.out)
		return api_error(r, OM_ESHO_NOT_FOUND, NULL);
	api_json(r, 200, v.out);
}
