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
 */
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
#include "tre_fixture.h"

static char dir[] = "/tmp/om-aas-test-XXXXXX";
static uint8_t good[OM_APP_PARAMS_MAX];
static size_t good_len;
static struct om_dm_msg m, ans;
static char snapshot[3][OM_APP_PARAMS_MAX + 2];
static size_t snap_len[3];
static const char *const files[3] = { "TRE-1", "TRE-TAMPERED", "TRE-BIG" };

/* The TREs that ask: each its own, certified by the PVA CA (or, the last, by another CA). */
enum { T_ONE, T_TWO, T_NONE, T_TAMPERED, T_BIG, T_LINK, T_FIFO, T_FOREIGN, N_TRES };
static const char *const tre_ids[N_TRES] = { "TRE-1", "TRE-2", "TRE-NONE", "TRE-TAMPERED", "TRE-BIG", "TRE-LINK",
					     "TRE-FIFO", "TRE-1" };
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
	for (int i = 0; i < 3; i++) {
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
	for (int i = 0; i < 3; i++) {
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
		CHECK(!strcmp(oc.result, k ? "device-refused" : "delivered") && oc.device_status == (k ? 400u : 200u));
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

int main(void)
{
	CHECK(mkdtemp(dir) != NULL);
	make_params();
	make_tres();
	static struct aas_config c = { .params_dir = dir, .server_uri = "https://localhost/aas" };
	X509 *root = om_ca_cert(pva);
	CHECK_INT(om_trust_new(&c.trust, &root, 1), 0);
	check_random(c.cookie_key, sizeof(c.cookie_key));
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
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return check_done();
}
