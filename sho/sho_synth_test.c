/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Alternative 3 at the connectivity provider (synthetic.h): a factory run in
 * synthetic mode, this operator's real HSS with its provisioning socket, and
 * the owner's Ku from a label. A wrong Ku, a random one, an unknown TRE_id
 * and a malformed Ku each get their own refusal and change no row of the
 * HSS; the right Ku creates f(Ku) suspended, which the HSS refuses to
 * authenticate (HSS_SUSPENDED) until the owner activates it; then its
 * vector is one the device's TRE accepts (the TRE and the AuC hold the same
 * credential without either having been told the other's).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openmcim/kdf.h>
#include <openmcim/synth.h>
#include <openmcim/tre.h>
#include <openmcim/usim.h>
#include <openmcim/vector.h>

#include "check.h"
#include "factory.h"
#include "hss.h"
#include "log.h"
#include "provision.h"
#include "refusal_kit.h"
#include "synthetic.h"

static char dir[] = "/tmp/om-sho-synth-XXXXXX";
static char path[600];

static const char *at(const char *rel)
{
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return path;
}

/* The Ku printed on tre_id's label, as the owner would type it. */
static void label_ku(const char *tre_id, char ku[static 64])
{
	char rel[128];
	snprintf(rel, sizeof(rel), "run/labels/%s.txt", tre_id);
	unsigned char *l = check_slurp(at(rel), NULL);
	ku[0] = 0;
	CHECK(l && sscanf((char *)l, "TRE_id: %*s Ku: %63s", ku) == 1);
	free(l);
}

static char *hss_snapshot(void)
{
	const char *dbs[] = { at("hss.db") };
	return rk_snapshot(dbs, 1, NULL, 0);
}

/* Each refusal: its code, and no row of the HSS moved. */
static void refused(const struct sho_synth *s, const struct sho_synth_target *t, int activate, const char *tre_id,
		    const char *ku, int want, const char *attack)
{
	char imsi[OM_MCIM_IMSI_MAX + 1] = "", why[256] = "";
	char *before = hss_snapshot();
	int rc = activate ? sho_synth_activate(s, t, tre_id, ku, imsi, why, sizeof(why))
			  : sho_synth_accept(s, t, tre_id, ku, imsi, why, sizeof(why));
	CHECK_MSG(rc == want, "%s: got %s (%s), want %s", attack, om_errname(rc), why, om_errname(want));
	CHECK_MSG(imsi[0] == 0, "%s: an IMSI came back", attack);
	CHECK_MSG(*why && !strstr(why, ku), "%s: a reason, without the Ku", attack);
	rk_check_unchanged(before, hss_snapshot(), attack);
}

