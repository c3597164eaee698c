/* SPDX-License-Identifier: Apache-2.0 */
/* vno.conf: the example loads, each mistake names itself; the daemon's command line. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "vno_conf.h"

static const char base[] = "[vno]\nradio_listen = 127.0.0.1:0\nplmn = 999-70\nip_pool = 10.45.0.0/24\n"
			   "[diameter]\nidentity = mme.vno.lab\nrealm = vno.lab\nlisten = 127.0.0.1:3870\ntls = off\n";

static char path[] = "/tmp/om-vno-conf-XXXXXX";

/* Load base + extra; returns vno_conf_load()'s result with the message in err. */
static int load(struct vno_conf *c, const char *extra, char *err, size_t len)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -2;
	fprintf(f, "%s%s", base, extra);
	fclose(f);
	err[0] = '\0';
	return vno_conf_load(c, path, err, len);
}

static void expect_error(const char *extra, const char *needle)
{
	static struct vno_conf c;
	char err[512];
	CHECK_INT(load(&c, extra, err, sizeof(err)), -1);
	CHECK_MSG(strstr(err, needle) != NULL, "want '%s' in '%s'", needle, err);
}

static void example_loads(void)
{
	static struct vno_conf c;
	char err[512], ex[1024];
	const char *src = getenv("OM_SOURCE_DIR");
	snprintf(ex, sizeof(ex), "%s/conf/vno.conf.example", src ? src : "..");
	CHECK_MSG(vno_conf_load(&c, ex, err, sizeof(err)) == 0, "%s", err);
	CHECK_INT(c.n_homes, 1); /* conf/: one operator, SHO-A (001-01) */
	CHECK_INT(c.n_apns, 2);
	CHECK(!strcmp(c.homes[0].realm, "epc.mnc001.mcc001.3gppnetwork.org"));
	CHECK_INT(c.homes[0].peer_port, 3868);
	CHECK_INT(c.pool_size, 253);
	CHECK_INT(c.pool_base[3], 2);
	CHECK(!strcmp(c.plmn.mcc, "999") && !strcmp(c.plmn.mnc, "70"));
	CHECK(vno_conf_home(&c, "001010000000001") == &c.homes[0]);
	CHECK(vno_conf_home(&c, "001020000000001") == NULL);
	/* the PCIDs' and the DPF's APN reaches SHO-A's DPF only */
	const struct vno_apn *p = vno_conf_apn(&c, "Prov.SHO-A");
	CHECK(p != NULL);
	CHECK(p && vno_apn_allows(p, "localhost", 8445) && !vno_apn_allows(p, "localhost", 8443) &&
	      !vno_apn_allows(p, "127.0.0.1", 80));
	CHECK(vno_apn_allows(vno_conf_apn(&c, "internet.sho-a"), "example.org", 443));
	/* Its allowed names found once, at start: localhost is 127.0.0.1 (/etc/hosts). */
	CHECK_MSG(vno_conf_resolve(&c, ex, err, sizeof(err)) == 0, "%s", err);
	CHECK(p && p->allow[0].resolved && p->allow[0].addr.s_addr == htonl(INADDR_LOOPBACK));
	CHECK(p && vno_apn_match(p, "LOCALHOST", 8445) == &p->allow[0] && !vno_apn_match(p, "localhost", 8443));
}

static void longest_prefix_wins(void)
{
	static struct vno_conf c;
	char err[512];
	CHECK_MSG(load(&c, "[home.00101]\npeer = a\naddress = 127.0.0.1:1\n[home.001012]\npeer = b\naddress = "
			  "127.0.0.1:2\n",
		       err, sizeof(err)) == 0,
		  "%s", err);
	CHECK(!strcmp(vno_conf_home(&c, "001012000000001")->peer, "b"));
	CHECK(!strcmp(vno_conf_home(&c, "001013000000001")->peer, "a"));
	CHECK(!strcmp(vno_conf_home(&c, "001012000000001")->realm, "epc.mnc012.mcc001.3gppnetwork.org"));
}

