/* SPDX-License-Identifier: Apache-2.0 */
/* The JSON owner API: the fleet, one device, registration, states over time, the report (api.h). */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <openmcim/buf.h>

#include "api.h"
#include "hss_link.h"
#include "log.h"
#include "sho_int.h"

#define PAGE_DEFAULT 100
#define BUCKETS_DEFAULT 48

/* A query parameter into out ("" when absent); 0, or answers 400 and returns OM_ESHO_REQUEST. */
static int param(struct om_http_req *r, const char *name, char *out, size_t cap)
{
	out[0] = '\0';
	int rc = om_http_req_param(r, name, out, cap);
	if (rc < 0) {
		char why[96];
		snprintf(why, sizeof(why), "query parameter %s malformed or too long", name);
		api_error(r, OM_ESHO_REQUEST, why);
		return OM_ESHO_REQUEST;
	}
	return 0;
}

static int number(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	if (!*s || strspn(s, "0123456789") != strlen(s))
		return -1;
	unsigned long v = strtoul(s, &end, 10);
	if (*end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* ---- GET /api/v1/devices ------------------------------------------------------------- */

struct fleet_query {
	char state[SHO_STATE_MAX + 1], operator_id[OM_HANDOVER_SHO_ID_MAX + 1], prefix[OM_TRE_ID_MAX + 1];
	char model[SHO_MODEL_MAX + 1];
	char after[OM_TRE_ID_MAX + 1], refused[8], limit[8];
	struct sho_fleet_filter f;
};

/* The filter from the query; 0, or answers 400. */
static int read_filter(struct om_http_req *r, struct fleet_query *q)
{
	unsigned long limit = PAGE_DEFAULT;
	memset(q, 0, sizeof(*q));
	if (param(r, "state", q->state, sizeof(q->state)) || param(r, "operator", q->operator_id, sizeof(q->operator_id)) ||
	    param(r, "prefix", q->prefix, sizeof(q->prefix)) || param(r, "after", q->after, sizeof(q->after)) ||
	    param(r, "model", q->model, sizeof(q->model)) ||
	    param(r, "refused", q->refused, sizeof(q->refused)) || param(r, "limit", q->limit, sizeof(q->limit)))
		return OM_ESHO_REQUEST;
	const char *bad = NULL;
	if (q->state[0] && sho_state_index(q->state) < 0)
		bad = "state is not a registration state";
	else if (q->limit[0] && number(q->limit, 1, SHO_PAGE_MAX, &limit) < 0)
		bad = "limit must be 1..1000";
	else if (q->refused[0] && strcmp(q->refused, "true") && strcmp(q->refused, "false"))
		bad = "refused must be true or false";
	if (bad) {
		api_error(r, OM_ESHO_REQUEST, bad);
		return OM_ESHO_REQUEST;
	}
	q->f = (struct sho_fleet_filter){ .state = q->state, .operator_id = q->operator_id, .prefix = q->prefix,
					   .model = q->model,
					   .refused = !strcmp(q->refused, "true"), .after = q->after,
					   .limit = (unsigned)limit };
	return 0;
}

struct page {
	cJSON *arr;
	char last[OM_TRE_ID_MAX + 1];
};

static void page_add(void *ctx, const struct sho_device_status *d)
{
	struct page *p = ctx;
	cJSON_AddItemToArray(p->arr, api_device(d));
	snprintf(p->last, sizeof(p->last), "%s", d->tre_id);
}

static cJSON *counts_json(const uint64_t counts[static SHO_N_STATES])
{
	cJSON *o = cJSON_CreateObject();
	for (int k = 0; k < SHO_N_STATES; k++)
		cJSON_AddNumberToObject(o, sho_states[k], (double)counts[k]);
	return o;
}

void api_devices(struct om_http_req *r, void *arg)
{
	struct sho_api *a = arg;
	struct api_caller c;
	struct fleet_query q;
	struct page p = { 0 };
	uint64_t counts[SHO_N_STATES], total = 0;
	int more = 0;
	if (api_caller(r, a, 0, &c) < 0 || read_filter(r, &q) < 0)
		return;
	cJSON *j = cJSON_CreateObject();
	p.arr = cJSON_AddArrayToObject(j, "devices");
	int rc = sho_fleet_page(a->sho, c.owner_id, &q.f, page_add, &p, &more);
	if (rc == 0)
		rc = sho_fleet_counts(a->sho, c.owner_id, &q.f, counts);
	if (rc < 0) {
		cJSON_Delete(j);
		return api_error(r, rc, NULL);
	}
	for (int k = 0; k < SHO_N_STATES; k++)
		total += q.f.state[0] ? (k == sho_state_index(q.f.state) ? counts[k] : 0) : counts[k];
	api_add_text(j, "next", more ? p.last : NULL);
	cJSON_AddNumberToObject(j, "total", (double)total);
	cJSON_AddItemToObject(j, "counts", counts_json(counts));
	api_json(r, 200, j);
}

/* ---- GET /api/v1/devices/{tre_id} -------------------------------------------------------- */

static void history_add(void *ctx, const struct sho_event *e)
{
	cJSON *o = cJSON_CreateObject();
	api_add_time(o, "at", e->at);
	cJSON_AddStringToObject(o, "event", e->event);
	api_add_text(o, "detail", e->detail);
	cJSON_AddItemToArray(ctx, o);
}

void api_device_one(struct om_http_req *r, void *arg)
{
	struct sho_api *a = arg;
	struct api_caller c;
	struct sho_device_status d;
	if (api_caller(r, a, 0, &c) < 0)
		return;
	const char *id = api_path_id(r, "/api/v1/devices/", OM_TRE_ID_MAX);
	int rc = id ? sho_status(a->sho, id, &d) : OM_ESHO_NOT_FOUND;
	if (rc == 0 && strcmp(d.owner_id, c.owner_id))
		rc = OM_ESHO_NOT_FOUND; /* another owner's device does not exist for this one */
	if (rc < 0)
		return api_error(r, rc, NULL);
	cJSON *j = api_device(&d), *h = cJSON_AddArrayToObject(j, "history");
	rc = sho_history(a->sho, c.owner_id, id, history_add, h);
	if (rc < 0 && rc != OM_ESHO_NOT_FOUND) { /* a device registered before histories has none */
		cJSON_Delete(j);
		return api_error(r, rc, NULL);
	}
	api_json(r, 200, j);
}

/* ---- POST /api/v1/devices (a delivery note) ------------------------------------------------- */

static const char *row_result(const struct sho_row_report *p, int call_rc)
{
	if (p->rc < 0)
		return "refused";
	if (!p->committed && call_rc < 0)
		return "not_registered";
	return p->unchanged ? "unchanged" : p->transferred ? "transferred" : "registered";
}

void api_register(struct om_http_req *r, void *arg)
{
	struct sho_api *a = arg;
	struct api_caller c;
	struct sho_device_in *devs = NULL;
	struct sho_row_report *rep = NULL;
	char partial[8], raw[512] = "";
	size_t len, n = 0;
	if (api_caller(r, a, 1, &c) < 0 || param(r, "partial", partial, sizeof(partial)) < 0)
		return;
	const char *ct = om_http_req_header(r, "Content-Type");
	if (!ct || strncmp(ct, "text/csv", 8) || (ct[8] && ct[8] != ';'))
		return api_error(r, OM_ESHO_REQUEST, "the delivery note must be sent as text/csv");
	const uint8_t *body = om_http_req_body(r, &len);
	/* parsed where it is: the note carries owner claims, which never go to a file here */
	FILE *f = len ? fmemopen((void *)body, len, "r") : NULL;
	int rc = f ? sho_note_parse(f, "note", &devs, raw, sizeof(raw)) : OM_ESHO_NOTE;
	if (f)
		fclose(f);
	if (rc < 0) {
		const char *why = !strncmp(raw, "note", 4) ? raw + 4 : raw;
		why += strspn(why, ": ");
		return api_error(r, rc, *why ? why : "empty delivery note");
	}
	n = (size_t)rc;
	/* the HSS first, with the lock released: a stopped HSS fails this call alone (issue 14, sho_http.c) */
	om_http_release(r);
	rc = a->http->hss_socket ? sho_hss_probe(a->http->hss_socket, a->http->hss_probe_ms, raw, sizeof(raw)) : 0;
	om_http_reacquire(r);
	if (rc < 0) {
		sho_devices_free(devs, n);
		return api_error(r, rc, raw);
	}
	if (!(rep = calloc(n, sizeof(*rep)))) {
		sho_devices_free(devs, n);
		return api_error(r, OM_ENOMEM, NULL);
	}
	unsigned flags = !strcmp(partial, "true") ? SHO_REG_PARTIAL : 0;
	struct sho_wait wait; /* the PVA's OCSP answer with the lock released (issue 14) */
	sho_http_wait(&wait, r);
	rc = sho_register_wait(a->sho, c.owner_id, NULL, devs, n, flags | SHO_REG_OWNER_VERIFIED, rep, &wait);
	sho_devices_free(devs, n);
	om_info("sho-register", "peer=%s owner=%s rows=%zu partial=%u result=%s", om_http_req_peer(r), c.owner_id, n,
		flags ? 1u : 0u, rc == 0 ? "ok" : om_errname(rc));
	if (rc < 0 && rc != OM_ESHO_REFUSED) {
		free(rep);
		return api_error(r, rc, NULL);
	}
	cJSON *j = cJSON_CreateObject(), *rows = cJSON_CreateArray();
	unsigned tally[4] = { 0 }; /* registered+transferred, unchanged, refused, not_registered */
	for (size_t i = 0; i < n; i++) {
		const char *res = row_result(&rep[i], rc);
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "tre_id", rep[i].tre_id);
		cJSON_AddStringToObject(o, "result", res);
		api_add_text(o, "imsi", rep[i].rc == 0 ? rep[i].imsi : NULL);
		if (rep[i].rc < 0)
			cJSON_AddItemToObject(o, "error", api_error_object(rep[i].rc, rep[i].reason));
		else if (!strcmp(res, "not_registered"))
			cJSON_AddItemToObject(o, "error", api_error_object(rc, "another row was refused"));
		else
			cJSON_AddNullToObject(o, "error");
		cJSON_AddItemToArray(rows, o);
		tally[!strcmp(res, "unchanged") ? 1 : !strcmp(res, "refused") ? 2 : !strcmp(res, "not_registered") ? 3 : 0]++;
	}
	free(rep);
	cJSON_AddStringToObject(j, "result", rc == 0 ? "registered" : "refused");
	cJSON *t = cJSON_AddObjectToObject(j, "counts");
	cJSON_AddNumberToObject(t, "registered", tally[0]);
	cJSON_AddNumberToObject(t, "unchanged", tally[1]);
	cJSON_AddNumberToObject(t, "refused", tally[2]);
	cJSON_AddNumberToObject(t, "not_registered", tally[3]);
	cJSON_AddItemToObject(j, "rows", rows);
	api_json(r, rc == 0 ? 200 : 422, j);
}

/* ---- GET /api/v1/timeline ------------------------------------------------------------------- */

static void earliest(void *ctx, const struct sho_device_status *d)
{
	int64_t *t = ctx;
	if (!*t || d->created < *t)
		*t = d->created;
}

void api_timeline(struct om_http_req *r, void *arg)
{
	struct sho_api *a = arg;
	struct api_caller c;
	char b[8];
	unsigned long n = BUCKETS_DEFAULT;
	if (api_caller(r, a, 0, &c) < 0 || param(r, "buckets", b, sizeof(b)) < 0)
		return;
	if (b[0] && number(b, 1, 1000, &n) < 0)
		return api_error(r, OM_ESHO_REQUEST, "buckets must be 1..1000");
	/* from the owner's first registration (the first device in TRE_id order is close enough: it only sets
	 * where the chart starts) to now */
	int64_t now = sho_now(), from = 0;
	int more;
	struct sho_fleet_filter f = { .limit = 1 };
	int rc = sho_fleet_page(a->sho, c.owner_id, &f, earliest, &from, &more);
	if (rc < 0)
		return api_error(r, rc, NULL);
	if (!from || from >= now)
		from = now - 3600;
	uint64_t(*counts)[SHO_N_STATES] = calloc(n, sizeof(*counts));
	if (!counts)
		return api_error(r, OM_ENOMEM, NULL);
	if ((rc = sho_timeline(a->sho, c.owner_id, from - 1, now, (unsigned)n, counts)) < 0) {
		free(counts);
		return api_error(r, rc, NULL);
	}
	cJSON *j = cJSON_CreateObject(), *pts = NULL;
	api_add_time(j, "from", from - 1);
	api_add_time(j, "to", now);
	cJSON *st = cJSON_AddArrayToObject(j, "states");
	for (int k = 0; k < SHO_N_STATES; k++)
		cJSON_AddItemToArray(st, cJSON_CreateString(sho_states[k]));
	pts = cJSON_AddArrayToObject(j, "points");
	for (unsigned long i = 0; i < n; i++) {
		cJSON *p = cJSON_CreateObject();
		api_add_time(p, "at", from - 1 + (now - from + 1) * (int64_t)(i + 1) / (int64_t)n);
		cJSON_AddItemToObject(p, "counts", counts_json(counts[i]));
		cJSON_AddItemToArray(pts, p);
	}
	free(counts);
	api_json(r, 200, j);
}

/* ---- GET /api/v1/report ------------------------------------------------------------------- */

struct report {
	struct om_buf csv;
	char last[OM_TRE_ID_MAX + 1];
};

/* One CSV field: commas and line ends become ';', and a leading = + - @ is quoted away (spreadsheet formulas). */
static void field(struct report *p, const char *v, int last)
{
	size_t n = strlen(v);
	uint8_t *d = om_buf_room(&p->csv, n + 2);
	if (!d)
		return;
	size_t k = 0;
	if (n && strchr("=+-@", v[0]))
		d[k++] = '\'';
	for (size_t i = 0; i < n; i++)
		d[k++] = v[i] == ',' || v[i] == '\n' || v[i] == '\r' ? ';' : (uint8_t)v[i];
	d[k++] = last ? '\n' : ',';
	p->csv.len += k;
}

static void report_row(void *ctx, const struct sho_device_status *d)
{
	struct report *p = ctx;
	char up[21];
	api_time(d->updated, up);
	field(p, d->tre_id, 0);
	field(p, d->state, 0);
	field(p, d->current_sho, 0);
	field(p, d->model, 0);
	field(p, d->imsi, 0);
	field(p, d->reason, 0);
	field(p, up, 1);
	snprintf(p->last, sizeof(p->last), "%s", d->tre_id);
}

void api_report(struct om_http_req *r, void *arg)
{
	struct sho_api *a = arg;
	struct api_caller c;
	struct fleet_query q;
	struct report p = { .csv = OM_BUF_INIT(0) };
	int more = 1, rc = 0;
	if (api_caller(r, a, 0, &c) < 0 || read_filter(r, &q) < 0)
		return;
	const char *head[] = { "tre_id", "state", "current_sho", "model", "imsi", "reason", "updated" };
	for (int i = 0; i < 7; i++)
		field(&p, head[i], i == 6);
	q.f.limit = SHO_PAGE_MAX;
	/*
	 * The whole fleet, a page of SHO_PAGE_MAX at a time in TRE_id order; between pages the handler lock
	 * is let go, so other owners are served while a large fleet is written out (review finding 8: it
	 * was held for the whole report). The server answers with one body: the CSV is built in memory.
	 */
	while (rc == 0 && more && !p.csv.err) {
		p.last[0] = '\0';
		rc = sho_fleet_page(a->sho, c.owner_id, &q.f, report_row, &p, &more);
		snprintf(q.after, sizeof(q.after), "%s", p.last);
		q.f.after = q.after;
		if (rc == 0 && more) {
			om_http_release(r);
			sched_yield(); /* a woken waiter gets the lock before this handler takes it back */
			om_http_reacquire(r);
		}
	}
	if (rc == 0)
		rc = p.csv.err;
	if (rc < 0) {
		om_buf_free(&p.csv);
		return api_error(r, rc, NULL);
	}
	api_headers(r);
	om_http_reply_header(r, "Content-Disposition", "attachment; filename=\"fleet-report.csv\"");
	om_http_reply(r, 200, "text/csv", p.csv.p, p.csv.len);
	om_buf_free(&p.csv);
}
