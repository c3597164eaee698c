/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issue 20, real daemons on loopback, S6a over TLS: two openmcim-hss (the
 * home HSS of 001/01 and another operator's, 001/02) and openmcim-vno,
 * devices in this process. The HSS tells the MME it recorded at ULR:
 *
 *   - a subscriber deleted (its IMSI released) or barred: Cancel-Location,
 *     SUBSCRIPTION_WITHDRAWAL; the VNO detaches the device (Detach Request,
 *     re-attach not required), its bearer and context go, no PUR follows;
 *   - ULR from another MME: Cancel-Location, MME_UPDATE_PROCEDURE; the
 *     context goes without a word to the device;
 *   - a changed profile: Insert-Subscriber-Data, answered 2001;
 *   - a Cancel-Location from an HSS that does not serve the IMSI (the other
 *     operator's, authenticated but not the IMSI's home): 5003, and the
 *     device keeps its attach and its bearer.
 */
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openmcim/hex.h>
#include <openmcim/nas.h>
#include <openmcim/nas_sec.h>
#include <openmcim/radio.h>
#include <openmcim/sqn.h>

#include "admin.h"
#include "check.h"
#include "daemon_util.h"
#include "hss.h"
#include "pki_fixture.h"
#include "s6a.h"
#include "vno_testutil.h"

#define HSS1 "hss.test.lab"
#define HSS2 "hss2.test.lab"
#define MME "mme.test.lab"
#define MME2 "mme2.test.lab"
#define REALM1 "epc.mnc001.mcc001.3gppnetwork.org"
#define REALM2 "epc.mnc002.mcc001.3gppnetwork.org"
#define IMSI_A "001010000000001" /* released: deleted at its HSS */
#define IMSI_B "001010000000002" /* taken over by another MME */
#define IMSI_C "001010000000003" /* barred */
#define T_K "465b5ce8b199b49faa5f0a2ee238a6bc"
#define T_OPC "cd63cb71954a9f4e48a5994e37a02baf"
#define TIMEOUT 8000

static char dir[] = "/tmp/om_vno_cancel_XXXXXX";
static char cli[600], hss_log[2][600], vno_log[600], sock[2][600];
static uint16_t radio_port, echo_port;
static const uint8_t plmn_vno[3] = { 0x99, 0xf9, 0x07 }; /* 999-70, TS 24.008 10.5.1.13 */

static void emit_none(void *ctx, const char *line)
{
	(void)ctx;
	(void)line;
}

static void add_subscribers(const char *db, int with_location)
{
	static const char *const imsis[] = { IMSI_A, IMSI_B, IMSI_C };
	char err[256] = "", line[256];
	struct hss_config cfg = { .db_path = db, .max_vectors = 5, .sqn_reserve = 16 };
	struct hss *h = hss_open(&cfg, err, sizeof(err));
	CHECK_MSG(h != NULL, "%s", err);
	if (!h)
		return;
	for (size_t i = 0; i < 3; i++) {
		snprintf(line, sizeof(line), "add %s k=" T_K " opc=" T_OPC " amf=8000 apn=provisioning roaming=any",
			 imsis[i]);
		CHECK_INT(hss_admin_exec(h, line, emit_none, NULL, err, sizeof(err)), 0);
	}
	if (with_location) {
		/* the other operator's HSS believes our MME serves IMSI_A (as after a ULR) */
		struct hss_subscription sub;
		CHECK_INT(hss_update_location(h, IMSI_A, plmn_vno, MME, &sub), HSS_OK);
	}
	hss_close(h);
}

static void hss_conf(int i, unsigned port, char *path, size_t cap)
{
	char text[2048];
	const char *id = i ? HSS2 : HSS1;
	snprintf(path, cap, "%s/hss%d.conf", dir, i);
	snprintf(text, sizeof(text),
		 "[hss]\ndb = %s/hss%d.db\nprovision_socket = %s\nrun_dir = %s/run%d\nlog_level = info\n"
		 "[diameter]\nidentity = %s\nrealm = %s\nlisten = 127.0.0.1\nport = %u\npeers = " MME ", " MME2 "\n"
		 "tls_cert = %s/%s.pem\ntls_key = %s/%s.key\ntls_ca = %s/ca.pem\n",
		 dir, i, sock[i], dir, i, id, i ? REALM2 : REALM1, port, dir, id, dir, id, dir);
	du_write_file(path, text);
}

/* `openmcim hss-admin` at HSS i: 0 or its exit status. */
static int admin(int i, const char *verb, const char *imsi, const char *word)
{
	char cmd[2048];
	snprintf(cmd, sizeof(cmd), "'%s' hss-admin --socket '%s' %s %s %s >/dev/null 2>&1", cli, sock[i], verb, imsi,
		 word ? word : "");
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Lines of log holding needle, once at least `least` do (or 5 s passed). */
static int log_count(const char *log, const char *needle, int least)
{
	return test_log_count(log, needle, least, 5000);
}

static void device_init(struct test_usim *u)
{
	(void)test_usim_init(u, T_K, T_OPC);
}

static int attach(struct om_radio_link *l, const char *imsi, struct test_usim *u, struct om_radio_attach_result *r)
{
	return test_attach(l, radio_port, imsi, u, TIMEOUT, r);
}

/* 1 when the bearer still carries the device's traffic to the echo server. */
static int bearer_works(const struct om_radio_attach_result *r)
{
	char target[32];
	int status = 0;
	snprintf(target, sizeof(target), "127.0.0.1:%u", echo_port);
	int fd = test_http_connect(r->bearer.proxy_port, r->bearer.key, target, &status);
	int ok = fd >= 0 && status == 200 && test_echo_through(fd, "the device's own traffic");
	if (fd >= 0)
		close(fd);
	return ok;
}

/*
 * What the device receives until the VNO closes its link: the number of
 * Detach Requests (network to UE, re-attach not required) and whether a
 * LAB bearer release came. -1 when the link stayed open for TIMEOUT.
 */
static int until_closed(struct om_radio_link *l, int *released)
{
	struct om_radio_frame f;
	int detach = 0, rc;
	*released = 0;
	while ((rc = om_radio_recv(l, &f, TIMEOUT)) == 0) {
		struct om_nas_msg m;
		uint8_t plain[OM_NAS_MAX_LEN], sht = 0;
		if (f.type == OM_RADIO_LAB_RELEASED)
			*released = 1;
		if (f.type != OM_RADIO_NAS)
			continue;
		/* after the SMC only a message protected with the attach's context counts */
		int n = om_nas_unprotect(&l->nas, plain, sizeof(plain), &sht, f.payload, f.len);
		if (n > 0 && om_nas_decode(&m, OM_NAS_DOWNLINK, plain, (size_t)n) == 0 &&
		    m.kind == OM_NAS_DETACH_REQUEST_NET && m.u.detach_request_net.detach_type == 2)
			detach++;
	}
	return rc == OM_ERADIO_CLOSED ? detach : -1;
}

/* The other operator's HSS, authenticated, cancels an IMSI it does not serve: refused, nothing changes. */
static void cancel_from_another_hss_refused(struct om_radio_link *l, const struct om_radio_attach_result *r)
{
	struct om_radio_frame f;
	CHECK_INT(admin(1, "delete", IMSI_A, NULL), 0);
	CHECK_INT(log_count(hss_log[1], "clr imsi=" IMSI_A " mme=" MME " type=withdrawal", 1), 1);
	CHECK_INT(log_count(hss_log[1], "cla imsi=" IMSI_A " mme=" MME " result=refused code=5003", 1), 1);
	CHECK_INT(log_count(vno_log, "clr imsi=" IMSI_A " origin=" HSS2 " result=refused code=5003", 1), 1);
	CHECK_MSG(om_radio_recv(l, &f, 1000) == OM_ERADIO_TIMEOUT, "the device got frame %u after a foreign CLR",
		  f.type);
	CHECK_MSG(bearer_works(r), "the bearer stopped after a foreign CLR");
	CHECK_INT(log_count(vno_log, "context-deleted imsi=" IMSI_A, 0), 0);
}

/* A profile change at the home HSS: Insert-Subscriber-Data reaches the VNO and is answered 2001. */
static void profile_change_inserts_subscriber_data(const struct om_radio_attach_result *r)
{
	CHECK_INT(admin(0, "change", IMSI_A, "apn=provisioning,internet"), 0);
	CHECK_INT(log_count(hss_log[0], "idr imsi=" IMSI_A " mme=" MME " type=profile", 1), 1);
	CHECK_INT(log_count(vno_log, "idr imsi=" IMSI_A " origin=" HSS1 " apns=2 default=1 result=ok", 1), 1);
	CHECK_INT(log_count(hss_log[0], "ida imsi=" IMSI_A " mme=" MME " result=ok code=2001", 1), 1);
	CHECK_MSG(bearer_works(r), "the bearer stopped after an Insert-Subscriber-Data");
}

/* The IMSI released at its home HSS: CLR, the VNO detaches the device, no PUR. */
static void released_imsi_detaches_the_device(struct om_radio_link *l, const struct om_radio_attach_result *r)
{
	int released = 0;
	CHECK_INT(admin(0, "delete", IMSI_A, NULL), 0);
	CHECK_INT(until_closed(l, &released), 1);
	CHECK_MSG(released, "no bearer release frame");
	CHECK_INT(log_count(hss_log[0], "clr imsi=" IMSI_A " mme=" MME " type=withdrawal", 1), 1);
	CHECK_INT(log_count(hss_log[0], "cla imsi=" IMSI_A " mme=" MME " result=ok code=2001", 1), 1);
	CHECK_INT(log_count(vno_log, "clr imsi=" IMSI_A " origin=" HSS1 " type=2 context=yes action=detach", 1), 1);
	CHECK_INT(log_count(vno_log, "context-deleted imsi=" IMSI_A " reason=cancel-location detach=1", 1), 1);
	CHECK_INT(log_count(vno_log, "pur imsi=" IMSI_A, 0), 0);
	CHECK_MSG(!bearer_works(r), "the released IMSI's bearer still carries traffic");
}

/* Barred (suspend): the same Cancel-Location, and the HSS forgets the serving MME. */
static void barred_imsi_detaches_the_device(void)
{
	struct om_radio_link l;
	struct test_usim u;
	struct om_radio_attach_result r;
	int released = 0;
	device_init(&u);
	CHECK_INT(attach(&l, IMSI_C, &u, &r), 0);
	CHECK_INT(admin(0, "suspend", IMSI_C, NULL), 0);
	CHECK_INT(until_closed(&l, &released), 1);
	CHECK_INT(log_count(vno_log, "context-deleted imsi=" IMSI_C " reason=cancel-location detach=1", 1), 1);
	CHECK_INT(log_count(hss_log[0], "cla imsi=" IMSI_C " mme=" MME " result=ok code=2001", 1), 1);
	/* attaching again: the HSS refuses the barred subscriber */
	om_radio_link_close(&l);
	CHECK(attach(&l, IMSI_C, &u, &r) != 0);
	om_radio_link_close(&l);
	om_milenage_clear(&u.m);
}

/* Another MME (this process, over TLS) sends ULR for IMSI_B: CLR MME_UPDATE, the context goes silently. */
static void update_by_another_mme_deletes_the_context(void)
{
	struct om_radio_link l;
	struct test_usim u;
	struct om_radio_attach_result r;
	struct om_s6a_subscription sub;
	struct om_s6a_answer ans;
	int released = 0;
	device_init(&u);
	CHECK_INT(attach(&l, IMSI_B, &u, &r), 0);
	CHECK_INT(om_s6a_ulr(REALM1, IMSI_B, plmn_vno, 5000, &sub, &ans), 0);
	CHECK_INT(ans.result_code, 2001);
	CHECK_INT(until_closed(&l, &released), 0); /* no Detach Request: the device is another MME's now */
	CHECK_INT(log_count(hss_log[0], "clr imsi=" IMSI_B " mme=" MME " type=mme-update", 1), 1);
	CHECK_INT(log_count(vno_log, "clr imsi=" IMSI_B " origin=" HSS1 " type=0 context=yes action=delete", 1), 1);
	CHECK_INT(log_count(vno_log, "context-deleted imsi=" IMSI_B " reason=cancel-location detach=0", 1), 1);
	CHECK_INT(log_count(vno_log, "pur imsi=" IMSI_B, 0), 0);
	om_radio_link_close(&l);
	om_milenage_clear(&u.m);
}

/* This process as MME2 on S6a over TLS towards HSS1. */
static int start_mme2(unsigned hss_port)
{
	char path[600], cert[600], key[600], ca[600], err[256] = "";
	snprintf(path, sizeof(path), "%s/mme2-fd.conf", dir);
	snprintf(cert, sizeof(cert), "%s/" MME2 ".pem", dir);
	snprintf(key, sizeof(key), "%s/" MME2 ".key", dir);
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	const struct om_s6a_fdconf fc = { .identity = MME2, .realm = "other.lab", .listen = "127.0.0.1",
					  .dict_dir = du_fd_ext_dir(), .tls_cert = cert, .tls_key = key, .tls_ca = ca };
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	int rc = om_s6a_conf_write(f, &fc);
	om_s6a_conf_peer(f, HSS1, "127.0.0.1", hss_port, 0);
	if (fclose(f) || rc)
		return -1;
	rc = om_s6a_start(path, err, sizeof(err));
	CHECK_MSG(rc == 0, "%s", err);
	return rc ? -1 : om_s6a_wait_peer(HSS1, 15000);
}

int main(void)
{
	struct test_echo echo;
	char text[4096], conf[2][600], vno_conf[600], hss_bin[600], vno_bin[700];
	pid_t hss[2] = { -1, -1 }, vno = -1;
	const char *env = getenv("OM_CLI");
	CHECK_MSG(env != NULL, "OM_CLI not set (run through ctest)");
	if (!env || !mkdtemp(dir))
		return check_done();
	snprintf(cli, sizeof(cli), "%s", env);
	snprintf(hss_bin, sizeof(hss_bin), "%s", env);
	*strrchr(hss_bin, '/') = '\0';
	snprintf(vno_bin, sizeof(vno_bin), "%s/openmcim-vno", hss_bin);
	strcat(hss_bin, "/openmcim-hss");

	struct om_ca *ca = pf_make_ca(dir, "cancel test Diameter CA", "ca.pem");
	CHECK(ca != NULL);
	static const char *const ids[] = { HSS1, HSS2, MME, MME2 };
	for (size_t i = 0; ca && i < 4; i++)
		CHECK_INT(pf_issue_tls(ca, dir, ids[i], ids[i]), 0);
	om_ca_free(ca);
	CHECK_INT(test_echo_start(&echo), 0);
	echo_port = echo.port;
	unsigned port[2] = { test_free_port(), test_free_port() };
	radio_port = test_free_port();
	uint16_t vno_dia = test_free_port();
	for (int i = 0; i < 2; i++) {
		snprintf(sock[i], sizeof(sock[i]), "%s/prov%d/hss.sock", dir, i);
		snprintf(hss_log[i], sizeof(hss_log[i]), "%s/hss%d.log", dir, i);
		snprintf(text, sizeof(text), "%s/hss%d.db", dir, i);
		add_subscribers(text, i == 1);
		hss_conf(i, port[i], conf[i], sizeof(conf[i]));
		hss[i] = du_spawn_daemon(hss_bin, conf[i], hss_log[i], 0);
		CHECK(hss[i] > 0);
	}
	snprintf(vno_conf, sizeof(vno_conf), "%s/vno.conf", dir);
	snprintf(vno_log, sizeof(vno_log), "%s/vno.log", dir);
	snprintf(text, sizeof(text),
		 "[vno]\nradio_listen = 127.0.0.1:%u\nplmn = 999-70\nip_pool = 10.45.0.0/24\nlog_level = info\n"
		 "run_dir = %s/vno\n"
		 "[diameter]\nidentity = " MME "\nrealm = vno.lab\nlisten = 127.0.0.1:%u\ntimeout_ms = 3000\n"
		 "tls_cert = %s/" MME ".pem\ntls_key = %s/" MME ".key\ntls_ca = %s/ca.pem\n"
		 "[home.00101]\npeer = " HSS1 "\naddress = 127.0.0.1:%u\n"
		 "[home.00102]\npeer = " HSS2 "\naddress = 127.0.0.1:%u\n"
		 "[apn.provisioning]\nallow = 127.0.0.1:%u\n",
		 radio_port, dir, vno_dia, dir, dir, dir, port[0], port[1], echo.port);
	du_write_file(vno_conf, text);
	vno = du_spawn_daemon(vno_bin, vno_conf, vno_log, 0);
	int up = test_wait_radio(radio_port, 300) && log_count(vno_log, "diameter-peer-up peer=" HSS2, 1) == 1 &&
		 log_count(vno_log, "diameter-peer-up peer=" HSS1, 1) == 1;
	CHECK_MSG(up, "the VNO did not come up with both HSSes");
	if (up && start_mme2(port[0]) == 0) {
		struct om_radio_link l;
		struct test_usim u;
		struct om_radio_attach_result r;
		device_init(&u);
		CHECK_INT(attach(&l, IMSI_A, &u, &r), 0);
		CHECK(bearer_works(&r));
		cancel_from_another_hss_refused(&l, &r);
		profile_change_inserts_subscriber_data(&r);
		released_imsi_detaches_the_device(&l, &r);
		om_radio_link_close(&l);
		om_milenage_clear(&u.m);
		barred_imsi_detaches_the_device();
		update_by_another_mme_deletes_the_context();
	}
	CHECK_INT(du_term_wait(vno, 10000), 0);
	for (int i = 0; i < 2; i++)
		CHECK_INT(du_term_wait(hss[i], 10000), 0);
	test_echo_stop(&echo);
	if (check_failures()) {
		for (int i = 0; i < 2; i++) {
			snprintf(text, sizeof(text), "tail -n 30 '%s' >&2", hss_log[i]);
			(void)!system(text);
		}
		snprintf(text, sizeof(text), "tail -n 40 '%s' >&2", vno_log);
		(void)!system(text);
		fprintf(stderr, "(kept %s)\n", dir);
	} else {
		du_rm_rf(dir);
	}
	om_s6a_exit(check_done()); /* freeDiameter's teardown is not run: see om_s6a_stop() */
}
