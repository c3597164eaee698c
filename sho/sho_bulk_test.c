/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A delivery note of 1,000 devices (OM_SHO_BULK_N to change it) registered
 * in one call on one core, against the real HSS (in-process, through its
 * provisioning socket) and the independent `openssl ocsp` responder; prints
 * the time per phase-free whole call, the figure in docs/sho.md.
 */
#include "hss_test_util.h" /* t_sql_int */
#include "log.h"
#include "provision.h"
#include "sho.h"
#include "sho_testkit.h"

static char dir[] = "/tmp/om-sho-bulk-XXXXXX";

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long count_subscribers(const char *db_path)
{
	return (long)t_sql_int(db_path, "SELECT count(*) FROM subscriber");
}

int main(void)
{
	static const uint8_t op[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	const char *env = getenv("OM_SHO_BULK_N");
	size_t n = env ? strtoul(env, NULL, 10) : 1000;
	char path[600], sock[600], hss_db[600], sho_db[600], url[64], err[256], why[256] = "";
	EVP_PKEY *ca_key = NULL;
	om_log_init("sho-bulk", OM_LOG_ERROR);
	if (n == 0 || n > 100000 || !mkdtemp(dir))
		return 1;
	struct om_ca *pva = kit_ca("Bulk PVA", &ca_key);
	kit_save_ca(dir, pva, ca_key, "pva");
	struct sho_device_in *devs = calloc(n, sizeof(*devs));
	struct sho_row_report *rep = calloc(n, sizeof(*rep));
	snprintf(path, sizeof(path), "%s/index.txt", dir);
	FILE *f = fopen(path, "w");
	double t0 = now_s();
	for (size_t i = 0; i < n; i++) {
		struct kit_tre t;
		char id[32];
		snprintf(id, sizeof(id), "TRE-%08zu", i + 1);
		kit_tre_issue(pva, id, &t);
		kit_index_line(f, t.sign, 'V');
		kit_index_line(f, t.enc, 'V');
		snprintf(devs[i].tre_id, sizeof(devs[i].tre_id), "%s", id);
		snprintf(devs[i].current_sho, sizeof(devs[i].current_sho), "RO");
		devs[i].cert_sign = malloc(t.sign_len);
		devs[i].cert_enc = malloc(t.enc_len);
		memcpy(devs[i].cert_sign, t.sign_der, t.sign_len);
		memcpy(devs[i].cert_enc, t.enc_der, t.enc_len);
		devs[i].cert_sign_len = t.sign_len;
		devs[i].cert_enc_len = t.enc_len;
		memcpy(devs[i].claim, t.claim, sizeof(devs[i].claim));
		devs[i].has_claim = 1;
		kit_tre_free(&t);
	}
	fclose(f);
	kit_write(dir, "index.txt.attr", "unique_subject = no\n");
	fprintf(stderr, "issued %zu TRE certificate pairs in %.2f s\n", n, now_s() - t0);
	int port;
	pid_t ocsp = kit_ocsp_start(dir, "pva.pem", "pva.key", "pva.pem", &port);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);

	/* SQLite files, or fresh PostgreSQL databases with OM_TEST_STORE=pg (sho_bulk_test_pg) */
	CHECK_INT(t_store_conf(dir, "hss.db", hss_db, sizeof(hss_db)), 0);
	snprintf(sock, sizeof(sock), "%s/hss-sock/prov.sock", dir);
	struct hss_config hc = { .db_path = hss_db };
	struct hss *hss = hss_open(&hc, err, sizeof(err));
	CHECK_MSG(hss != NULL, "%s", err);
	CHECK_MSG(hss_provision_start(hss, sock, err, sizeof(err)) == 0, "%s", err);

	CHECK_INT(t_store_conf(dir, "sho.db", sho_db, sizeof(sho_db)), 0);
	struct sho_config cfg = { .db_path = sho_db, .sho_id = "SHO-B", .mcc = "001", .mnc = "02",
				  .msin_first = "0000000001", .msin_last = "0000999999", .op = op,
				  .apn = "internet.sho-b", .roaming = "any", .amf = { 0x80, 0x00 }, .ind_bits = 5,
				  .pva_ca = om_ca_cert(pva), .ocsp_url = url, .hss_socket = sock };
	struct sho *s = NULL;
	CHECK_INT(sho_open(&s, &cfg, why, sizeof(why)), 0);
	CHECK_INT(sho_owner_add(s, "fleet", "bulk owner secret"), 0);

	t0 = now_s();
	int rc = sho_register(s, "fleet", "bulk owner secret", devs, n, 0, rep);
	double took = now_s() - t0;
	CHECK_INT(rc, 0);
	size_t committed = 0;
	for (size_t i = 0; i < n; i++)
		committed += rep[i].committed;
	CHECK_INT(committed, n);
	CHECK_INT(count_subscribers(hss_db), (long)n);
	printf("sho_register: %zu devices in one call: %.2f s (%.2f ms/device, %.0f devices/s)\n", n, took,
	       took * 1000 / (double)n, (double)n / took);

	t0 = now_s();
	CHECK_INT(sho_register(s, "fleet", "bulk owner secret", devs, n, 0, rep), 0);
	printf("sho_register: the same %zu again (idempotent): %.2f s\n", n, now_s() - t0);

	sho_close(s);
	hss_provision_stop();
	hss_close(hss);
	kit_ocsp_stop(ocsp);
	sho_devices_free(devs, n);
	free(rep);
	om_ca_free(pva);
	EVP_PKEY_free(ca_key);
	kit_rm_rf(dir);
	return check_done();
}
