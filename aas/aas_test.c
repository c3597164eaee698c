/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The application activation server's DM session (aas.h, docs/aas.md),
 * driven with the device's own message builders (agent/dm_client.h) and
 * the one codec: a device with parameters gets them as ./M2MAppParams,
 * byte for byte, and its Status closes the session; then each refusal with
 * its code and what the device sees: no parameters (404), a tampered file
 * (an http:// server: OM_EOBJ_FIELD, 500, nothing sent), an oversized one
 * (OM_EOBJ_TOO_LONG), a file that is a symbolic link (never followed), a
 * LocName that would walk out of params_dir, a DevId or Source that is
 * another TRE_id's, bytes that are no DM message (no answer at all). The
 * AAS only reads: every file of params_dir is byte-identical after each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openmcim/app_params.h>
#include <openmcim/dm.h>
#include <openmcim/pki.h>

#include "aas.h"
#include "check.h"
#include "dm_client.h"

static char dir[] = "/tmp/om-aas-test-XXXXXX";
static uint8_t good[OM_APP_PARAMS_MAX];
static size_t good_len;
static struct om_dm_msg m, ans;
static char snapshot[3][OM_APP_PARAMS_MAX + 2];
static size_t snap_len[3];
static const char *const files[3] = { "TRE-1", "TRE-TAMPERED", "TRE-BIG" };

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

/* Package 1 as the agent sends it: LocName tre_id, Source and DevId the URN of dev_tre. */
static int package1(const char *tre_id, const char *dev_tre, uint8_t *out, size_t cap)
{
	char dev[OM_DM_DEV_ID_LEN + 1];
	CHECK_INT(om_dm_dev_id(dev_tre, dev), 0);
	om_dm_msg_init(&m, "1A", 1, "https://localhost/aas", dev);
	m.hdr.source_name = tre_id;
	agent_dm_package1(&m, dev, NULL, 0, NULL);
	return om_dm_encode(&m, out, cap);
}

/* Handle one message; parse the answer into ans (0), or the handler's code. */
static int ask(const struct aas_config *c, const uint8_t *in, size_t len, struct aas_outcome *oc)
{
	uint8_t *out = NULL;
	size_t out_len = 0;
	om_dm_msg_free(&ans);
	memset(&ans, 0, sizeof(ans));
	int rc = aas_handle(c, in, len, &out, &out_len, oc);
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

static void device_gets_its_parameters(const struct aas_config *c)
{
	static uint8_t msg[OM_DM_MSG_MAX];
	struct aas_outcome oc;
	int n = package1("TRE-1", "TRE-1", msg, sizeof(msg));
	CHECK_INT(ask(c, msg, (size_t)n, &oc), 0);
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

/* A refusal in package 1: the Alert's status, no Replace, the outcome's result and code. */
static void refused(const struct aas_config *c, const char *tre_id, unsigned status, const char *result, int code)
{
	static uint8_t msg[OM_DM_MSG_MAX];
	struct aas_outcome oc;
	int n = package1(tre_id, tre_id, msg, sizeof(msg));
	CHECK_INT(ask(c, msg, (size_t)n, &oc), 0);
	const struct om_dm_cmd *st = find(OM_DM_CMD_STATUS, "Alert");
	CHECK_MSG(st && st->code == status, "%s: status %u", tre_id, st ? st->code : 0);
	CHECK_MSG(!find(OM_DM_CMD_REPLACE, NULL), "%s: nothing sent", tre_id);
	CHECK_MSG(!strcmp(oc.result, result) && oc.code == code, "%s: %s %s", tre_id, oc.result, om_errname(oc.code));
	unchanged();
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
	struct aas_config c = { .params_dir = dir, .server_uri = "https://localhost/aas" };
	device_gets_its_parameters(&c);
	refused(&c, "TRE-NONE", OM_DM_STATUS_NOT_FOUND, "no-parameters", 0);
	refused(&c, "TRE-TAMPERED", OM_DM_STATUS_FAILED, "refused-file", OM_EOBJ_FIELD);
	refused(&c, "TRE-BIG", OM_DM_STATUS_FAILED, "refused-file", OM_EOBJ_TOO_LONG);
	refused(&c, "TRE-LINK", OM_DM_STATUS_NOT_FOUND, "no-parameters", 0);
	identities_refused(&c);
	om_dm_msg_free(&ans);
	if (check_failures() == 0) {
		char cmd[200];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return check_done();
}