static void mistakes_are_named(void)
{
	expect_error("", "no [home.<MCC><MNC>] section");
	expect_error("[home.0010]\npeer = a\naddress = 127.0.0.1:1\n", "home.0010");
	expect_error("[home.00101]\npeer = a\n", "missing required key 'address' in [home.00101]");
	expect_error("[home.00101]\npeer = a\naddress = 127.0.0.1:0\n", "address");
	expect_error("[home.00101]\npeer = a\naddress = 127.0.0.1:1\nrealmm = x\n", ":13: unknown key 'realmm'");
	expect_error("[home.00101]\npeer = a\naddress = 127.0.0.1:1\n[apn.a..b]\nallow = *\n", "apn.a..b");
	expect_error("[home.00101]\npeer = a\naddress = 127.0.0.1:1\n[apn.x]\nallow = 127.0.0.1\n", "allow");
	expect_error("[home.00101]\npeer = a\naddress = 127.0.0.1:1\n[homes]\n", "unknown section [homes]");
	expect_error("[home.00101]\npeer = a\naddress = 127.0.0.1:1\n[vno]\nmax_devices = 0\n", "max_devices");
}

/* The radio server's bounds (docs/vno.md "Bounds"): defaults, and each out-of-range value named with its line. */
static void radio_bounds(void)
{
	static struct vno_conf c;
	char err[512];
	const char *home = "[home.00101]\npeer = a\naddress = 127.0.0.1:1\n";
	CHECK_MSG(load(&c, home, err, sizeof(err)) == 0, "%s", err);
	CHECK_INT(c.max_devices, 256);
	CHECK_INT(c.max_unauth, 128);
	CHECK_INT(c.max_unauth_per_source, 16);
	CHECK_INT(c.first_message_ms, 5000);
	CHECK_INT(c.idle_timeout_s, 300);
	CHECK_INT(c.max_frames_per_s, 50);
	char text[256];
	snprintf(text, sizeof(text), "%s[vno]\nmax_devices = 10\n", home);
	CHECK_MSG(load(&c, text, err, sizeof(err)) == 0, "%s", err);
	CHECK_INT(c.max_unauth, 5);
	CHECK_INT(c.max_unauth_per_source, 5);
	snprintf(text, sizeof(text), "%s[vno]\nmax_unauth = 40\nmax_unauth_per_source = 4\nfirst_message_ms = 1500\n"
		 "idle_timeout_s = 60\n", home);
	CHECK_MSG(load(&c, text, err, sizeof(err)) == 0, "%s", err);
	CHECK_INT(c.max_unauth, 40);
	CHECK_INT(c.max_unauth_per_source, 4);
	CHECK_INT(c.first_message_ms, 1500);
	CHECK_INT(c.idle_timeout_s, 60);
	/* An attach storm's size (issue 14): more than 65,536 devices. */
	snprintf(text, sizeof(text), "%s[vno]\nmax_devices = 1048576\n", home);
	CHECK_MSG(load(&c, text, err, sizeof(err)) == 0, "%s", err);
	CHECK_INT(c.max_devices, 1048576);
	static const char *const bad[][2] = {
		{"max_unauth = 257", "max_unauth"}, /* above max_devices */
		{"max_unauth = 0", "max_unauth"},
		{"max_unauth_per_source = 9\nmax_unauth = 8", "max_unauth_per_source"}, /* above max_unauth */
		{"first_message_ms = 99", "first_message_ms"},
		{"idle_timeout_s = 0", "idle_timeout_s"},
		{"max_frames_per_s = 4", "max_frames_per_s"},
		{"max_devices = 1048577", "max_devices"}, /* above VNO_MAX_DEVICES_MAX */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "%s[vno]\n%s\n", home, bad[i][0]);
		CHECK_INT(load(&c, text, err, sizeof(err)), -1);
		char at[64];
		snprintf(at, sizeof(at), "%s:14: ", path); /* file:line of the bad key */
		CHECK_MSG(strstr(err, bad[i][1]) != NULL && strstr(err, at) != NULL, "want '%s' at '%s' in '%s'",
			  bad[i][1], at, err);
	}
}

