/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The owner API's defences (docs/owner.md, docs/threats.md "Owner API"),
 * each attack tried with the real parts on loopback in one process: the
 * SHO's JSON API on its HTTP server, this operator's DRF behind its admin
 * socket, an HSS behind its provisioning socket, the independent `openssl
 * ocsp` responder, and the current SHOs' DRFs: one standing in with
 * svc/http_server.h over TLS, one that accepts connections and never
 * answers.
 *   resale: after the buyer registers the device, the seller's account
 *     gets 404 and no transfer code, the DRF names the buyer and revokes
 *     the code the seller got before the sale (refused by the DRF), and
 *     nothing changes on the seller's attempts; the buyer gets a code.
 *   codes: 1,000 copies of one TRE_id give one code; a new one revokes the
 *     old; at most one unused code per device is stored.
 *   moves: an owner whose moves never finish (its current SHO's DRF does
 *     not answer) is refused a fifth (OM_ESHO_MOVE_LIMIT) and holds up no one:
 *     another owner's move finishes without that owner polling; the same move
 *     advanced by the worker and two owner requests at once records each
 *     device's own request id, each device sent once.
 *   text routes: a change with a form's Content-Type (or none) is refused
 *     (OM_ESHO_CSRF, 403) with nothing changed; a 401 carries no Basic
 *     challenge.
 *   errors: an owner sees no socket path in the HSS's failure, by either API.
 *   released: the buyer's device, active here, completes a move to SHO-X at
 *     our DRF; the owner then sees it released at SHO-X with one history
 *     entry, another owner does not.
 */
#include "sho_testkit.h"

#include <ctype.h>
#include <pthread.h>

#include <cjson/cJSON.h>

#include <openmcim/handover.h>
#include <openmcim/outcome.h>

#include "api.h"
#include "daemon_util.h"
#include "drf.h"
#include "drf_admin.h"
#include "drf_int.h"
#include "drf_testkit.h"
#include "hss.h"
#include "hss_test_util.h"
#include "http_server.h"
#include "log.h"
#include "move.h"
#include "pki_fixture.h"
#include "provision.h"
#include "refusal_kit.h"
#include "sho_http.h"

#define SELLER "fleet-1"
#define SELLER_SECRET "seller secret 123"
#define BUYER "fleet-2"
#define BUYER_SECRET "buyer secret 4567"
#define SOLD TRE_ID /* drf_testkit.h's requests are for it */
#define N_A 6 /* the seller's devices moving here from SHO-X */
#define N_B 8 /* the buyer's devices at SHO-Y, whose DRF never answers */

static char dir[] = "/tmp/om-sho-owner-XXXXXX";
static char path[600], sho_db[600], drf_db[600], hss_db[600];
static unsigned api_port;
static struct pf_sho me;

static const char *at(const char *rel)
{
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return path;
}

/* ---- the owner, with curl ------------------------------------------------ */

/* method path as user:secret with body (NULL: none) of type; the answer into out; the status or -1. */
static int call(const char *method, const char *url_path, const char *user, const char *type, const char *body,
		char *out, size_t cap)
{
	char url[256], data[700], hdr[128];
	static pthread_mutex_t file_lock = PTHREAD_MUTEX_INITIALIZER;
	static unsigned n_files;
	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", api_port, url_path);
	snprintf(hdr, sizeof(hdr), "Content-Type:%s%s", type && !*type ? "" : " ", type ? type : "application/json");
	if (body) {
		pthread_mutex_lock(&file_lock);
		unsigned k = n_files++;
		pthread_mutex_unlock(&file_lock);
		char rel[32];
		snprintf(rel, sizeof(rel), "body-%u", k);
		CHECK_INT(du_write_file(at(rel), body), 0);
		snprintf(data, sizeof(data), "@%s", at(rel));
	}
	const char *argv[] = { "curl", "-s", "--max-time", "30", "-w", "\n%{http_code}", "-X", method, "-u", user, "-H",
			       hdr, url, body ? "--data-binary" : NULL, data, NULL };
	size_t raw_cap = 1 << 20;
	char *raw = malloc(raw_cap), *nl = NULL;
	int status = -1;
	if (raw && du_run_quiet(argv, 0, raw, raw_cap) == 0 && (nl = strrchr(raw, '\n'))) {
		*nl = '\0';
		snprintf(out, cap, "%s", raw);
		status = atoi(nl + 1);
	}
	free(raw);
	return status;
}

/* ---- SHO-X's DRF, standing in: verifies, answers accepted, slowly when told -------- */

static struct {
	pthread_mutex_t lock;
	int delay_ms;
	unsigned calls, verified;
	char seen[64][OM_TRE_ID_MAX + 1]; /* TRE_ids in the order requests came */
} drf_x = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void drf_x_handover(struct om_http_req *r, void *arg)
{
	(void)arg;
	size_t len;
	const uint8_t *b = om_http_req_body(r, &len);
	struct om_handover_req hr;
	char out[256];
	memset(&hr, 0, sizeof(hr));
	int ok = om_handover_verify(b, len, X509_get0_pubkey(me.cert), &hr) == 0;
	pthread_mutex_lock(&drf_x.lock);
	int delay = drf_x.delay_ms;
	if (drf_x.calls < 64)
		snprintf(drf_x.seen[drf_x.calls], sizeof(drf_x.seen[0]), "%s", ok ? hr.tre_id : "-");
	drf_x.calls++;
	drf_x.verified += ok;
	pthread_mutex_unlock(&drf_x.lock);
	du_nap_ms(delay);
	snprintf(out, sizeof(out), "result=accepted request_id=%s sequence=7\n", ok ? hr.request_id : "-");
	om_handover_free(&hr);
	om_http_reply(r, 200, "text/plain", out, strlen(out));
}

/* ---- helpers ---------------------------------------------------------------- */

/* The databases an owner's call can reach: the SHO's, the DRF's, the HSS's. */
static char *snap(void)
{
	const char *dbs[] = { sho_db, drf_db, hss_db };
	return rk_snapshot(dbs, 3, NULL, 0);
}