int main(void)
{
	EVP_PKEY *pva_key = NULL;
	X509 *pva_cert = NULL, *ro_cert = NULL;
	struct om_ca *pva = NULL;
	struct sho_synth *s = NULL;
	char why[256], err[256], sock[600], hss_db[600], ku0[64], ku1[64], imsi[OM_MCIM_IMSI_MAX + 1];
	const char *t0 = "TRE-00000001", *t1 = "TRE-00000002";

	om_log_init("sho-synth-test", OM_LOG_ERROR);
	CHECK(mkdtemp(dir) != NULL);
	/* the manufacturer: a synthetic run of 3 devices */
	CHECK_INT(om_factory_init_cas(at("cas"), "PVA-1", "MFR-1"), 0);
	CHECK_INT(om_cert_load(&pva_cert, at("cas/pva-ca.pem")), 0);
	CHECK_INT(om_key_load(&pva_key, at("cas/pva-ca.key")), 0);
	CHECK_INT(om_cert_load(&ro_cert, at("cas/ro-signing.pem")), 0);
	CHECK_INT(om_ca_open(&pva, pva_cert, pva_key), 0);
	struct om_factory_config fc = { .pva_ca = pva, .ro_cert = ro_cert, .mcc = "001", .mnc = "01",
					.msin_first = "0000000000", .synth_count = 10000000000ull, .n_devices = 3,
					.jobs = 1 };
	CHECK_INT(om_factory_run(at("run"), &fc, NULL), 0);
	label_ku(t0, ku0);
	label_ku(t1, ku1);

	/* the operator: its HSS and the manufacturer's public files */
	snprintf(sock, sizeof(sock), "%s", at("prov.sock"));
	snprintf(hss_db, sizeof(hss_db), "%s", at("hss.db"));
	struct hss_config hc = { .db_path = hss_db };
	struct hss *hss = hss_open(&hc, err, sizeof(err));
	CHECK_MSG(hss != NULL, "%s", err);
	CHECK_MSG(hss && hss_provision_start(hss, sock, err, sizeof(err)) == 0, "%s", err);
	CHECK_MSG(sho_synth_load(&s, at("run/synthetic"), why, sizeof(why)) == 0, "%s", why);
	CHECK_INT(sho_synth_devices(s), 3);
	if (!hss || !s)
		return check_done();
	struct sho_synth_target t = { .hss_socket = sock, .roaming = "any", .ind_bits = 5 };

	/* a wrong Ku gives nothing */
	refused(s, &t, 0, t0, ku1, OM_ESHO_SYNTH_UNKNOWN, "another device's Ku");
	refused(s, &t, 0, t0, "ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZW", OM_ESHO_SYNTH_UNKNOWN, "a guessed Ku");
	refused(s, &t, 0, "TRE-99999999", ku0, OM_ESHO_SYNTH_UNKNOWN, "an unknown TRE_id");
	refused(s, &t, 0, t0, "ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-Z", OM_EAUTH_SYNTH_KU, "a Ku one character short");
	refused(s, &t, 0, t0, "ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZX", OM_EAUTH_SYNTH_KU, "a Ku with its padding bits set");
	refused(s, &t, 1, t0, ku0, OM_ESHO_NOT_FOUND, "activation before the Ku was given");
	refused(s, &t, 1, t0, ku1, OM_ESHO_SYNTH_UNKNOWN, "activation with another device's Ku");
	refused(NULL, &t, 0, t0, ku0, OM_ESHO_SYNTH_UNKNOWN, "an operator with no verifier list");

	/* the right Ku: f(Ku), created suspended */
	uint8_t ku[16];
	struct om_synth_range r;
	struct om_mcim m;
	CHECK_INT(om_synth_ku_parse(ku0, ku), 0);
	CHECK_INT(om_synth_range_set(&r, "001", "01", "0000000000", 10000000000ull), 0);
	CHECK_INT(om_synth_derive(ku, &r, &m, NULL), 0);
	CHECK_MSG(sho_synth_accept(s, &t, t0, ku0, imsi, why, sizeof(why)) == 0, "%s", why);
	CHECK_MSG(!strcmp(imsi, m.imsi), "imsi %s, f(Ku) gives %s", imsi, m.imsi);
	refused(s, &t, 0, t0, ku0, OM_ESHO_DUPLICATE, "the same Ku twice");

	uint8_t plmn[3];
	struct om_eutran_vector v;
	CHECK_INT(om_plmn_encode(plmn, "001", "01"), 0);
	CHECK_INT(hss_auth_info(hss, imsi, plmn, "mme.test", 1, NULL, &v), HSS_SUSPENDED);

	/* activation: the subscription goes live and the device's TRE accepts its vector */
	CHECK_MSG(sho_synth_activate(s, &t, t0, ku0, imsi, why, sizeof(why)) == 0, "%s", why);
	CHECK_INT(hss_auth_info(hss, imsi, plmn, "mme.test", 1, NULL, &v), 1);
	struct om_tre *tre = NULL;
	struct om_usim_out out;
	CHECK_INT(om_tre_open(&tre, at("run/devices/TRE-00000001"), OM_TRE_NO_FSYNC), 0);
	if (tre) {
		CHECK_INT(om_tre_aka(tre, v.rand, v.autn, &out), 0);
		CHECK_MEM(out.res, v.xres, OM_RES_LEN);
		om_usim_out_clear(&out);
		om_tre_close(tre);
	}
	/* the other devices are untouched: theirs still refused */
	char imsi1[OM_MCIM_IMSI_MAX + 1];
	CHECK_INT(om_synth_ku_parse(ku1, ku), 0);
	CHECK_INT(om_synth_derive(ku, &r, &m, NULL), 0);
	snprintf(imsi1, sizeof(imsi1), "%s", m.imsi);
	CHECK_INT(hss_auth_info(hss, imsi1, plmn, "mme.test", 1, NULL, &v), HSS_USER_UNKNOWN);
	/* the operator's CLI: the same calls, Ku on stdin */
	{
		char ku2[64], cmd[1400];
		label_ku("TRE-00000003", ku2);
		FILE *f = fopen(at("sho.conf"), "w");
		CHECK(f != NULL);
		if (f) {
			fprintf(f, "[sho]\ndb = %s/sho.db\nid = SHO-B\n[imsi]\nmcc = 001\nmnc = 02\n", dir);
			fprintf(f, "msin_first = 0000000001\nmsin_last = 0000000099\n[subscription]\n");
			fprintf(f, "op = cdc202d5123e20f62b6d676ac72cb318\napn = internet.sho-b\nroaming = any\n");
			fprintf(f, "[pva]\nca = %s/cas/pva-ca.pem\nocsp_url = http://127.0.0.1:9/\n[hss]\nsocket = %s\n", dir,
				sock);
			fprintf(f, "[synthetic]\ndir = %s/run/synthetic\n", dir);
			fclose(f);
		}
		const char *cli = getenv("OM_CLI") ? getenv("OM_CLI") : "./openmcim";
		snprintf(cmd, sizeof(cmd), "echo '%s' | %s sho-admin --conf %s/sho.conf synthetic accept --tre-id TRE-00000003 > %s/cli.out 2>&1",
			 ku1, cli, dir, dir);
		CHECK_MSG(WEXITSTATUS(system(cmd)) == 1, "the CLI refuses another device's Ku");
		unsigned char *o = check_slurp(at("cli.out"), NULL);
		CHECK_MSG(o && strstr((char *)o, "OM_ESHO_SYNTH_UNKNOWN"), "CLI said: %s", o ? (char *)o : "");
		free(o);
		snprintf(cmd, sizeof(cmd), "echo '%s' | %s sho-admin --conf %s/sho.conf synthetic accept --tre-id TRE-00000003 > %s/cli.out 2>&1",
			 ku2, cli, dir, dir);
		CHECK_INT(WEXITSTATUS(system(cmd)), 0);
		o = check_slurp(at("cli.out"), NULL);
		CHECK_MSG(o && strstr((char *)o, "TRE-00000003 imsi=") && strstr((char *)o, "status=suspended"), "CLI said: %s",
			  o ? (char *)o : "");
		free(o);
		snprintf(cmd, sizeof(cmd), "echo '%s' | %s sho-admin --conf %s/sho.conf synthetic activate --tre-id TRE-00000003 > %s/cli.out 2>&1",
			 ku2, cli, dir, dir);
		CHECK_INT(WEXITSTATUS(system(cmd)), 0);
		CHECK_INT(om_synth_ku_parse(ku2, ku), 0);
		CHECK_INT(om_synth_derive(ku, &r, &m, NULL), 0);
		CHECK_INT(hss_auth_info(hss, m.imsi, plmn, "mme.test", 1, NULL, &v), 1);
	}
	/* Ku reached no file of the HSS */
	CHECK(!check_file_has(at("hss.db"), ku0, strlen(ku0)) && !check_file_has(at("hss.db"), ku, 16));
	om_mcim_clear(&m);

	hss_provision_stop();
	hss_close(hss);
	sho_synth_free(s);
	om_ca_free(pva);
	X509_free(pva_cert);
	X509_free(ro_cert);
	EVP_PKEY_free(pva_key);
	if (check_failures() == 0) {
		char cmd[700];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return check_done();
}