/* [apn.*] tunnel_idle_s: VNO_TUNNEL_IDLE_S_DEFAULT unset, the value set, and 0 or a day and more named with its line. */
static void tunnel_idle_bound(void)
{
	static struct vno_conf c;
	char err[512], text[256], at[64];
	const char *home = "[home.00101]\npeer = a\naddress = 127.0.0.1:1\n";
	snprintf(text, sizeof(text), "%s[apn.a]\nallow = *\n[apn.b]\nallow = *\ntunnel_idle_s = 30\n", home);
	CHECK_MSG(load(&c, text, err, sizeof(err)) == 0, "%s", err);
	CHECK_INT(vno_conf_apn(&c, "a")->tunnel_idle_s, VNO_TUNNEL_IDLE_S_DEFAULT);
	CHECK_INT(vno_conf_apn(&c, "b")->tunnel_idle_s, 30);
	static const char *const bad[] = {"tunnel_idle_s = 0", "tunnel_idle_s = 86401", "tunnel_idle_s = soon"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "%s[apn.a]\nallow = *\n%s\n", home, bad[i]);
		CHECK_INT(load(&c, text, err, sizeof(err)), -1);
		snprintf(at, sizeof(at), "%s:15: ", path);
		CHECK_MSG(strstr(err, "tunnel_idle_s") != NULL && strstr(err, at) != NULL, "want line 15 in '%s'", err);
	}
}