/* The codes of an answer to POST /api/v1/transfer-codes: issued (into first, if any) and refused with want. */
static void codes_of(const char *body, unsigned *issued, unsigned *refused_with, const char *want, char *first,
		     size_t cap)
{
	cJSON *j = cJSON_Parse(body), *it;
	*issued = *refused_with = 0;
	CHECK_MSG(j != NULL, "not JSON: %.200s", body);
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "codes"))
	{
		const char *code = cJSON_GetStringValue(cJSON_GetObjectItem(it, "code"));
		const char *err = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(it, "error"), "code"));
		if (code && !*issued && first)
			snprintf(first, cap, "%s", code);
		*issued += code != NULL;
		*refused_with += !code && err && !strcmp(err, want);
	}
	cJSON_Delete(j);
}

/* The DRF's register for SOLD under its lock (the admin socket's thread shares the handle). */
static pthread_mutex_t drf_lock = PTHREAD_MUTEX_INITIALIZER;
static struct drf *drf;

static struct drf_device_status drf_status(void)
{
	struct drf_device_status st;
	memset(&st, 0, sizeof(st));
	pthread_mutex_lock(&drf_lock);
	CHECK_INT(drf_device_status(drf, SOLD, (int64_t)time(NULL), &st), 0);
	pthread_mutex_unlock(&drf_lock);
	return st;
}

/* ---- resale (review finding 1) ------------------------------------------------------- */

/* ---- released (issue 16) ------------------------------------------------------------- */

static void count_released(void *ctx, const struct sho_event *e)
{
	unsigned *n = ctx;
	*n += !strcmp(e->event, "released") && strstr(e->detail, "moved to SHO-X (request r-buyer)") != NULL;
}

/*
 * The buyer's device, active here, moves on to SHO-X: once the TRE's outcome
 * statement completes the handover at our DRF, the mover's worker reads the
 * departure over the DRF's admin socket and the owner sees the device
 * released, at SHO-X, with one `released` history entry (a later sync
 * applies nothing twice); the seller, another owner, does not see it.
 */
static void check_released(struct sho *t, const struct kit_tre *sold, uint32_t seq)
{
	struct sho_device_status st;
	char out[1 << 15];
	uint8_t *req = NULL;
	size_t len = 0;
	int more = 0;
	/* the device came here before (its handover accepted, the MCIM delivered, attached) */
	CHECK_INT(sho_handover_request_as(t, BUYER, SOLD, "AAAA-BBBB-CCCC-DDDD", &req, &len), 0);
	free(req);
	CHECK_INT(sho_status(t, SOLD, &st), 0);
	CHECK_INT(sho_handover_answer(t, SOLD, st.request_id, 1, NULL), 0);
	CHECK_INT(sho_mark_provisioned(t, SOLD), 0);
	CHECK_INT(sho_mark_active(t, SOLD), 0);

	/* SHO-X reports the device attached with its MCIM, with the TRE's signed statement (Note Z) */
	struct om_outcome o;
	uint8_t stmt[OM_OUTCOME_MAX];
	memset(&o, 0, sizeof(o));
	snprintf(o.tre_id, sizeof(o.tre_id), "%s", SOLD);
	snprintf(o.imsi, sizeof(o.imsi), "001990000000001"); /* SHO-X's */
	o.outcome = OM_OUTCOME_ACTIVE;
	memset(o.nonce_b, 0x5b, sizeof(o.nonce_b));
	o.sequence = seq;
	o.counter = 1;
	o.time = (int64_t)time(NULL);
	int sl = om_outcome_build(&o, sold->sign_key, stmt, sizeof(stmt));
	CHECK(sl > 0);
	pthread_mutex_lock(&drf_lock);
	CHECK_INT(drf_handover_completed(drf, "SHO-X", "r-buyer", stmt, (size_t)(sl > 0 ? sl : 0), (int64_t)time(NULL)), 0);
	pthread_mutex_unlock(&drf_lock);

	/* the mover's worker asks our DRF every SHO_DEPARTURES_MS */
	for (int i = 0; i < 100 && sho_status(t, SOLD, &st) == 0 && strcmp(st.state, "released"); i++)
		du_nap_ms(100);
	CHECK_MSG(!strcmp(st.state, "released") && !strcmp(st.current_sho, "SHO-X"), "after the departure: %s at %s",
		  st.state, st.current_sho);
	CHECK_INT(sho_departures_sync(t, &more), 0); /* the cursor is past it: nothing applied twice */
	unsigned n = 0;
	CHECK_INT(sho_history(t, BUYER, SOLD, count_released, &n), 0);
	CHECK_INT(n, 1);
	CHECK_INT(call("GET", "/api/v1/devices?state=released", BUYER ":" BUYER_SECRET, NULL, NULL, out, sizeof(out)),
		  200);
	CHECK_MSG(strstr(out, "\"tre_id\":\"" SOLD "\"") && strstr(out, "\"released\":1"), "released: %s", out);
	CHECK_INT(call("GET", "/api/v1/devices/" SOLD, BUYER ":" BUYER_SECRET, NULL, NULL, out, sizeof(out)), 200);
	CHECK_MSG(strstr(out, "\"event\":\"released\"") && strstr(out, "moved to SHO-X"), "history: %s", out);
	CHECK_INT(call("GET", "/api/v1/devices?state=released", SELLER ":" SELLER_SECRET, NULL, NULL, out, sizeof(out)),
		  200);
	CHECK_MSG(!strstr(out, SOLD), "the seller sees it: %s", out);
}

static void check_sessions_end_with_the_secret(struct sho *t);

