/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The application activation server's DM session (aas.h, docs/aas.md),
 * driven with the device's own message builders (agent/dm_client.h), real
 * TREs (tre_fixture.h) and the one codec: a device is challenged (407, a
 * nonce), proves it is its TRE (om_tre_aas_request) and gets its
 * parameters as ./M2MAppParams, byte for byte; its Status closes the
 * session. The device's proof refused with its code and nothing sent (401):
 * another TRE's request for this TRE_id, a TRE certified by another CA, a
 * signature changed, a nonce of another session, a nonce two windows old.
 * Then each refusal of the parameters with its code and what the device
 * sees: no parameters (404), a tampered file
 * (an http:// server: OM_EOBJ_FIELD, 500, nothing sent), an oversized one
 * (OM_EOBJ_TOO_LONG), a file that is a symbolic link (never followed), a
 * LocName that would walk out of params_dir, a DevId or Source that is
 * another TRE_id's, bytes that are no DM message (no answer at all). The
 * AAS only reads: every file of params_dir is byte-identical after each.
 *
 * Cert_TRE's status at the PVA's own OCSP responder (pva_open, the TREs
 * imported as the factory's devices.csv, pva_http_routes): a TRE the PVA
 * revoked (pva-admin's revoke) and one it never imported get Status 403
 * and nothing, though their parameters are there; a responder that never
 * answers (a listener nobody accepts on) and one that is not there get 503
 * and nothing, within the client's deadline. The device's closing Status is
 * its word: a forged Status 200 with no session behind it is a report
 * (device-reported), never a delivery, and moves no counter of parameters
 * sent. The counters (openmcim_aas_*) agree with what was done, and the
 * page passes `promtool check metrics`.
 */
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openmcim/app_params.h>
#include <openmcim/dm.h>
#include <openmcim/pki.h>

#include <openmcim/aas_request.h>

#include "aas.h"
#include "check.h"
#include "dm_client.h"
#include "metrics.h"
#include "ocsp_client.h"
#include "pg_cluster.h"
#include "pki_fixture.h"
#include "pva_admin.h"
#include "pva_http.h"
#include "pva_test_util.h"
#include "tre_fixture.h"

static char dir[] = "/tmp/om-aas-test-XXXXXX";
static uint8_t good[OM_APP_PARAMS_MAX];
static size_t good_len;
static struct om_dm_msg m, ans;
#define N_FILES 5
static char snapshot[N_FILES][OM_APP_PARAMS_MAX + 2];
static size_t snap_len[N_FILES];
static const char *const files[N_FILES] = { "TRE-1", "TRE-TAMPERED", "TRE-BIG", "TRE-REVOKED", "TRE-UNKNOWN" };

/*
 * The TREs that ask: each its own, certified by the PVA CA (or, T_FOREIGN, by another CA); all but
 * T_UNKNOWN and T_FOREIGN imported at the PVA, T_REVOKED then revoked there.
 */
enum { T_ONE, T_TWO, T_NONE, T_TAMPERED, T_BIG, T_LINK, T_FIFO, T_REVOKED, T_UNKNOWN, T_FOREIGN, N_TRES };
static const char *const tre_ids[N_TRES] = { "TRE-1",	 "TRE-2",    "TRE-NONE",    "TRE-TAMPERED", "TRE-BIG",
					     "TRE-LINK", "TRE-FIFO", "TRE-REVOKED", "TRE-UNKNOWN",  "TRE-1" };
static struct fx_tre *fx; /* on the heap: the fixture's paths are bounded by their own arrays */
static struct om_tre *tres[N_TRES];
static struct om_ca *pva, *other_pva;
static EVP_PKEY *pva_key, *other_key;
static struct fx_sho mfr;

static void make_tres(void)
{
	fx = calloc(N_TRES, sizeof(*fx));
	if (!fx)
		FX_DIE("calloc");
	fx_pva_init(&pva, &pva_key);
	fx_pva_init(&other_pva, &other_key);
	fx_sho_init(&mfr, "MFR-1");
	for (int i = 0; i < N_TRES; i++)
		tres[i] = fx_tre_setup(&fx[i], i == T_FOREIGN ? other_pva : pva, tre_ids[i], &mfr, NULL);
}

static void put(const char *name, const uint8_t *b, size_t n)
{
	char p[200];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "wb");
	CHECK(f && fwrite(b, 1, n, f) == n);
	if (f)
		fclose(f);
}

static void make_params(void)
{
	EVP_PKEY *k = NULL;
	struct om_ca *ca = NULL;
	uint8_t *der = NULL;
	size_t len = 0;
	struct om_app_params p = { .anchor_len = 0 };
	CHECK_INT(om_key_generate(&k, OM_KEY_EC_P256), 0);
	CHECK_INT(om_ca_create(&ca, k, "app root", 0, 0), 0);
	CHECK_INT(om_cert_encode(om_ca_cert(ca), OM_ENC_DER, &der, &len), 0);
	memcpy(p.anchor, der, len);
	p.anchor_len = len;
	snprintf(p.server, sizeof(p.server), "https://app.example:8443/m2m");
	int n = om_app_params_encode(&p, good, sizeof(good));
	CHECK(n > 0);
	good_len = n > 0 ? (size_t)n : 0;
	om_pki_free(der, len);
	om_ca_free(ca);
	EVP_PKEY_free(k);
	static uint8_t bad[OM_APP_PARAMS_MAX + 1];
	put("TRE-1", good, good_len);
	put("TRE-REVOKED", good, good_len); /* there to send: only its status keeps them from it */
	put("TRE-UNKNOWN", good, good_len);
	memcpy(bad, good, good_len);
	memcpy(bad + 7, "http://x", 8); /* the server address, same length */
	put("TRE-TAMPERED", bad, good_len);
	memset(bad, 0, sizeof(bad));
	memcpy(bad, good, good_len);
	put("TRE-BIG", bad, sizeof(bad));
	char target[200], link[200];
	snprintf(target, sizeof(target), "%s/TRE-1", dir);
	snprintf(link, sizeof(link), "%s/TRE-LINK", dir);
	CHECK_INT(symlink(target, link), 0);
	/* a FIFO nobody writes to: opened blocking, it would hold the handler for ever */
	snprintf(link, sizeof(link), "%s/TRE-FIFO", dir);
	CHECK_INT(mkfifo(link, 0600), 0);
	for (int i = 0; i < N_FILES; i++) {
		char pth[200];
		snprintf(pth, sizeof(pth), "%s/%s", dir, files[i]);
		unsigned char *b = check_slurp(pth, &snap_len[i]);
		if (b && snap_len[i] <= sizeof(snapshot[i]))
			memcpy(snapshot[i], b, snap_len[i]);
		free(b);
	}
}

/* params_dir as it was: the AAS only reads */
static void unchanged(void)
{
	for (int i = 0; i < N_FILES; i++) {
		char pth[200];
		size_t n = 0;
		snprintf(pth, sizeof(pth), "%s/%s", dir, files[i]);
		unsigned char *b = check_slurp(pth, &n);
		CHECK_MSG(b && n == snap_len[i] && !memcmp(b, snapshot[i], n), "%s unchanged", files[i]);
		free(b);
	}
}

/* Package 1 as the agent sends it: LocName tre_id, Source and DevId the URN of dev_tre; req: its request. */
static int package1_req(const char *sid, uint32_t msg_id, const char *tre_id, const char *dev_tre, const uint8_t *req,
			size_t req_len, uint8_t *out, size_t cap)
{
	char dev[OM_DM_DEV_ID_LEN + 1];
	CHECK_INT(om_dm_dev_id(dev_tre, dev), 0);
	om_dm_msg_init(&m, sid, msg_id, "https://localhost/aas", dev);
	m.hdr.source_name = tre_id;
	agent_dm_package1(&m, dev, NULL, 0, NULL);
	if (req) {
		struct om_dm_cmd *a = om_dm_add_cmd(&m, OM_DM_CMD_ALERT);
		struct om_dm_item *it = om_dm_add_item(a);
		a->code = OM_DM_ALERT_GENERIC;
		it->source = OM_DM_URI_AAS_REQUEST;
		it->type = OM_DM_TYPE_AAS_REQUEST;
		it->format = OM_DM_FMT_B64;
		it->data = req;
		it->data_len = req_len;
	}
	return om_dm_encode(&m, out, cap);
}

static int package1(const char *tre_id, const char *dev_tre, uint8_t *out, size_t cap)
{
	return package1_req("1A", 1, tre_id, dev_tre, NULL, 0, out, cap);
}

/* Handle one message; parse the answer into ans (0), or the handler's code. */
static time_t now_t;

static int ask(const struct aas_config *c, const uint8_t *in, size_t len, struct aas_outcome *oc)
{
	uint8_t *out = NULL;
	size_t out_len = 0;
	om_dm_msg_free(&ans);
	memset(&ans, 0, sizeof(ans));
	int rc = aas_handle(c, in, len, now_t, &out, &out_len, oc);
	if (rc == 0)
		CHECK_INT(om_dm_parse(out, out_len, &ans), 0);
	else
		CHECK(out == NULL);
	free(out);
	return rc;
}

static const struct om_dm_cmd *find(enum om_dm_cmd_type t, const char *ref)
{
	for (size_t i = 0; i < ans.n_cmds; i++)
		if (ans.cmds[i].type == t && (!ref || (ans.cmds[i].ref_cmd && !strcmp(ans.cmds[i].ref_cmd, ref))))
			return &ans.cmds[i];
	return NULL;
}

/* The SyncHdr Status of the answer, and its NextNonce into nonce. */
static unsigned hdr_status(uint8_t *nonce)
{
	const struct om_dm_cmd *h = find(OM_DM_CMD_STATUS, "SyncHdr");
	if (h && nonce && h->next_nonce && h->next_nonce_len == OM_AAS_NONCE_LEN)
		memcpy(nonce, h->next_nonce, OM_AAS_NONCE_LEN);
	return h ? h->code : 0;
}

/*
 * Package 1 of tre_id in session sid: challenged (407, a nonce); then
 * package 1 again with signer's request over that nonce (sent at now_t +
 * later), the request changed by tamper when it is not NULL. The second
 * answer stays in ans; its outcome in *oc.
 */
static void challenged_then_ask(const struct aas_config *c, const char *sid, const char *sid2, const char *tre_id,
				int signer, time_t later, void (*tamper)(uint8_t *, size_t), struct aas_outcome *oc)
{
	static uint8_t msg[OM_DM_MSG_MAX], req[OM_AAS_REQUEST_MAX];
	uint8_t nonce[OM_AAS_NONCE_LEN] = { 0 };
	int n = package1_req(sid, 1, tre_id, tre_id, NULL, 0, msg, sizeof(msg));
	CHECK_INT(ask(c, msg, (size_t)n, oc), 0);
	CHECK_MSG(hdr_status(nonce) == OM_DM_STATUS_MISSING_CRED && !strcmp(oc->result, "challenged"),
		  "%s: challenged first (%s)", tre_id, oc->result);
	CHECK(!find(OM_DM_CMD_REPLACE, NULL) && ans.final);
	int rl = om_tre_aas_request(tres[signer], nonce, req, sizeof(req));
	CHECK(rl > 0);
	if (tamper && rl > 0)
		tamper(req, (size_t)rl);
	time_t t = now_t;
	now_t += later;
	n = package1_req(sid2, 2, tre_id, tre_id, req, rl > 0 ? (size_t)rl : 0, msg, sizeof(msg));
	CHECK_INT(ask(c, msg, (size_t)n, oc), 0);
	now_t = t;
}

static void device_gets_its_parameters(const struct aas_config *c)
{
	static uint8_t msg[OM_DM_MSG_MAX];
	struct aas_outcome oc;
	int n;
	challenged_then_ask(c, "1A", "1A", "TRE-1", T_ONE, 0, NULL, &oc);
	CHECK_INT(hdr_status(NULL), OM_DM_STATUS_OK);
	CHECK(!strcmp(oc.result, "sent") && oc.code == 0 && !strcmp(oc.tre_id, "TRE-1"));
	const struct om_dm_cmd *r = find(OM_DM_CMD_REPLACE, NULL), *st = find(OM_DM_CMD_STATUS, "Alert");
	CHECK(st && st->code == OM_DM_STATUS_OK && ans.final);
	CHECK(r && r->n_items == 1 && !strcmp(r->items[0].target, OM_DM_URI_APP_PARAMS) &&
	      !strcmp(r->items[0].type, OM_DM_TYPE_APP_PARAMS) && r->items[0].data_len == good_len &&
	      !memcmp(r->items[0].data, good, good_len));
	/* the device's Status closes it: delivered (200) or refused by the device (400) */
	uint32_t rep = r ? r->cmd_id : 1;
	for (int k = 0; k < 2; k++) {
		char dev[OM_DM_DEV_ID_LEN + 1];
		CHECK_INT(om_dm_dev_id("TRE-1", dev), 0);
		om_dm_msg_init(&m, "1A", 2, "https://localhost/aas", dev);
		m.hdr.source_name = "TRE-1";
		agent_dm_app_status(&m, 1, rep, k ? 400 : OM_DM_STATUS_OK);
		n = om_dm_encode(&m, msg, sizeof(msg));
		CHECK_INT(ask(c, msg, (size_t)n, &oc), 0);
		CHECK(!strcmp(oc.result, k ? "device-refused" : "device-reported") && oc.device_status == (k ? 400u : 200u));
		CHECK(!find(OM_DM_CMD_REPLACE, NULL) && ans.final);
	}
	unchanged();
}

/* A refusal after the proof: the Alert's status, no Replace, the outcome's result and code. */
static void refused(const struct aas_config *c, int who, unsigned status, const char *result, int code)
{
	const char *tre_id = tre_ids[who];
	struct aas_outcome oc;
	challenged_then_ask(c, "1A", "1A", tre_id, who, 0, NULL, &oc);
	const struct om_dm_cmd *st = find(OM_DM_CMD_STATUS, "Alert");
	CHECK_MSG(st && st->code == status, "%s: status %u", tre_id, st ? st->code : 0);
	CHECK_MSG(!find(OM_DM_CMD_REPLACE, NULL), "%s: nothing sent", tre_id);
	CHECK_MSG(!strcmp(oc.result, result) && oc.code == code, "%s: %s %s", tre_id, oc.result, om_errname(oc.code));
	unchanged();
}

static void flip_last(uint8_t *b, size_t n)
{
	b[n - 1] ^= 0x01; /* the signature's last byte */
}

/* A proof refused: SyncHdr 401 with a new nonce, nothing sent, the request's code. */
static void proof_refused(const struct aas_config *c, const char *what, const char *sid2, const char *tre_id, int signer,
			  time_t later, void (*tamper)(uint8_t *, size_t), int code)
{
	struct aas_outcome oc;
	uint8_t nonce[OM_AAS_NONCE_LEN] = { 0 };
	challenged_then_ask(c, "1A", sid2, tre_id, signer, later, tamper, &oc);
	CHECK_MSG(hdr_status(nonce) == OM_DM_STATUS_UNAUTHORIZED, "%s: 401", what);
	CHECK_MSG(!find(OM_DM_CMD_REPLACE, NULL), "%s: nothing sent", what);
	CHECK_MSG(!strcmp(oc.result, "refused-request") && oc.code == code, "%s: %s %s, want %s", what, oc.result,
		  om_errname(oc.code), om_errname(code));
	unchanged();
}

static void proofs_refused(const struct aas_config *c)
{
	proof_refused(c, "another TRE's request", "1A", "TRE-1", T_TWO, 0, NULL, OM_EOBJ_VALUE);
	proof_refused(c, "a TRE of another CA", "1A", "TRE-1", T_FOREIGN, 0, NULL, OM_EPKI_UNTRUSTED);
	proof_refused(c, "a signature changed", "1A", "TRE-1", T_ONE, 0, flip_last, OM_EOBJ_SIGNATURE);
	proof_refused(c, "another session's nonce", "2B", "TRE-1", T_ONE, 0, NULL, OM_EDM_CRED);
	proof_refused(c, "a nonce two windows old", "1A", "TRE-1", T_ONE, 2 * AAS_WINDOW_S, NULL, OM_EDM_CRED);
}

static void identities_refused(const struct aas_config *c)
{
	static uint8_t msg[OM_DM_MSG_MAX];
	struct aas_outcome oc;
	/* a LocName that would name a file outside params_dir */
	int n = package1("../TRE-1", "../TRE-1", msg, sizeof(msg));
	CHECK_INT(ask(c, msg, (size_t)n, &oc), OM_EDM_MISSING);
	/* another device's parameters asked for under its TRE_id, with our own DevId */
	n = package1("TRE-1", "TRE-2", msg, sizeof(msg));
	CHECK_INT(ask(c, msg, (size_t)n, &oc), OM_EDM_MISSING);
	/* no LocName at all */
	n = package1("", "TRE-1", msg, sizeof(msg));
	CHECK_INT(ask(c, msg, (size_t)n, &oc), OM_EDM_MISSING);
	/* not a DM message */
	CHECK(ask(c, (const uint8_t *)"<SyncML>", 8, &oc) < 0);
	unchanged();
}

/* ---- Cert_TRE's status at the PVA ------------------------------------------------ */

static char pva_dir[] = "/tmp/om-aas-pva-XXXXXX";
static struct pva *pva_srv;
static struct om_http_server *pva_http;

static void no_emit(void *ctx, const char *line)
{
	(void)ctx;
	(void)line;
}

static void b64(const uint8_t *b, size_t n, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, b, (int)n);
}

/*
 * The PVA of the TREs' CA as it runs: the factory's devices.csv imported (every TRE of that CA but
 * T_UNKNOWN), T_REVOKED revoked by the operator's command, OCSP served over HTTP. Its URL in url.
 */
static void pva_start(char *url, size_t cap)
{
	static char csv[N_TRES * 2 * 6000], refs[2048];
	char path[300], db[700], ca[300], rc_[300], rk[300], why[256] = "", err[256] = "";
	long nd = 0, nr = 0;
	size_t o = 0;
	CHECK(mkdtemp(pva_dir) != NULL);
	snprintf(ca, sizeof(ca), "%s/ca.pem", pva_dir);
	CHECK_INT(om_cert_save(ca, om_ca_cert(pva)), 0);
	CHECK_INT(pf_issue(pva, OM_CERT_OCSP_RESPONDER, pva_dir, "responder", "PVA OCSP", NULL), 0);
	snprintf(rc_, sizeof(rc_), "%s/responder.pem", pva_dir);
	snprintf(rk, sizeof(rk), "%s/responder.key", pva_dir);
	CHECK_INT(t_store_conf(pva_dir, "pva.db", db, sizeof(db)), 0);
	struct pva_config pc = { .db_path = db, .ca_cert = ca, .responder_cert = rc_, .responder_key = rk };
	pva_srv = pva_open(&pc, err, sizeof(err));
	CHECK_MSG(pva_srv != NULL, "pva_open: %s", err);
	if (!pva_srv)
		FX_DIE("pva");
	o += (size_t)snprintf(csv + o, sizeof(csv) - o, "tre_id,model,firmware,sign_cert_der_b64,enc_cert_der_b64\n");
	for (int i = 0; i < N_TRES; i++) {
		static char sb[6000], eb[6000];
		if (i == T_UNKNOWN || i == T_FOREIGN)
			continue;
		b64(fx[i].sign_der, fx[i].sign_len, sb);
		b64(fx[i].enc_der, fx[i].enc_len, eb);
		o += (size_t)snprintf(csv + o, sizeof(csv) - o, "%s,%s,%s,%s,%s\n", tre_ids[i], T_MODEL, T_FW, sb, eb);
	}
	CHECK(o < sizeof(csv));
	snprintf(path, sizeof(path), "%s/devices.csv", pva_dir);
	t_write(path, csv);
	t_refs_csv(T_FW, refs, sizeof(refs));
	snprintf(path, sizeof(path), "%s/reference-measurements.csv", pva_dir);
	t_write(path, refs);
	CHECK_MSG(pva_import_dir(pva_srv, pva_dir, &nd, &nr, why, sizeof(why)) == 0, "import: %s", why);
	char line[] = "revoke TRE-REVOKED keyCompromise";
	CHECK_MSG(pva_admin_exec(pva_srv, line, no_emit, NULL, why, sizeof(why)) == 0, "revoke: %s", why);
	struct om_http_opts ho = { .port = 0 };
	CHECK_INT(om_http_server_new(&pva_http, &ho, err, sizeof(err)), 0);
	CHECK_INT(pva_http_routes(pva_http, pva_srv), 0);
	CHECK_INT(om_http_server_start(pva_http), 0);
	snprintf(url, cap, "http://127.0.0.1:%u/", (unsigned)om_http_server_port(pva_http));
}

/* A refusal for Cert_TRE's status: the Alert's status, no Replace, nothing counted as sent. */
static void status_refused(const struct aas_config *c, int who, unsigned status, const char *result, int code)
{
	int64_t sent = om_metric_value(&aas_sent, NULL);
	refused(c, who, status, result, code);
	CHECK_MSG(hdr_status(NULL) == OM_DM_STATUS_OK, "%s: the proof itself is good", tre_ids[who]);
	CHECK_MSG(om_metric_value(&aas_sent, NULL) == sent, "%s: nothing counted as sent", tre_ids[who]);
}

/* A listener whose backlog takes the connection and nobody ever answers: a PVA that hangs. */
static int silent_listener(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(fd, 8) == 0 &&
	      getsockname(fd, (struct sockaddr *)&a, &al) == 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/*
 * A port bound but never listened on: a connection to it is refused, and while the socket is held no
 * other process can take the port (a closed listener's port could be bound by anyone on the machine).
 */
static int refusing_port(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	      getsockname(fd, (struct sockaddr *)&a, &al) == 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* A PVA that cannot say: a good TRE with parameters gets 503 and nothing, within the client's deadline. */
static void status_unavailable(const struct aas_config *good_cfg, X509 *issuer)
{
	static struct aas_config c;
	char url[64];
	uint16_t port = 0, refused = 0;
	int fd = silent_listener(&port);
	int rfd = refusing_port(&refused);
	struct om_ocsp_options oo = { .timeout_ms = 1000 };
	for (int k = 0; k < 3; k++) {
		c = *good_cfg;
		c.ocsp = NULL;
		if (k < 2) {
			/* k 0: it hangs; k 1: nothing listens (a port held bound, never listened on: refused) */
			snprintf(url, sizeof(url), "http://127.0.0.1:%u/", (unsigned)(k == 0 ? port : refused));
			CHECK_INT(om_ocsp_client_new(&c.ocsp, url, issuer, c.trust, &oo), 0);
		}
		int64_t sent = om_metric_value(&aas_sent, NULL);
		struct aas_outcome oc;
		struct timespec t0 = om_metric_start();
		challenged_then_ask(&c, "1A", "1A", "TRE-1", T_ONE, 0, NULL, &oc);
		struct timespec t1 = om_metric_start();
		const struct om_dm_cmd *st = find(OM_DM_CMD_STATUS, "Alert");
		CHECK_MSG(st && st->code == OM_DM_STATUS_UNAVAILABLE, "case %d: status %u", k, st ? st->code : 0);
		CHECK_MSG(!find(OM_DM_CMD_REPLACE, NULL), "case %d: nothing sent", k);
		CHECK_MSG(!strcmp(oc.result, "status-unavailable") && oc.code == OM_EOCSP_TRANSPORT && oc.why[0],
			  "case %d: %s %s \"%s\"", k, oc.result, om_errname(oc.code), oc.why);
		CHECK_MSG(om_metric_value(&aas_sent, NULL) == sent, "case %d: nothing counted as sent", k);
		/* bounded by the client's deadline (1 s); the bound here is generous for a loaded sanitizer run */
		CHECK_MSG(t1.tv_sec - t0.tv_sec < 60, "case %d: answered after %ld s", k, (long)(t1.tv_sec - t0.tv_sec));
		unchanged();
		om_ocsp_client_free(c.ocsp);
	}
	if (fd >= 0)
		close(fd);
	if (rfd >= 0)
		close(rfd);
}

/*
 * The device's closing Status is unsigned: anyone may send one for any TRE_id, with no session before
 * it. It is logged as the device's report and counted as one, never as parameters delivered or sent.
 */
static void forged_report_is_no_delivery(const struct aas_config *c)
{
	static uint8_t msg[OM_DM_MSG_MAX];
	char dev[OM_DM_DEV_ID_LEN + 1];
	struct aas_outcome oc;
	int64_t sent = om_metric_value(&aas_sent, NULL), reports = om_metric_value(&aas_device_reports, "200");
	CHECK_INT(om_dm_dev_id("TRE-2", dev), 0);
	om_dm_msg_init(&m, "9Z", 2, "https://localhost/aas", dev);
	m.hdr.source_name = "TRE-2";
	agent_dm_app_status(&m, 1, 3, OM_DM_STATUS_OK);
	int n = om_dm_encode(&m, msg, sizeof(msg));
	CHECK_INT(ask(c, msg, (size_t)n, &oc), 0);
	CHECK_MSG(!strcmp(oc.result, "device-reported") && oc.device_status == 200, "forged report: %s", oc.result);
	CHECK(!find(OM_DM_CMD_REPLACE, NULL) && ans.final);
	CHECK_INT(om_metric_value(&aas_sent, NULL), sent);
	CHECK_INT(om_metric_value(&aas_device_reports, "200"), reports + 1);
	CHECK_INT(om_metric_value(&aas_messages, "delivered"), 0);
}

/* The counters against what this test did, and the page through promtool. */
static void counters_agree(int64_t sent_want)
{
	CHECK_INT(om_metric_value(&aas_sent, NULL), sent_want);
	CHECK_INT(om_metric_value(&aas_messages, "sent"), sent_want);
	CHECK_INT(om_metric_value(&aas_refusals, "OM_EPKI_STATUS_REVOKED"), 1);
	CHECK_INT(om_metric_value(&aas_refusals, "OM_EPKI_STATUS_UNKNOWN"), 1);
	CHECK_INT(om_metric_value(&aas_refusals, "OM_EOCSP_TRANSPORT"), 3);
	CHECK_INT(om_metric_value(&aas_messages, "refused-cert"), 2);
	CHECK_INT(om_metric_value(&aas_messages, "status-unavailable"), 3);
	CHECK_INT(om_metric_value(&aas_device_reports, "200"), 2); /* the session's and the forged one */
	CHECK_INT(om_metric_value(&aas_device_reports, "400"), 1);
	char *page = NULL, path[300], cmd[800];
	size_t len = 0;
	CHECK_INT(om_metrics_render(&page, &len), 0);
	CHECK(page && strstr(page, "openmcim_aas_params_sent_total ") && strstr(page, "openmcim_aas_refusals_total{code=\"OM_EPKI_STATUS_REVOKED\"} 1\n"));
	snprintf(path, sizeof(path), "%s/aas.prom", pva_dir);
	FILE *f = fopen(path, "w");
	CHECK(f && page && fwrite(page, 1, len, f) == len);
	if (f)
		fclose(f);
	free(page);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < '%s' > '%s.out' 2>&1", path, path);
	int st = system(cmd);
	CHECK_MSG(st == 0, "promtool: status %d (see %s.out)", st, path);
}

int main(void)
{
	CHECK(mkdtemp(dir) != NULL);
	make_params();
	make_tres();
	static struct aas_config c = { .params_dir = dir, .server_uri = "https://localhost/aas" };
	X509 *root = om_ca_cert(pva);
	CHECK_INT(om_trust_new(&c.trust, &root, 1), 0);
	check_random(c.cookie_key, sizeof(c.cookie_key));
	aas_metrics_register();
	char ocsp_url[64];
	pva_start(ocsp_url, sizeof(ocsp_url));
	struct om_ocsp_options oo = { .timeout_ms = 10000 };
	CHECK_INT(om_ocsp_client_new(&c.ocsp, ocsp_url, root, c.trust, &oo), 0);
	/* early in a window ("later" moves whole windows), after the certificates were issued */
	now_t = (time(NULL) / AAS_WINDOW_S + 1) * AAS_WINDOW_S + 1;
	device_gets_its_parameters(&c);
	/* the nonce of the window before is still taken (a device challenged just before the turn) */
	struct aas_outcome oc;
	challenged_then_ask(&c, "1A", "1A", "TRE-1", T_ONE, AAS_WINDOW_S, NULL, &oc);
	CHECK_MSG(!strcmp(oc.result, "sent"), "the window before: %s", oc.result);
	proofs_refused(&c);
	refused(&c, T_NONE, OM_DM_STATUS_NOT_FOUND, "no-parameters", 0);
	refused(&c, T_TAMPERED, OM_DM_STATUS_FAILED, "refused-file", OM_EOBJ_FIELD);
	refused(&c, T_BIG, OM_DM_STATUS_FAILED, "refused-file", OM_EOBJ_TOO_LONG);
	refused(&c, T_LINK, OM_DM_STATUS_NOT_FOUND, "no-parameters", 0);
	refused(&c, T_FIFO, OM_DM_STATUS_NOT_FOUND, "no-parameters", 0); /* not a regular file: refused at once */
	identities_refused(&c);
	status_refused(&c, T_REVOKED, OM_DM_STATUS_FORBIDDEN, "refused-cert", OM_EPKI_STATUS_REVOKED);
	status_refused(&c, T_UNKNOWN, OM_DM_STATUS_FORBIDDEN, "refused-cert", OM_EPKI_STATUS_UNKNOWN);
	status_unavailable(&c, root);
	forged_report_is_no_delivery(&c);
	/* sent: the session's and the window before's */
	counters_agree(2);
	om_ocsp_client_free(c.ocsp);
	om_http_server_free(pva_http);
	pva_close(pva_srv);
	om_dm_msg_free(&ans);
	for (int i = 0; i < N_TRES; i++) {
		om_tre_close(tres[i]);
		fx_tre_free(&fx[i]);
	}
	free(fx);
	fx_sho_free(&mfr);
	om_ca_free(pva);
	om_ca_free(other_pva);
	EVP_PKEY_free(pva_key);
	EVP_PKEY_free(other_key);
	X509_STORE_free(c.trust);
	if (check_failures() == 0) {
		char cmd[200];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", dir, pva_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return check_done();
}