/* S6a over TLS unless the file says tls = off: no certificate is a named error, so is a tls value but on/off. */
static void tls_is_required(void)
{
	static struct vno_conf c;
	char err[512];
	static const char *const cases[][2] = {
		{"", "tls_cert, tls_key and tls_ca (required unless tls = off)"},
		{"tls = maybe\n", "[diameter] tls (on or off)"},
		{"tls_cert = /c.pem\ntls_key = /c.key\n", "tls_cert, tls_key and tls_ca (required unless tls = off)"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		FILE *f = fopen(path, "w");
		if (!f)
			continue;
		fprintf(f, "[vno]\nradio_listen = 127.0.0.1:0\nplmn = 999-70\nip_pool = 10.45.0.0/24\n"
			   "[diameter]\nidentity = mme.vno.lab\nrealm = vno.lab\nlisten = 127.0.0.1:3870\n%s"
			   "[home.00101]\npeer = a\naddress = 127.0.0.1:1\n",
			cases[i][0]);
		fclose(f);
		CHECK_INT(vno_conf_load(&c, path, err, sizeof(err)), -1);
		CHECK_MSG(strstr(err, cases[i][1]) != NULL, "want '%s' in '%s'", cases[i][1], err);
	}
	FILE *f = fopen(path, "w");
	if (f) {
		fprintf(f, "[vno]\nradio_listen = 127.0.0.1:0\nplmn = 999-70\nip_pool = 10.45.0.0/24\n"
			   "[diameter]\nidentity = mme.vno.lab\nrealm = vno.lab\nlisten = 127.0.0.1:3870\n"
			   "tls_cert = /c.pem\ntls_key = /c.key\ntls_ca = /ca.pem\n[home.00101]\npeer = a\naddress = 127.0.0.1:1\n");
		fclose(f);
	}
	CHECK_MSG(vno_conf_load(&c, path, err, sizeof(err)) == 0, "%s", err);
	CHECK(!c.dia_tls_off && !strcmp(c.dia_tls_ca, "/ca.pem"));
}

static void bad_main_values(void)
{
	static struct vno_conf c;
	char err[512];
	static const char *const cases[][2] = {
		{"plmn = 99-970", "plmn"},
		{"ip_pool = 10.45.0.0/8", "ip_pool"},
		{"ip_pool = 10.32.0.0/11", "ip_pool"}, /* more than a million addresses */
		{"radio_listen = localhost:1", "radio_listen"},
		{"log_level = loud", "log_level"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[512];
		FILE *f = fopen(path, "w");
		snprintf(text, sizeof(text), "%s", base);
		/* replace the key's line in [vno] */
		const char *key = cases[i][1];
		char *line = strstr(text, key);
		if (line) {
			char *eol = strchr(line, '\n');
			char rest[512];
			snprintf(rest, sizeof(rest), "%s", eol ? eol : "");
			snprintf(line, sizeof(text) - (size_t)(line - text), "%s%s", cases[i][0], rest);
		} else {
			char *dia = strstr(text, "[diameter]");
			char rest[512];
			snprintf(rest, sizeof(rest), "%s", dia);
			snprintf(dia, sizeof(text) - (size_t)(dia - text), "%s\n%s", cases[i][0], rest);
		}
		fprintf(f, "%s[home.00101]\npeer = a\naddress = 127.0.0.1:1\n", text);
		fclose(f);
		CHECK_INT(vno_conf_load(&c, path, err, sizeof(err)), -1);
		CHECK_MSG(strstr(err, key) != NULL, "want '%s' in '%s'", key, err);
	}
}

/* The daemon: --help exits 0, a bad configuration exits non-zero with the message. */
static void daemon_command_line(void)
{
	const char *cli = getenv("OM_CLI");
	CHECK_MSG(cli != NULL, "OM_CLI not set (run through ctest)");
	if (!cli)
		return;
	char cmd[1200], bin[1024];
	snprintf(bin, sizeof(bin), "%s", cli);
	*strrchr(bin, '/') = '\0';
	snprintf(cmd, sizeof(cmd), "'%s/openmcim-vno' --help >/dev/null", bin);
	int st = system(cmd);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	FILE *f = fopen(path, "w");
	fprintf(f, "%s[home.00101]\npeer = a\naddress = 127.0.0.1:1\nbogus = 1\n", base);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "'%s/openmcim-vno' -c '%s' 2>&1", bin, path);
	FILE *p = popen(cmd, "r");
	char out[512] = "";
	size_t n = p ? fread(out, 1, sizeof(out) - 1, p) : 0;
	out[n] = '\0';
	st = p ? pclose(p) : -1;
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) != 0);
	CHECK_MSG(strstr(out, "unknown key 'bogus' in [home.00101]") != NULL, "%s", out);
	snprintf(cmd, sizeof(cmd), "'%s/openmcim-vno' --config=/nonexistent/vno.conf 2>/dev/null", bin);
	st = system(cmd);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) != 0);
}

/* A pool for an attach storm (issue 14): a /12 is a million addresses, more than a /16's 65,533. */
static void large_pool(void)
{
	static struct vno_conf c;
	char err[512];
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	fprintf(f, "[vno]\nradio_listen = 127.0.0.1:0\nplmn = 999-70\nip_pool = 10.32.0.0/12\nmax_devices = 200000\n"
		"[diameter]\nidentity = mme.vno.lab\nrealm = vno.lab\nlisten = 127.0.0.1:3870\ntls = off\n"
		"[home.00101]\npeer = a\naddress = 127.0.0.1:1\n");
	fclose(f);
	CHECK_MSG(vno_conf_load(&c, path, err, sizeof(err)) == 0, "%s", err);
	CHECK_INT(c.pool_size, (1 << 20) - 3);
	CHECK_INT(c.pool_base[1], 32);
	CHECK_INT(c.pool_base[3], 2);
	CHECK_INT(c.max_devices, 200000);
}

int main(void)
{
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);
	example_loads();
	longest_prefix_wins();
	tls_is_required();
	mistakes_are_named();
	bad_main_values();
	radio_bounds();
	tunnel_idle_bound();
	large_pool();
	daemon_command_line();
	unlink(path);
	return check_done();
}