static void check_resale(struct sho *t, const struct kit_tre *sold, const struct pf_sho *x)
{
	struct sho_device_in d;
	struct sho_row_report rep;
	char out[1 << 15], code1[64] = "", code2[64] = "";
	unsigned issued, refused;
	const char *one = "{\"devices\": [\"" SOLD "\"]}";

	/* the seller registered it here; the DPF entered it in the DRF's register with the seller as owner */
	kit_device_in(sold, "RO", &d);
	CHECK_INT(sho_register_as(t, SELLER, &d, 1, 0, &rep), 0);
	pthread_mutex_lock(&drf_lock);
	CHECK_INT(drf_device_add(drf, SOLD, rep.imsi, (int64_t)time(NULL) - 10, sold->enc_der, sold->enc_len,
				 sold->sign_der, sold->sign_len, SELLER, 0),
		  0);
	pthread_mutex_unlock(&drf_lock);

	/* before the sale: the seller's code */
	CHECK_INT(call("POST", "/api/v1/transfer-codes", SELLER ":" SELLER_SECRET, NULL, one, out, sizeof(out)), 200);
	codes_of(out, &issued, &refused, "", code1, sizeof(code1));
	CHECK_MSG(issued == 1 && strlen(code1) == DRF_CODE_TEXT_LEN, "seller before the sale: %s", out);

	/* the sale: the buyer registers with the manufacturer's next claim */
	CHECK_INT(om_claim_derive(kit_claim_key, SOLD, 2, d.claim), 0);
	CHECK_INT(sho_register_as(t, BUYER, &d, 1, 0, &rep), 0);
	CHECK_INT(rep.transferred, 1);
	struct drf_device_status ds = drf_status();
	CHECK_MSG(!strcmp(ds.owner, BUYER), "the DRF names %s", ds.owner);
	CHECK_INT(ds.codes_unused, 0); /* the seller's code revoked */

	/* the seller after the sale: no such device, no code, nothing changes anywhere */
	char *before = snap();
	CHECK_INT(call("GET", "/api/v1/devices/" SOLD, SELLER ":" SELLER_SECRET, NULL, NULL, out, sizeof(out)), 404);
	CHECK_INT(call("POST", "/api/v1/transfer-codes", SELLER ":" SELLER_SECRET, NULL, one, out, sizeof(out)), 200);
	codes_of(out, &issued, &refused, "OM_ESHO_NOT_FOUND", NULL, 0);
	CHECK_MSG(issued == 0 && refused == 1, "seller after the sale: %s", out);
	rk_check_unchanged(before, snap(), "the seller asking for a code after the sale");

	/* the seller's code from before the sale, brought to SHO-X: refused by the DRF, nothing changes */
	size_t len = 0;
	uint8_t *bs = NULL, *req = drf_tk_request(sold->enc, x, "SHO-X", "r-seller", code1, (int64_t)time(NULL),
						  x->key, &len);
	size_t bl = 0;
	uint32_t seq = 0;
	before = snap();
	pthread_mutex_lock(&drf_lock);
	CHECK_INT(drf_handover(drf, req, len, (int64_t)time(NULL), &bs, &bl, &seq), OM_EDRF_CODE);
	pthread_mutex_unlock(&drf_lock);
	rk_check_unchanged(before, snap(), "the seller's pre-sale code after the sale");
	free(req);
	free(bs);

	/* the buyer gets one; the DRF told late (it had the old owner) is told again first */
	pthread_mutex_lock(&drf_lock);
	CHECK_INT(drf_device_owner(drf, SOLD, SELLER, NULL), 0);
	pthread_mutex_unlock(&drf_lock);
	CHECK_INT(call("POST", "/api/v1/transfer-codes", BUYER ":" BUYER_SECRET, NULL, one, out, sizeof(out)), 200);
	codes_of(out, &issued, &refused, "", code2, sizeof(code2));
	CHECK_MSG(issued == 1, "buyer: %s", out);
	ds = drf_status();
	CHECK(!strcmp(ds.owner, BUYER) && ds.codes_unused == 1);
	check_sessions_end_with_the_secret(t); /* here, where the buyer's session gets a code for SOLD */

	/* review finding 4: 1,000 copies of one TRE_id give one code; the new one revoked the buyer's first */
	size_t cap = 20 + 1000 * (strlen(SOLD) + 4);
	char *many = malloc(cap), *p = many;
	p += sprintf(p, "{\"devices\": [");
	for (int i = 0; i < 1000; i++)
		p += sprintf(p, "%s\"%s\"", i ? "," : "", SOLD);
	sprintf(p, "]}");
	char code3[64] = "", *big = malloc(1 << 20);
	CHECK_INT(call("POST", "/api/v1/transfer-codes", BUYER ":" BUYER_SECRET, NULL, many, big, 1 << 20), 200);
	codes_of(big, &issued, &refused, "OM_ESHO_DUPLICATE", code3, sizeof(code3));
	free(big);
	CHECK_MSG(issued == 1 && refused == 999, "1,000 copies: %u issued, %u duplicates", issued, refused);
	free(many);
	CHECK_INT(drf_status().codes_unused, 1);
	CHECK_INT(t_sql_int(drf_db, "SELECT count(*) FROM transfer_code WHERE used_by IS NULL"), 1);

	/* the buyer's last code moves the device; its earlier one (revoked) does not */
	pthread_mutex_lock(&drf_lock);
	req = drf_tk_request(sold->enc, x, "SHO-X", "r-old", code2, (int64_t)time(NULL), x->key, &len);
	CHECK_INT(drf_handover(drf, req, len, (int64_t)time(NULL), &bs, &bl, &seq), OM_EDRF_CODE);
	free(req);
	free(bs);
	req = drf_tk_request(sold->enc, x, "SHO-X", "r-buyer", code3, (int64_t)time(NULL), x->key, &len);
	CHECK_INT(drf_handover(drf, req, len, (int64_t)time(NULL), &bs, &bl, &seq), 0);
	pthread_mutex_unlock(&drf_lock);
	free(req);
	free(bs);
	OPENSSL_cleanse(code1, sizeof(code1));
	free(d.cert_sign);
	free(d.cert_enc);
	check_released(t, sold, seq);
}

/* ---- moves (review findings 2 and 3) ------------------------------------------------- */

/* A move's id from a 202 answer. */
static void move_id(const char *body, char id[static SHO_MOVE_ID_LEN + 1])
{
	cJSON *j = cJSON_Parse(body);
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(j, "id"));
	snprintf(id, SHO_MOVE_ID_LEN + 1, "%s", s ? s : "");
	cJSON_Delete(j);
}

/* The body of a move of devs[0..n) with code. */
static char *move_body(const struct sho_device_in *devs, size_t n)
{
	char *b = malloc(64 + n * 96), *p = b;
	p += sprintf(p, "{\"devices\": [");
	for (size_t i = 0; i < n; i++)
		p += snprintf(p, 96, "%s{\"tre_id\": \"%.40s\", \"code\": \"AAAA-BBBB-CCCC-DDDD\"}", i ? "," : "",
			      devs[i].tre_id);
	sprintf(p, "]}");
	return b;
}

