/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issue 5, the push (TR 33.812 B.2.3.3, WAP push stand-in): real
 * openmcim-hss and openmcim-vno on loopback, a device in this process
 * (radio_ue helper + usim.h), curl as the DRF. A POST /push/<IMSI> reaches
 * the attached device as exactly the bytes posted (202); 404 for an IMSI
 * with no attached device, 400 malformed IMSI or empty body, 413 too large,
 * 415 another type, 405 another method; the document never reaches the log.
 * Then the endpoint in this process with mutual TLS: a client without a
 * certificate, or with a stranger's, is refused. And the [push] keys.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openmcim/hex.h>
#include <openmcim/pki.h>
#include <openmcim/radio.h>
#include <openmcim/sqn.h>

#include "check.h"
#include "daemon_util.h"
#include "log.h"
#include "mme.h"
#include "pki_fixture.h"
#include "vno_push.h"
#include "vno_testutil.h"

#define T_K "465b5ce8b199b49faa5f0a2ee238a6bc"
#define T_OPC "cd63cb71954a9f4e48a5994e37a02baf"
#define PCID "001010000000001"
#define PCID2 "001010000000002" /* known to the HSS, never attached here */
#define MARKER "secret-marker-in-the-document"
#define TIMEOUT 8000

static char dir[64], cli[600];
static uint16_t radio_port, push_port;

/* Start argv with stdout and stderr into log (NULL: a pipe read into out); returns the pid or -1. */
static pid_t spawn(const char *const argv[], const char *log, int *pipe_rd)
{
	int p[2] = {-1, -1};
	if (pipe_rd && pipe(p) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		int fd = pipe_rd ? p[1] : open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, 2);
			dup2(fd, 1);
		}
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (pipe_rd) {
		close(p[1]);
		*pipe_rd = p[0];
	}
	return pid;
}

/* Run argv to its end, stdout and stderr into out (at most cap-1 bytes). Exit status or -1. */
static int run(const char *const argv[], char *out, size_t cap)
{
	int rd = -1;
	pid_t pid = spawn(argv, NULL, &rd);
	size_t len = 0;
	ssize_t r;
	if (pid < 0)
		return -1;
	while (len + 1 < cap && (r = read(rd, out + len, cap - 1 - len)) > 0)
		len += (size_t)r;
	out[len] = '\0';
	close(rd);
	int st = 0;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t w = fwrite(data, 1, len, f);
	return fclose(f) == 0 && w == len ? 0 : -1;
}

/*
 * curl as the DRF: method, URL, the body from file body (NULL: none), type
 * (NULL: none), extra arguments. The HTTP status, or -(curl's exit status)
 * when no answer came (a refused TLS handshake).
 */
static int curl(const char *method, const char *url, const char *body, const char *type, const char *const *extra)
{
	char data[300], hdr[160], out[64];
	const char *argv[40];
	int n = 0;
	argv[n++] = "curl";
	argv[n++] = "-s";
	argv[n++] = "-o";
	argv[n++] = "/dev/null";
	argv[n++] = "-w";
	argv[n++] = "%{http_code}";
	argv[n++] = "--max-time";
	argv[n++] = "10";
	argv[n++] = "-X";
	argv[n++] = method;
	if (body) {
		snprintf(data, sizeof(data), "@%s", body);
		argv[n++] = "--data-binary";
		argv[n++] = data;
	}
	snprintf(hdr, sizeof(hdr), "Content-Type:%s%s", type ? " " : "", type ? type : "");
	argv[n++] = "-H";
	argv[n++] = hdr;
	for (int i = 0; extra && extra[i] && n < 38; i++)
		argv[n++] = extra[i];
	argv[n++] = url;
	argv[n] = NULL;
	int st = run(argv, out, sizeof(out));
	return st == 0 ? atoi(out) : -(st ? st : 1000);
}

