/* SPDX-License-Identifier: Apache-2.0 */
/* The helpers of s6a_testkit.h (a test kit compiled once, in libomtest). */
#include "s6a_testkit.h"

int sk_files(const char *dir, char bin[static 4096], char conf[static 512], char log[static 512],
			   char db[static 512])
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	CHECK(n > 0);
	if (n <= 0)
		return -1;
	exe[n] = 0;
	snprintf(bin, 4096, "%s/openmcim-hss", dirname(exe));
	snprintf(conf, 512, "%s/hss.conf", dir);
	snprintf(log, 512, "%s/hss.log", dir);
	snprintf(db, 512, "%s/hss.db", dir);
	return 0;
}

void sk_emit(void *ctx, const char *line)
{
	(void)ctx;
	(void)line;
}

int sk_provision(const char *db)
{
	static const char *const cmds[] = {
		"add " SK_IMSI " k=" SK_K_HEX " opc=" SK_OPC_HEX " amf=8000 apn=provisioning,internet roaming=00101",
		"add " SK_IMSI_ROAM " k=" SK_K_HEX " opc=" SK_OPC_HEX " amf=8000 apn=internet roaming=00102",
	};
	char err[256] = "";
	struct hss_config cfg = { .db_path = db, .max_vectors = 5, .sqn_reserve = 16 };
	struct hss *h = hss_open(&cfg, err, sizeof(err));
	CHECK_MSG(h != NULL, "%s", err);
	if (!h)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < 2 && !rc; i++) {
		char line[256];
		snprintf(line, sizeof(line), "%s", cmds[i]);
		rc = hss_admin_exec(h, line, sk_emit, NULL, err, sizeof(err));
		CHECK_MSG(rc == 0, "%s: %s", cmds[i], err);
	}
	hss_close(h);
	return rc;
}

int sk_make_pki(const char *dir)
{
	static const char *const ids[] = { SK_HSS_ID, SK_MME_ID, SK_MME2_ID, SK_OTHER_ID };
	struct om_ca *ca = pf_make_ca(dir, "s6a test Diameter CA", "ca.pem");
	int rc = ca ? 0 : -1;
	for (size_t i = 0; !rc && i < sizeof(ids) / sizeof(ids[0]); i++)
		rc = pf_issue_tls(ca, dir, ids[i], ids[i]);
	om_ca_free(ca);
	CHECK_INT(rc, 0);
	return rc;
}

void sk_hss_conf(const char *dir, const char *path, const char *db, unsigned port, const char *extra)
{
	char text[4096];
	/* debug: the tests read each vector's SQN range from the core's air line (an aia line at info) */
	snprintf(text, sizeof(text),
		 "[hss]\ndb = %s\nmax_vectors = 5\nsqn_reserve = 16\nrun_dir = %s/run\nlog_level = debug\n"
		 "provision_socket = %s/prov/hss.sock\n%s"
		 "[diameter]\nidentity = " SK_HSS_ID "\nrealm = " SK_REALM "\nlisten = 127.0.0.1\nport = %u\n"
		 "peers = " SK_MME_ID ", " SK_MME2_ID "\ntls_cert = %s/" SK_HSS_ID ".pem\n"
		 "tls_key = %s/" SK_HSS_ID ".key\ntls_ca = %s/ca.pem\n",
		 db, dir, dir, extra ? extra : "", port, dir, dir, dir);
	du_write_file(path, text);
}