/* owner's move id from GET /api/v1/moves (which advances nothing): 1 once finished, its items' counts. */
static int finished(const char *user, const char *id, unsigned *accepted)
{
	char out[1 << 15];
	int done = 0;
	if (call("GET", "/api/v1/moves", user, NULL, NULL, out, sizeof(out)) != 200)
		return 0;
	cJSON *j = cJSON_Parse(out), *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "moves"))
	{
		const char *mid = cJSON_GetStringValue(cJSON_GetObjectItem(it, "id"));
		if (!mid || strcmp(mid, id))
			continue;
		done = !cJSON_IsNull(cJSON_GetObjectItem(it, "finished"));
		*accepted = (unsigned)cJSON_GetNumberValue(
			cJSON_GetObjectItem(cJSON_GetObjectItem(it, "counts"), "accepted"));
	}
	cJSON_Delete(j);
	return done;
}

struct poller {
	const char *user, *id;
	int polls;
};

static void *poll_move(void *arg)
{
	struct poller *p = arg;
	char out[1 << 15], url[128];
	snprintf(url, sizeof(url), "/api/v1/moves/%s", p->id);
	for (int i = 0, done = 0; i < 40 && !done; i++) {
		if (call("GET", url, p->user, NULL, NULL, out, sizeof(out)) != 200)
			continue;
		p->polls++;
		cJSON *j = cJSON_Parse(out);
		done = j && cJSON_IsString(cJSON_GetObjectItem(j, "finished")); /* a time, no longer null */
		cJSON_Delete(j);
	}
	return NULL;
}

static void check_moves(struct sho *t, struct sho_device_in *a, struct sho_device_in *b)
{
	struct sho_row_report rep[N_B];
	char out[1 << 15], body_id[SHO_MOVE_ID_LEN + 1], a_id[SHO_MOVE_ID_LEN + 1];
	CHECK_INT(sho_register_as(t, SELLER, a, N_A, 0, rep), 0);
	CHECK_INT(sho_register_as(t, BUYER, b, N_B, 0, rep), 0);

	/* the buyer's current SHO never answers: its moves stay unfinished; a fifth is refused */
	for (int i = 0; i < SHO_MOVES_PER_OWNER; i++) {
		char *body = move_body(b + 2 * i, 2);
		CHECK_INT(call("POST", "/api/v1/moves", BUYER ":" BUYER_SECRET, NULL, body, out, sizeof(out)), 202);
		free(body);
	}
	char *body = move_body(b, 1);
	/*
	 * The worker goes on with the four meanwhile (each device's request and answer, written as they
	 * come since moves are kept), so the SHO's database is checked for what a fifth would add: no
	 * move, no item; every row of the DRF's and the HSS's is compared.
	 */
	const char *others[] = { drf_db, hss_db };
	char *before = rk_snapshot(others, 2, NULL, 0);
	long long moves0 = t_sql_int(sho_db, "SELECT count(*) FROM sho_move");
	long long items0 = t_sql_int(sho_db, "SELECT count(*) FROM sho_move_item");
	CHECK_INT(call("POST", "/api/v1/moves", BUYER ":" BUYER_SECRET, NULL, body, out, sizeof(out)), 429);
	CHECK_MSG(strstr(out, "\"OM_ESHO_MOVE_LIMIT\"") != NULL, "fifth move: %s", out);
	rk_check_unchanged(before, rk_snapshot(others, 2, NULL, 0), "a fifth unfinished move");
	CHECK_INT(moves0, SHO_MOVES_PER_OWNER);
	CHECK_INT(t_sql_int(sho_db, "SELECT count(*) FROM sho_move"), moves0);
	CHECK_INT(t_sql_int(sho_db, "SELECT count(*) FROM sho_move_item"), items0);
	free(body);

	/* the seller's move is accepted and finishes without the seller following it */
	body = move_body(a, 3);
	CHECK_INT(call("POST", "/api/v1/moves", SELLER ":" SELLER_SECRET, NULL, body, out, sizeof(out)), 202);
	free(body);
	move_id(out, a_id);
	unsigned accepted = 0;
	int done = 0;
	for (int i = 0; i < 200 && !(done = finished(SELLER ":" SELLER_SECRET, a_id, &accepted)); i++)
		du_nap_ms(100);
	CHECK_MSG(done && accepted == 3, "the seller's move: finished=%d accepted=%u", done, accepted);

	/* the same move advanced at once by the worker and two of the owner's requests: each device's own answer */
	pthread_mutex_lock(&drf_x.lock);
	drf_x.delay_ms = 300;
	unsigned first_call = drf_x.calls;
	pthread_mutex_unlock(&drf_x.lock);
	body = move_body(a + 3, N_A - 3);
	CHECK_INT(call("POST", "/api/v1/moves", SELLER ":" SELLER_SECRET, NULL, body, out, sizeof(out)), 202);
	free(body);
	move_id(out, body_id);
	struct poller p1 = { SELLER ":" SELLER_SECRET, body_id, 0 }, p2 = p1;
	pthread_t t1, t2;
	pthread_create(&t1, NULL, poll_move, &p1);
	pthread_create(&t2, NULL, poll_move, &p2);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	char url[128];
	snprintf(url, sizeof(url), "/api/v1/moves/%s", body_id);
	CHECK_INT(call("GET", url, SELLER ":" SELLER_SECRET, NULL, NULL, out, sizeof(out)), 200);
	cJSON *j = cJSON_Parse(out), *it;
	CHECK(!cJSON_IsNull(cJSON_GetObjectItem(j, "finished")));
	size_t n_items = 0;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "items"))
	{
		struct sho_device_status st;
		const char *tre = cJSON_GetStringValue(cJSON_GetObjectItem(it, "tre_id"));
		const char *rid = cJSON_GetStringValue(cJSON_GetObjectItem(it, "request_id"));
		CHECK_INT(sho_status(t, tre ? tre : "-", &st), 0);
		CHECK_MSG(rid && !strcmp(rid, st.request_id), "%s: item says request %s, the device's is %s", tre,
			  rid ? rid : "(null)", st.request_id);
		CHECK_MSG(!strcmp(st.state, "handover_accepted"), "%s: %s", tre, st.state);
		n_items++;
	}
	cJSON_Delete(j);
	CHECK_INT(n_items, N_A - 3);
	pthread_mutex_lock(&drf_x.lock);
	CHECK_INT(drf_x.calls - first_call, N_A - 3); /* each device sent once */
	for (unsigned i = first_call; i < drf_x.calls && i < 64; i++)
		for (unsigned k = i + 1; k < drf_x.calls && k < 64; k++)
			CHECK_MSG(strcmp(drf_x.seen[i], drf_x.seen[k]), "%s sent twice", drf_x.seen[i]);
	CHECK_INT(drf_x.verified, drf_x.calls);
	pthread_mutex_unlock(&drf_x.lock);
	CHECK_MSG(p1.polls > 0 && p2.polls > 0, "polls %d %d", p1.polls, p2.polls);

	/* the buyer's moves end too (each device pending after peer_timeout), unfollowed: nothing moves after */
	int open_moves = 1;
	for (int i = 0; i < 300 && open_moves; i++) {
		open_moves = 0;
		if (call("GET", "/api/v1/moves", BUYER ":" BUYER_SECRET, NULL, NULL, out, sizeof(out)) == 200) {
			cJSON *m = cJSON_Parse(out), *x;
			cJSON_ArrayForEach(x, cJSON_GetObjectItem(m, "moves"))
				open_moves += cJSON_IsNull(cJSON_GetObjectItem(x, "finished"));
			cJSON_Delete(m);
		} else {
			open_moves = 1;
		}
		if (open_moves)
			du_nap_ms(100);
	}
	CHECK_MSG(open_moves == 0, "the buyer's moves never finished: %d open", open_moves);
}