/* A document of len octets: XML-looking, with MARKER inside, the rest a pattern. */
static void make_doc(uint8_t *doc, size_t len)
{
	static const char head[] = "<?xml version=\"1.0\"?><wap-provisioningdoc><!-- " MARKER " -->";
	for (size_t i = 0; i < len; i++)
		doc[i] = (uint8_t)('A' + i % 26);
	memcpy(doc, head, len < sizeof(head) - 1 ? len : sizeof(head) - 1);
}

struct got {
	unsigned n;
	size_t len;
	uint8_t doc[OM_RADIO_PUSH_MAX];
};

static int on_push(void *arg, const uint8_t *doc, size_t len)
{
	struct got *g = arg;
	g->n++;
	g->len = len;
	memcpy(g->doc, doc, len);
	return 0;
}

static int post_file(const char *imsi, const uint8_t *doc, size_t len, const char *type)
{
	char path[128], url[128];
	snprintf(path, sizeof(path), "%s/doc.bin", dir);
	CHECK_INT(write_file(path, doc, len), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/push/%s", push_port, imsi);
	return curl("POST", url, path, type, NULL);
}

static void pushes_reach_the_attached_device(void)
{
	static uint8_t doc[OM_RADIO_PUSH_MAX + 1];
	static struct got got;
	struct om_radio_link l;
	struct test_usim u;
	struct om_radio_attach_result r;
	uint8_t k[16], o[16];
	char url[128];
	memset(&u, 0, sizeof(u));
	CHECK_INT(om_hex_decode(k, 16, T_K), 0);
	CHECK_INT(om_hex_decode(o, 16, T_OPC), 0);
	CHECK_INT(om_milenage_init(&u.m, k, o), 0);
	CHECK_INT(om_usim_sqn_init(&u.sqn, OM_IND_BITS_DEFAULT, OM_USIM_DELTA_DEFAULT, 0), 0);
	CHECK_INT(om_radio_link_connect(&l, "127.0.0.1", radio_port), 0);
	om_radio_ue_on_push(&l, on_push, &got);
	CHECK_INT(om_radio_ue_attach(&l, PCID, "provisioning", test_usim_aka, &u, TIMEOUT, &r), 0);
	const char *type = VNO_PUSH_CONTENT_TYPE;

	/* A bootstrap-sized document: 202, and the device has exactly those bytes. */
	make_doc(doc, 3800);
	CHECK_INT(post_file(PCID, doc, 3800, type), 202);
	CHECK_INT(om_radio_ue_wait_push(&l, TIMEOUT), 0);
	CHECK_INT(got.n, 1);
	CHECK_INT(got.len, 3800);
	CHECK_MEM(got.doc, doc, 3800);
	/* The largest one, with a parameter on the type. */
	make_doc(doc, OM_RADIO_PUSH_MAX);
	CHECK_INT(post_file(PCID, doc, OM_RADIO_PUSH_MAX, VNO_PUSH_CONTENT_TYPE "; charset=utf-8"), 202);
	CHECK_INT(om_radio_ue_wait_push(&l, TIMEOUT), 0);
	CHECK_INT(got.len, OM_RADIO_PUSH_MAX);
	CHECK_MEM(got.doc, doc, OM_RADIO_PUSH_MAX);

	/* Refusals; none reaches the device. */
	CHECK_INT(post_file(PCID2, doc, 100, type), 404); /* known IMSI, not attached */
	CHECK_INT(post_file("001019999999999", doc, 100, type), 404);
	CHECK_INT(post_file("00101abc", doc, 100, type), 400);
	CHECK_INT(post_file("0010100000000011", doc, 100, type), 400); /* 16 digits */
	CHECK_INT(post_file("12345", doc, 100, type), 400);
	CHECK_INT(post_file("", doc, 100, type), 400);
	CHECK_INT(post_file(PCID, doc, 0, type), 400);
	CHECK_INT(post_file(PCID, doc, OM_RADIO_PUSH_MAX + 1, type), 413);
	CHECK_INT(post_file(PCID, doc, 100, "text/plain"), 415);
	CHECK_INT(post_file(PCID, doc, 100, NULL), 415);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/push/%s", push_port, PCID);
	CHECK_INT(curl("GET", url, NULL, NULL, NULL), 405);
	CHECK_INT(curl("PUT", url, NULL, type, NULL), 405);
	CHECK_INT(om_radio_ue_wait_push(&l, 200), OM_ERADIO_TIMEOUT);
	CHECK_INT(got.n, 2);

	/* Once detached the IMSI has no device any more. */
	CHECK_INT(om_radio_ue_detach(&l, PCID, TIMEOUT), 0);
	CHECK_INT(post_file(PCID, doc, 100, type), 404);
	om_radio_link_close(&l);
	om_milenage_clear(&u.m);
}

/* ---- mutual TLS, the endpoint in this process ------------------------------ */

static void tls_refuses_clients_without_a_known_certificate(void)
{
	static struct vno_conf conf;
	struct mme mme;
	struct mme_s6a_ops ops = {0}; /* never called: no device attaches here */
	struct om_ca *ca = pf_make_ca(dir, "Operators root", "ca.pem");
	struct om_ca *rogue = pf_make_ca(dir, "Rogue root", "rogue.pem");
	CHECK(ca && rogue);
	CHECK_INT(pf_issue_tls(ca, dir, "vno-push", "push.vno.lab"), 0);
	CHECK_INT(pf_issue_tls(ca, dir, "drf-ro", NULL), 0);
	CHECK_INT(pf_issue_tls(ca, dir, "drf-sho-a", NULL), 0); /* another operator, same trusted root */
	CHECK_INT(pf_issue_tls(rogue, dir, "intruder", NULL), 0);
	memset(&conf, 0, sizeof(conf));
	/* the RO's DRF serves the PCIDs (001-01); 001-02 is routed but names no DRF */
	conf.n_homes = 2;
	snprintf(conf.homes[0].prefix, sizeof(conf.homes[0].prefix), "00101");
	snprintf(conf.homes[0].push_cert, sizeof(conf.homes[0].push_cert), "%s/drf-ro.pem", dir);
	snprintf(conf.homes[1].prefix, sizeof(conf.homes[1].prefix), "00102");
	snprintf(conf.plmn.mcc, sizeof(conf.plmn.mcc), "999");
	snprintf(conf.plmn.mnc, sizeof(conf.plmn.mnc), "70");
	conf.max_devices = 4;
	conf.pool_size = 4;
	conf.push = true;
	snprintf(conf.push_addr, sizeof(conf.push_addr), "127.0.0.1");
	snprintf(conf.push_tls_cert, sizeof(conf.push_tls_cert), "%s/vno-push.pem", dir);
	snprintf(conf.push_tls_key, sizeof(conf.push_tls_key), "%s/vno-push.key", dir);
	snprintf(conf.push_client_ca, sizeof(conf.push_client_ca), "%s/ca.pem", dir);
	CHECK_INT(mme_init(&mme, &conf, &ops), 0);
	struct vno_push *p = vno_push_start(&mme, &conf);
	CHECK(p != NULL);
	if (p) {
		char url[128], resolve[64], cafile[300], body[300], cc[300], ck[300], ic[300], ik[300];
		static const uint8_t doc[] = "<wap-provisioningdoc/>";
		snprintf(url, sizeof(url), "https://push.vno.lab:%u/push/%s", vno_push_port(p), PCID);
		snprintf(resolve, sizeof(resolve), "push.vno.lab:%u:127.0.0.1", vno_push_port(p));
		snprintf(cafile, sizeof(cafile), "%s/ca.pem", dir);
		snprintf(body, sizeof(body), "%s/tls-doc.bin", dir);
		snprintf(cc, sizeof(cc), "%s/drf-ro.pem", dir);
		snprintf(ck, sizeof(ck), "%s/drf-ro.key", dir);
		snprintf(ic, sizeof(ic), "%s/intruder.pem", dir);
		snprintf(ik, sizeof(ik), "%s/intruder.key", dir);
		CHECK_INT(write_file(body, doc, sizeof(doc) - 1), 0);
		const char *with[] = {"--cacert", cafile, "--resolve", resolve, "--cert", cc, "--key", ck, NULL};
		const char *without[] = {"--cacert", cafile, "--resolve", resolve, NULL};
		const char *stranger[] = {"--cacert", cafile, "--resolve", resolve, "--cert", ic, "--key", ik, NULL};
		char oc[300], ok[300], url_a[128];
		snprintf(oc, sizeof(oc), "%s/drf-sho-a.pem", dir);
		snprintf(ok, sizeof(ok), "%s/drf-sho-a.key", dir);
		snprintf(url_a, sizeof(url_a), "https://push.vno.lab:%u/push/001020000000001", vno_push_port(p));
		const char *other_op[] = {"--cacert", cafile, "--resolve", resolve, "--cert", oc, "--key", ok, NULL};
		/* A known DRF gets through to the registry: nobody attached, 404. */
		CHECK_INT(curl("POST", url, body, VNO_PUSH_CONTENT_TYPE, with), 404);
		CHECK(curl("POST", url, body, VNO_PUSH_CONTENT_TYPE, without) < 0);
		CHECK(curl("POST", url, body, VNO_PUSH_CONTENT_TYPE, stranger) < 0);
		/* Issue 12: a trusted operator pushing to identities it does not serve, 403 before the registry. */
		CHECK_INT(curl("POST", url, body, VNO_PUSH_CONTENT_TYPE, other_op), 403);
		CHECK_INT(curl("POST", url_a, body, VNO_PUSH_CONTENT_TYPE, with), 403);  /* home without push_cert */
		CHECK_INT(curl("POST", url_a, body, VNO_PUSH_CONTENT_TYPE, other_op), 403);
		CHECK_INT(curl("POST", url, body, VNO_PUSH_CONTENT_TYPE, with), 404);
	}
	vno_push_stop(p);
	mme_free(&mme);
	om_ca_free(ca);
	om_ca_free(rogue);
}

/* ---- [push] in vno.conf ------------------------------------------------------ */

/* Load the minimal file plus extra as vno.conf: vno_conf_load's result, its message in err. */
static int load_with(struct vno_conf *c, const char *extra, char *err, size_t cap)
{
	char path[128], text[1024];
	snprintf(path, sizeof(path), "%s/conf-case.conf", dir);
	snprintf(text, sizeof(text),
		 "[vno]\nradio_listen = 127.0.0.1:0\nplmn = 999-70\nip_pool = 10.45.0.0/24\n"
		 "[diameter]\nidentity = mme.vno.lab\nrealm = vno.lab\nlisten = 127.0.0.1:3870\ntls = off\n"
		 "[home.00101]\npeer = hss.ro.lab\naddress = 127.0.0.1:3868\n%s",
		 extra);
	CHECK_INT(write_file(path, text, strlen(text)), 0);
	err[0] = '\0';
	return vno_conf_load(c, path, err, cap);
}

static void push_conf_mistakes_name_themselves(void)
{
	static struct vno_conf c;
	char err[512], path[512];
	CHECK_INT(load_with(&c, "", err, sizeof(err)), 0);
	CHECK(!c.push);
	CHECK_INT(load_with(&c, "[push]\nport = 0\n", err, sizeof(err)), 0);
	CHECK(c.push && c.push_port == 0 && !strcmp(c.push_addr, "127.0.0.1") && !c.push_tls_cert[0]);
	CHECK_INT(load_with(&c, "[push]\nlisten = 127.0.0.1\n", err, sizeof(err)), -1);
	CHECK_MSG(strstr(err, "[push] port") != NULL, "%s", err);
	CHECK_INT(load_with(&c, "[push]\nport = 8445\ntls_cert = /x.pem\n", err, sizeof(err)), -1);
	CHECK_MSG(strstr(err, "tls_cert and tls_key") != NULL, "%s", err);
	CHECK_INT(load_with(&c, "[push]\nport = 8445\nclient_ca = /ca.pem\n", err, sizeof(err)), -1);
	CHECK_MSG(strstr(err, "client_ca") != NULL, "%s", err);
	CHECK_INT(load_with(&c, "[push]\nport = 70000\n", err, sizeof(err)), -1);
	CHECK_INT(load_with(&c, "[push]\nport = 8445\nlisten = localhost\n", err, sizeof(err)), -1);
	CHECK_MSG(strstr(err, "[push] listen") != NULL, "%s", err);
	CHECK_INT(load_with(&c, "[push]\nport = 8445\nsecret = 1\n", err, sizeof(err)), -1);
	CHECK_INT(load_with(&c, "push_cert = /drf.pem\n", err, sizeof(err)), 0); /* into [home.00101] */
	CHECK(c.n_homes == 1 && !strcmp(c.homes[0].push_cert, "/drf.pem"));
	/* The example configures the endpoint with mutual TLS. */
	const char *src = getenv("OM_SOURCE_DIR");
	snprintf(path, sizeof(path), "%s/conf/vno.conf.example", src ? src : "..");
	CHECK_MSG(vno_conf_load(&c, path, err, sizeof(err)) == 0, "%s", err);
	CHECK(c.push && c.push_port == 8090 && c.push_tls_cert[0] && c.push_tls_key[0] && c.push_client_ca[0]);
}

/* ---- the daemons ------------------------------------------------------------ */

static int admin(const char *imsi)
{
	char sock[128], out[512];
	snprintf(sock, sizeof(sock), "%s/prov/hss.sock", dir);
	const char *argv[] = {cli, "hss-admin", "--socket", sock, "add", imsi, "k=" T_K, "opc=" T_OPC,
			      "amf=8000", "apn=provisioning", "roaming=any", NULL};
	return run(argv, out, sizeof(out));
}

static void log_names_pushes_not_documents(const char *vno_log)
{
	size_t len = 0;
	char *s = (char *)check_slurp(vno_log, &len);
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_MSG(strstr(s, "push-listen") && strstr(s, "tls=none"), "%s", s);
	CHECK_MSG(strstr(s, "imsi=" PCID " size=3800 result=delivered status=202") != NULL, "%s", s);
	CHECK(strstr(s, "imsi=" PCID2 " size=100 result=not-attached status=404") != NULL);
	CHECK(strstr(s, "result=malformed-imsi status=400") != NULL);
	CHECK(strstr(s, "result=too-large status=413") != NULL);
	CHECK_MSG(!strstr(s, MARKER) && !strstr(s, "wap-provisioningdoc"), "the document reached the log");
	free(s);
}

int main(void)
{
	char hss_conf[128], vno_conf[128], hss_log[128], vno_log[128], bin_dir[512], hss_bin[600], vno_bin[600],
		text[2048], path[256];
	pid_t hss = -1, vno = -1;
	signal(SIGPIPE, SIG_IGN);
	om_log_init("vno_push_test", OM_LOG_INFO);
	const char *env = getenv("OM_CLI");
	CHECK_MSG(env != NULL, "OM_CLI not set (run through ctest)");
	CHECK_MSG(system("curl --version >/dev/null 2>&1") == 0, "curl is missing: apt-get install -y curl");
	if (!env || check_failures())
		return check_done();
	snprintf(cli, sizeof(cli), "%s", env);
	snprintf(bin_dir, sizeof(bin_dir), "%s", env);
	*strrchr(bin_dir, '/') = '\0';
	snprintf(vno_bin, sizeof(vno_bin), "%s/openmcim-vno", bin_dir);
	snprintf(hss_bin, sizeof(hss_bin), "%s/openmcim-hss", bin_dir);
	snprintf(dir, sizeof(dir), "/tmp/om-vno-push-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	uint16_t hss_port = test_free_port(), vno_dia = test_free_port();
	radio_port = test_free_port();
	push_port = test_free_port();
	CHECK(hss_port && vno_dia && radio_port && push_port && hss_port != vno_dia && vno_dia != radio_port &&
	      radio_port != push_port && push_port != hss_port && push_port != vno_dia);

	snprintf(hss_conf, sizeof(hss_conf), "%s/hss.conf", dir);
	snprintf(text, sizeof(text),
		 "[hss]\ndb = %s/hss.db\nprovision_socket = %s/prov/hss.sock\nrun_dir = %s/hss\n"
		 "[diameter]\nidentity = hss.ro.lab\nrealm = epc.mnc001.mcc001.3gppnetwork.org\nlisten = 127.0.0.1\n"
		 "port = %u\npeers = mme.vno.lab\ntls = off\ndict_dir = %s\n",
		 dir, dir, dir, hss_port, du_fd_ext_dir());
	CHECK_INT(write_file(hss_conf, text, strlen(text)), 0);
	snprintf(vno_conf, sizeof(vno_conf), "%s/vno.conf", dir);
	snprintf(text, sizeof(text),
		 "[vno]\nradio_listen = 127.0.0.1:%u\nplmn = 999-70\nip_pool = 10.45.0.0/24\nrun_dir = %s/vno\n"
		 "[diameter]\nidentity = mme.vno.lab\nrealm = vno.lab\nlisten = 127.0.0.1:%u\ntls = off\n"
		 "[home.00101]\npeer = hss.ro.lab\naddress = 127.0.0.1:%u\n"
		 "[apn.provisioning]\nallow = 127.0.0.1:8443\n"
		 "[push]\nlisten = 127.0.0.1\nport = %u\n",
		 radio_port, dir, vno_dia, hss_port, push_port);
	CHECK_INT(write_file(vno_conf, text, strlen(text)), 0);

	snprintf(hss_log, sizeof(hss_log), "%s/hss.log", dir);
	snprintf(vno_log, sizeof(vno_log), "%s/vno.log", dir);
	const char *hss_argv[] = {hss_bin, "-c", hss_conf, NULL};
	hss = spawn(hss_argv, hss_log, NULL);
	snprintf(path, sizeof(path), "%s/prov/hss.sock", dir);
	int ok = test_wait_path(path, 100);
	CHECK_MSG(ok, "openmcim-hss did not open its provisioning socket");
	CHECK_INT(admin(PCID), 0);
	CHECK_INT(admin(PCID2), 0);
	const char *vno_argv[] = {vno_bin, "-c", vno_conf, NULL};
	vno = spawn(vno_argv, vno_log, NULL);
	ok = test_wait_radio(radio_port, 150);
	CHECK_MSG(ok, "openmcim-vno did not open its radio port");
	if (ok && !check_failures())
		pushes_reach_the_attached_device();
	CHECK_INT(du_term_wait(vno, 10000), 0);
	CHECK_INT(du_term_wait(hss, 10000), 0);
	if (ok)
		log_names_pushes_not_documents(vno_log);
	tls_refuses_clients_without_a_known_certificate();
	push_conf_mistakes_name_themselves();
	if (check_failures()) {
		size_t len;
		unsigned char *s = check_slurp(vno_log, &len);
		fprintf(stderr, "---- %s ----\n%s\n(kept %s)\n", vno_log, s ? (char *)s : "", dir);
		free(s);
	} else {
		snprintf(text, sizeof(text), "rm -rf '%s'", dir);
		CHECK_INT(system(text), 0);
	}
	return check_done();
}