/* GET /api/v1/report: the header, then one line per device of the seller's (built in an om_buf). */
static void check_report(const struct sho_device_in *a)
{
	static char out[1 << 16];
	CHECK_INT(call("GET", "/api/v1/report", SELLER ":" SELLER_SECRET, NULL, NULL, out, sizeof(out)), 200);
	CHECK_MSG(!strncmp(out, "tre_id,state,current_sho,model,imsi,reason,updated\n", 51), "%.80s", out);
	for (int i = 0; i < N_A; i++) {
		char line_start[sizeof(a[i].tre_id) + 3];
		snprintf(line_start, sizeof(line_start), "\n%.*s,", (int)sizeof(a[i].tre_id) - 1, a[i].tre_id);
		CHECK_MSG(strstr(out, line_start) != NULL, "%s missing: %.200s", a[i].tre_id, out);
	}
	CHECK_MSG(strstr(out, "TRE-B") == NULL, "the buyer's devices in the seller's report");
}

/* ---- the text routes on the console's origin (review finding 6) ------------------------- */

/* A wrong secret on the text API: 401 and, in the headers, no WWW-Authenticate. */
static void check_no_basic_challenge(void)
{
	char url[128], raw[4096];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/status/TRE-A0000000", api_port);
	const char *argv[] = { "curl", "-s", "-i", "--max-time", "10", "-u", SELLER ":wrong secret 0000", url, NULL };
	CHECK_INT(du_run_quiet(argv, 0, raw, sizeof(raw)), 0);
	CHECK_MSG(strstr(raw, " 401") != NULL, "%s", raw);
	for (char *c = raw; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	CHECK_MSG(strstr(raw, "www-authenticate") == NULL, "a Basic challenge: %s", raw);
}

/*
 * HTTP Basic is decoded by lib/core's strict base64: the seller's own
 * credentials are accepted in their one canonical spelling and refused (401)
 * when the bits the padding drops are not zero (RFC 4648 3.5), or with
 * white space or no padding, which OpenSSL's EVP_DecodeBlock let through.
 */
static void check_basic_spelled_once(void)
{
	static const char *const spellings[] = {
		"ZmxlZXQtMTpzZWxsZXIgc2VjcmV0IDEyMw==", /* canonical: accepted */
		"ZmxlZXQtMTpzZWxsZXIgc2VjcmV0IDEyMx==", /* same bytes, a dropped bit set */
		"ZmxlZXQtMTpzZWxsZXIgc2VjcmV0IDEyMw",   /* no padding */
		"ZmxlZXQtMTpz ZWxsZXIgc2VjcmV0IDEyMw=",  /* a space inside */
	};
	char url[128], hdr[128], raw[4096];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/api/v1/devices?state=released", api_port);
	for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
		snprintf(hdr, sizeof(hdr), "Authorization: Basic %s", spellings[i]);
		const char *argv[] = { "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10",
				       "-H", hdr, url, NULL };
		CHECK_INT(du_run_quiet(argv, 0, raw, sizeof(raw)), 0);
		CHECK_MSG(atoi(raw) == (i == 0 ? 200 : 401), "%s: %s", spellings[i], raw);
	}
}

static void check_text_changes_need_a_type(const struct sho_device_in *a)
{
	char out[4096], url[128];
	static const char *const forms[] = { "text/plain", "application/x-www-form-urlencoded",
					     "multipart/form-data; boundary=x", "" };
	snprintf(url, sizeof(url), "/handover/%s", a[0].tre_id);
	char *before = snap();
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		CHECK_INT(call("POST", "/register", SELLER ":" SELLER_SECRET, forms[i], "tre_id,cert\nx,y\n", out,
			       sizeof(out)),
			  403);
		CHECK_MSG(strstr(out, "reason=OM_ESHO_CSRF") != NULL, "register as %s: %s", forms[i], out);
		CHECK_INT(call("POST", url, SELLER ":" SELLER_SECRET, forms[i], "AAAA-BBBB-CCCC-DDDD", out, sizeof(out)),
			  403);
		CHECK_MSG(strstr(out, "reason=OM_ESHO_CSRF") != NULL, "handover as %s: %s", forms[i], out);
	}
	rk_check_unchanged(before, snap(), "a text API change with a form's Content-Type");
	/* the right types get past the check (a bad note: its own refusal) */
	CHECK_INT(call("POST", "/register", SELLER ":" SELLER_SECRET, "text/csv", "tre_id,cert\nx,y\n", out, sizeof(out)),
		  400);
	CHECK_MSG(strstr(out, "reason=OM_ESHO_NOTE") != NULL, "%s", out);
	check_no_basic_challenge();
	check_basic_spelled_once();
}

/* ---- HSS failures reach owners without the operator's details (review finding 7) ---------- */

static void check_hss_reason(struct sho_http *web, const struct kit_tre *k)
{
	char out[8192], claim[OM_CLAIM_TEXT_LEN + 1];
	size_t cap = 256 + 2 * (k->sign_len + k->enc_len) + 8;
	char *note = malloc(cap), *sb = malloc(k->sign_len * 2 + 8), *eb = malloc(k->enc_len * 2 + 8);
	EVP_EncodeBlock((unsigned char *)sb, k->sign_der, (int)k->sign_len);
	EVP_EncodeBlock((unsigned char *)eb, k->enc_der, (int)k->enc_len);
	om_claim_text(k->claim, claim);
	snprintf(note, cap, "tre_id,cert_tre_pem_b64,cert_tre_enc_pem_b64,sho_id,claim_secret\n%s,%s,%s,SHO-Y,%s\n",
		 k->tre_id, sb, eb, claim);
	const char *sock = web->hss_socket;
	web->hss_socket = at("hss-sock/stopped.sock"); /* between requests: no handler reads it now */
	char *before = snap();
	CHECK_INT(call("POST", "/api/v1/devices", BUYER ":" BUYER_SECRET, "text/csv", note, out, sizeof(out)), 502);
	CHECK_MSG(strstr(out, "OM_ESHO_HSS") && !strstr(out, dir) && !strstr(out, ".sock"), "JSON API: %s", out);
	CHECK_INT(call("POST", "/register", BUYER ":" BUYER_SECRET, "text/csv", note, out, sizeof(out)), 502);
	CHECK_MSG(strstr(out, "OM_ESHO_HSS") && !strstr(out, dir) && !strstr(out, ".sock"), "text API: %s", out);
	rk_check_unchanged(before, snap(), "a registration while the HSS is away");
	web->hss_socket = sock;
	OPENSSL_cleanse(note, cap);
	OPENSSL_cleanse(claim, sizeof(claim));
	free(note);
	free(sb);
	free(eb);
}

/* ---- the test ------------------------------------------------------------- */

/* ---- console sessions and the owner's secret ------------------------------------- */

struct console {
	char sid[SHO_SESSION_ID_LEN + 1];
	char csrf[SHO_CSRF_LEN + 1];
};

/* curl with the headers in a file of its own (the cookie is not put on a command line); status or -1. */
static int curl_with(const char *method, const char *url_path, const char *headers, const char *body, const char *dump,
		     char *out, size_t cap)
{
	static unsigned n;
	char url[256], rel[40], hfile[600], bfile[600], hdr_arg[610], data[610];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", api_port, url_path);
	snprintf(rel, sizeof(rel), "console-h-%u", n);
	snprintf(hfile, sizeof(hfile), "%s", at(rel));
	CHECK_INT(du_write_file(hfile, headers), 0);
	snprintf(hdr_arg, sizeof(hdr_arg), "@%s", hfile);
	snprintf(rel, sizeof(rel), "console-b-%u", n++);
	snprintf(bfile, sizeof(bfile), "%s", at(rel));
	if (body) {
		CHECK_INT(du_write_file(bfile, body), 0);
		snprintf(data, sizeof(data), "@%s", bfile);
	}
	const char *argv[] = { "curl", "-s", "--max-time", "30", "-w", "\n%{http_code}", "-X", method, "-H", hdr_arg,
			       "-D", dump ? dump : "/dev/null", url, body ? "--data-binary" : NULL, data, NULL };
	char *raw = malloc(1 << 16), *nl = NULL;
	int status = -1;
	if (raw && du_run_quiet(argv, 0, raw, 1 << 16) == 0 && (nl = strrchr(raw, '\n'))) {
		*nl = '\0';
		snprintf(out, cap, "%s", raw);
		status = atoi(nl + 1);
	}
	free(raw);
	return status;
}

/* Sign in to the console as owner: the status, with the cookie's value and the CSRF token in c on 200. */
static int console_sign_in(const char *owner, const char *secret, struct console *c)
{
	char body[200], out[4096], dump[600], *hdrs = NULL;
	memset(c, 0, sizeof(*c));
	snprintf(body, sizeof(body), "{\"owner\": \"%s\", \"secret\": \"%s\"}", owner, secret);
	snprintf(dump, sizeof(dump), "%s", at("console-sign-in-headers"));
	int status = curl_with("POST", "/api/v1/session", "Content-Type: application/json\n", body, dump, out, sizeof(out));
	if (status != 200)
		return status;
	const char *p = (hdrs = (char *)check_slurp(dump, NULL)) ? strstr(hdrs, "__Host-session=") : NULL;
	if (p && strlen(p + 15) >= SHO_SESSION_ID_LEN)
		memcpy(c->sid, p + 15, SHO_SESSION_ID_LEN);
	cJSON *j = cJSON_Parse(out);
	const char *csrf = cJSON_GetStringValue(cJSON_GetObjectItem(j, "csrf_token"));
	if (csrf)
		snprintf(c->csrf, sizeof(c->csrf), "%s", csrf);
	cJSON_Delete(j);
	free(hdrs);
	CHECK_MSG(strlen(c->sid) == SHO_SESSION_ID_LEN && strlen(c->csrf) == SHO_CSRF_LEN, "sign-in of %s: %s", owner, out);
	return status;
}

/* method path with the session's cookie and CSRF token: the status, the answer in out. */
static int console(const char *method, const char *url_path, const struct console *c, const char *body, char *out,
		   size_t cap)
{
	char headers[300];
	snprintf(headers, sizeof(headers), "Cookie: __Host-session=%s\nX-CSRF-Token: %s\nContent-Type: application/json\n",
		 c->sid, c->csrf);
	return curl_with(method, url_path, headers, body, NULL, out, cap);
}

/*
 * Security review: console sessions signed in before an owner's secret changed, or before the owner
 * was deleted, ran on until they expired (30 minutes idle, 12 hours). Now, once the operator
 * changes the secret (sho-admin's `owner secret`, here sho_owner_secret on the test's own handle
 * as on the daemon's admin handle) or deletes the owner, every session of that owner is refused
 * (401, OM_ESHO_SESSION) and what it asks is not done, while another owner's session lives on.
 */
static void check_sessions_end_with_the_secret(struct sho *t)
{
	struct console buyer, seller, gone, again;
	char out[1 << 15], *before;
	unsigned issued, refused;
	const char *one = "{\"devices\": [\"" SOLD "\"]}";

	CHECK_INT(console_sign_in(BUYER, BUYER_SECRET, &buyer), 200);
	CHECK_INT(console_sign_in(SELLER, SELLER_SECRET, &seller), 200);
	CHECK_INT(console("POST", "/api/v1/transfer-codes", &buyer, one, out, sizeof(out)), 200);
	codes_of(out, &issued, &refused, "", NULL, 0);
	CHECK_MSG(issued == 1, "the buyer's session before the change: %s", out);

	/* the buyer's secret changed by the operator: its session is over, nothing it asks is done */
	CHECK_INT(sho_owner_secret(t, BUYER, BUYER_SECRET " new"), 0);
	before = snap();
	CHECK_INT(console("POST", "/api/v1/transfer-codes", &buyer, one, out, sizeof(out)), 401);
	CHECK_MSG(strstr(out, "OM_ESHO_SESSION") != NULL, "old session after the change: %s", out);
	CHECK_INT(console("GET", "/api/v1/devices", &buyer, NULL, out, sizeof(out)), 401);
	CHECK_INT(console("GET", "/api/v1/session", &buyer, NULL, out, sizeof(out)), 401);
	CHECK_INT(console("DELETE", "/api/v1/session", &buyer, NULL, out, sizeof(out)), 401);
	rk_check_unchanged(before, snap(), "the buyer's session from before its secret changed");
	/* another owner's session lives on; the buyer signs in again with the new secret only */
	CHECK_INT(console("GET", "/api/v1/session", &seller, NULL, out, sizeof(out)), 200);
	CHECK_INT(console_sign_in(BUYER, BUYER_SECRET, &again), 401);
	CHECK_INT(console_sign_in(BUYER, BUYER_SECRET " new", &again), 200);
	CHECK_INT(console("POST", "/api/v1/transfer-codes", &again, one, out, sizeof(out)), 200);
	codes_of(out, &issued, &refused, "", NULL, 0);
	CHECK_MSG(issued == 1, "the buyer's new session: %s", out);
	CHECK_INT(sho_owner_secret(t, BUYER, BUYER_SECRET), 0);

	/* an owner deleted: its session is over */
	CHECK_INT(sho_owner_add(t, "fleet-gone", "gone secret 12345"), 0);
	CHECK_INT(console_sign_in("fleet-gone", "gone secret 12345", &gone), 200);
	CHECK_INT(console("GET", "/api/v1/devices", &gone, NULL, out, sizeof(out)), 200);
	CHECK_INT(sho_owner_delete(t, "fleet-gone"), 0);
	before = snap();
	CHECK_INT(console("GET", "/api/v1/devices", &gone, NULL, out, sizeof(out)), 401);
	CHECK_INT(console("POST", "/api/v1/transfer-codes", &gone, one, out, sizeof(out)), 401);
	rk_check_unchanged(before, snap(), "the session of a deleted owner");
	CHECK_INT(console("GET", "/api/v1/session", &seller, NULL, out, sizeof(out)), 200);
	/* an owner made again under the same id is another: the old session stays over */
	CHECK_INT(sho_owner_add(t, "fleet-gone", "gone secret 12345"), 0);
	CHECK_INT(console("GET", "/api/v1/session", &gone, NULL, out, sizeof(out)), 401);
	CHECK_INT(sho_owner_delete(t, "fleet-gone"), 0);
	CHECK_INT(console("DELETE", "/api/v1/session", &seller, NULL, out, sizeof(out)), 200);
	OPENSSL_cleanse(&buyer, sizeof(buyer));
}

int main(void)
{
	static const uint8_t op[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	static struct sho_peers peers;
	static struct sho_mover mover;
	static struct sho_http web;
	static struct sho_api api;
	char url[64], err[256], why[256] = "", sock[600], drf_sock[600], tls_dir[200], ca[300], op_cert[300],
		op_key[300], x_cert[300], x_key[300];
	EVP_PKEY *pva_key = NULL, *lab_key = NULL;
	struct kit_tre sold, ta[N_A], tb[N_B];
	struct sho_device_in a[N_A], b[N_B];
	struct pf_sho x;

	signal(SIGPIPE, SIG_IGN);
	om_log_init("sho-owner-api-test", getenv("OM_VERBOSE") ? OM_LOG_DEBUG : OM_LOG_ERROR);
	CHECK(mkdtemp(dir) != NULL);

	/* the PVA and the devices, their status served by `openssl ocsp` */
	struct om_ca *pva = kit_ca("PVA-1", &pva_key);
	FILE *f = fopen(at("index.txt"), "w");
	kit_tre_issue(pva, SOLD, &sold);
	kit_index_line(f, sold.sign, 'V');
	kit_index_line(f, sold.enc, 'V');
	for (int i = 0; i < N_A + N_B; i++) {
		char id[32];
		struct kit_tre *k = i < N_A ? &ta[i] : &tb[i - N_A];
		snprintf(id, sizeof(id), "TRE-%c000000%d", i < N_A ? 'A' : 'B', i < N_A ? i : i - N_A);
		kit_tre_issue(pva, id, k);
		kit_index_line(f, k->sign, 'V');
		kit_index_line(f, k->enc, 'V');
		kit_device_in(k, i < N_A ? "SHO-X" : "SHO-Y", i < N_A ? &a[i] : &b[i - N_A]);
	}
	fclose(f);
	pid_t ocsp = kit_ocsp_pva(dir, pva, pva_key, url, sizeof(url));

	/* the HSS and the DRF, each behind its socket */
	snprintf(hss_db, sizeof(hss_db), "%s", at("hss.db"));
	snprintf(sock, sizeof(sock), "%s", at("hss-sock/prov.sock"));
	struct hss_config hc = { .db_path = hss_db };
	struct hss *hss = hss_open(&hc, err, sizeof(err));
	CHECK_MSG(hss && hss_provision_start(hss, sock, err, sizeof(err)) == 0, "%s", err);
	snprintf(drf_db, sizeof(drf_db), "%s", at("drf.db"));
	pf_sho_make(&me, "SHO-A"); /* SHO-A's signing identity: its requests and its DRF's bootstraps */
	struct drf_config dc = { .db_path = drf_db, .sign_key = me.key, .sign_cert = me.cert };
	CHECK_MSG(drf_open(&drf, &dc, err, sizeof(err)) == 0, "%s", err);
	pf_sho_make(&x, "SHO-X");
	CHECK_INT(drf_operator_add(drf, "SHO-X", x.der, x.der_len, (int64_t)time(NULL)), 0);
	struct drf_admin da = { .drf = drf, .lock = &drf_lock };
	snprintf(drf_sock, sizeof(drf_sock), "%s", at("drf.sock"));
	CHECK_MSG(drf_admin_start(&da, drf_sock, err, sizeof(err)) == 0, "%s", err);

	/* TLS towards the current SHOs' DRFs: SHO-X's stand-in answers, SHO-Y's never does */
	struct om_ca *lab = kit_ca("operators root", &lab_key);
	snprintf(tls_dir, sizeof(tls_dir), "%.150s/tls", dir);
	CHECK_INT(mkdir(tls_dir, 0700), 0);
	snprintf(ca, sizeof(ca), "%s/ca.pem", tls_dir);
	CHECK_INT(om_cert_save(ca, om_ca_cert(lab)), 0);
	CHECK_INT(pf_issue_tls(lab, tls_dir, "sho-a.lab", "localhost"), 0);
	CHECK_INT(pf_issue_tls(lab, tls_dir, "drf.sho-x.lab", "localhost"), 0);
	snprintf(op_cert, sizeof(op_cert), "%s/sho-a.lab.pem", tls_dir);
	snprintf(op_key, sizeof(op_key), "%s/sho-a.lab.key", tls_dir);
	snprintf(x_cert, sizeof(x_cert), "%s/drf.sho-x.lab.pem", tls_dir);
	snprintf(x_key, sizeof(x_key), "%s/drf.sho-x.lab.key", tls_dir);
	struct om_http_tls xt = { .cert_file = x_cert, .key_file = x_key };
	struct om_http_opts xo = { .tls = &xt, .limits = { .workers = 8 } };
	struct om_http_server *x_srv = NULL;
	CHECK_MSG(om_http_server_new(&x_srv, &xo, err, sizeof(err)) == 0, "%s", err);
	if (!x_srv)
		return check_done();
	CHECK_INT(om_http_route(x_srv, "POST", "/handover", drf_x_handover, NULL), 0);
	CHECK_INT(om_http_server_start(x_srv), 0);
	int y_fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in ya = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t yl = sizeof(ya);
	CHECK(bind(y_fd, (struct sockaddr *)&ya, sizeof(ya)) == 0 && listen(y_fd, 64) == 0 &&
	      getsockname(y_fd, (struct sockaddr *)&ya, &yl) == 0); /* accepts in the kernel, never answers */
	peers.n = 2;
	peers.cert_file = op_cert;
	peers.key_file = op_key;
	peers.timeout_ms = 1000;
	snprintf(peers.p[0].sho_id, sizeof(peers.p[0].sho_id), "SHO-X");
	snprintf(peers.p[0].url, sizeof(peers.p[0].url), "https://localhost:%u/", om_http_server_port(x_srv));
	snprintf(peers.p[0].ca_file, sizeof(peers.p[0].ca_file), "%s", ca);
	snprintf(peers.p[1].sho_id, sizeof(peers.p[1].sho_id), "SHO-Y");
	snprintf(peers.p[1].url, sizeof(peers.p[1].url), "https://localhost:%u/", ntohs(ya.sin_port));
	snprintf(peers.p[1].ca_file, sizeof(peers.p[1].ca_file), "%s", ca);

	/* the SHO (SHO-A): its owner API in this process, its mover, and the test's own handle */
	snprintf(sho_db, sizeof(sho_db), "%s", at("sho.db"));
	struct sho_config cfg = { .db_path = sho_db, .sho_id = "SHO-A", .mcc = "001", .mnc = "01",
				  .msin_first = "0000000001", .msin_last = "0000000999", .op = op,
				  .apn = "internet.sho-a", .roaming = "any", .amf = { 0x80, 0x00 }, .ind_bits = 5,
				  .pva_ca = om_ca_cert(pva), .ocsp_url = url, .hss_socket = sock,
				  .drf_socket = drf_sock, .sign_key = me.key, .sign_cert = me.cert,
				  .provurl = "https://dpf.sho-a.lab/dm", .server_id = "sho-a-dpf", .dpf_apn = "prov.sho-a" };
	struct sho *s = NULL, *t = NULL;
	CHECK_INT(sho_open(&s, &cfg, why, sizeof(why)), 0);
	CHECK_INT(sho_open(&t, &cfg, why, sizeof(why)), 0);
	if (!s || !t)
		return check_done();
	CHECK_INT(sho_owner_add(s, SELLER, SELLER_SECRET), 0);
	CHECK_INT(sho_owner_add(s, BUYER, BUYER_SECRET), 0);
	CHECK_INT(sho_mover_start(&mover, &cfg, &peers), 0);
	web.sho = s;
	web.peers = &peers;
	web.hss_socket = sock;
	web.hss_probe_ms = 2000;
	sho_guard_init(&web.guard, 10, 60, 4);
	api.sho = s;
	api.http = &web;
	api.peers = &peers;
	api.mover = &mover;
	api.sho_id = "SHO-A";
	api.drf_socket = drf_sock;
	struct om_http_opts ho = { .max_body = 8u << 20, .timeout_s = 60 };
	struct om_http_server *srv = NULL;
	CHECK_MSG(om_http_server_new(&srv, &ho, err, sizeof(err)) == 0, "%s", err);
	if (!srv)
		return check_done();
	CHECK_INT(sho_http_routes(srv, &web), 0);
	CHECK_INT(sho_api_routes(srv, &api), 0);
	CHECK_INT(om_http_server_start(srv), 0);
	api_port = om_http_server_port(srv);

	check_resale(t, &sold, &x);
	check_moves(t, a, b);
	check_report(a);
	check_text_changes_need_a_type(a);
	check_hss_reason(&web, &tb[N_B - 1]);

	om_http_server_free(srv);
	sho_mover_stop(&mover);
	sho_api_free(&api);
	om_http_server_free(x_srv);
	close(y_fd);
	sho_close(s);
	sho_close(t);
	drf_admin_stop(&da);
	drf_close(drf);
	hss_provision_stop();
	hss_close(hss);
	kit_ocsp_stop(ocsp);
	for (int i = 0; i < N_A; i++) {
		free(a[i].cert_sign);
		free(a[i].cert_enc);
		kit_tre_free(&ta[i]);
	}
	for (int i = 0; i < N_B; i++) {
		free(b[i].cert_sign);
		free(b[i].cert_enc);
		kit_tre_free(&tb[i]);
	}
	kit_tre_free(&sold);
	pf_sho_free(&x);
	pf_sho_free(&me);
	om_ca_free(pva);
	om_ca_free(lab);
	EVP_PKEY_free(pva_key);
	EVP_PKEY_free(lab_key);
	if (!check_failures())
		kit_rm_rf(dir);
	else
		fprintf(stderr, "kept %s\n", dir);
	return check_done();
}
