/* SPDX-License-Identifier: Apache-2.0 */
/*
 * openmcim-sho as a real process on loopback, an owner speaking to it with
 * curl over HTTPS: a wrong secret is 401 and changes nothing; a factory's
 * delivery note is registered in one call (certificates' status from the
 * independent `openssl ocsp`, subscribers into an in-process HSS through its
 * provisioning socket) and the same note again is unchanged; status shows
 * the owner's own devices only. Handovers go to the real openmcim-drf of
 * the current SHO (SHO-A) over mutual TLS: a wrong transfer code is refused
 * with the DRF's reason and changes nothing there; the right code is
 * accepted and recorded on both sides; the same call again gets the same
 * request id and answer. A second current SHO (SHO-C), standing in here
 * with svc/http_server.h, checks our client certificate and the request's
 * signature and loses its first answer (too slow): the device stays
 * handover_requested and the owner's retry resends the same bytes.
 * Ownership (docs/decisions.md "Proof of ownership"): another owner with the
 * note's public part, or with a claim of another device, is refused
 * (OM_ESHO_CLAIM) and no row of the SHO's, the HSS's or the DRF's database
 * moves; a buyer with the manufacturer's next claim takes the device, the
 * seller's account loses it and the seller's old claim gets OM_ESHO_CLAIM_OLD.
 * After everything, no byte of either daemon's database or log holds a
 * transfer code, an owner secret or an owner claim.
 * --help, a bad configuration and SIGTERM.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include "sho_testkit.h"
#include <dirent.h>
#include <ftw.h>
#include <sys/stat.h>

#include <pthread.h>

#include <openmcim/base32.h>
#include <openmcim/claim.h>
#include <openmcim/handover.h>
#include <openmcim/hex.h>

#include "daemon_util.h"
#include "drf.h"
#include "factory.h"
#include "hss.h"
#include "http_server.h"
#include "log.h"
#include "pg_cluster.h"
#include "pki_fixture.h"
#include "provision.h"
#include "refusal_kit.h"
#include "sho.h"

#define OWNER "fleet-1"
#define SECRET "correct horse battery"
#define TRE_A "TRE-00000001"   /* from the factory, current SHO: SHO-A (the RO) */
#define TRE_C "TRE-K0000001"   /* ours, current SHO: SHO-C */
#define C_CODE "CCCC-0000-0000-0001" /* the code SHO-C gave the owner */

static char dir[] = "/tmp/om-sho-daemon-XXXXXX";
static char path[600], bin_dir[512];
static X509 *sho_b_cert;
/* each daemon's store: a SQLite file in dir, or with OM_TEST_STORE=pg a database of the test's cluster */
static char sho_db[600], hss_store[600], drf_store[600];

static const char *at(const char *rel)
{
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return path;
}

/* ---- daemons ------------------------------------------------------------- */

/* Start bin -c conf with stderr into log; wait for " started " and read port=. */
static pid_t start(const char *bin, const char *conf, const char *log, unsigned *port)
{
	char b[600], c[600], l[600];
	snprintf(b, sizeof(b), "%s/%s", bin_dir, bin);
	snprintf(c, sizeof(c), "%s", at(conf));
	snprintf(l, sizeof(l), "%s", at(log));
	pid_t pid = du_spawn_daemon(b, c, l, 0);
	*port = du_log_port(l, " started ", 10000);
	CHECK_MSG(*port != 0, "%s did not start; see %s", bin, l);
	return pid;
}

/* ---- the owner, with curl ------------------------------------------------ */

static unsigned sho_port;

/*
 * An owner's call: method path with body file (NULL: none) as user:secret.
 * The answer into out; returns the HTTP status or -1.
 */
static int call(const char *method, const char *url_path, const char *file, const char *user, char *out,
		size_t cap)
{
	char url[256], resolve[64], data[700], ca[600], raw[16384];
	snprintf(url, sizeof(url), "https://localhost:%u%s", sho_port, url_path);
	snprintf(resolve, sizeof(resolve), "localhost:%u:127.0.0.1", sho_port);
	snprintf(data, sizeof(data), "@%s", file ? at(file) : "/dev/null");
	snprintf(ca, sizeof(ca), "%s", at("tls/ca.pem"));
	/* a change carries a type no form can send (docs/sho.md): the note as text/csv, a code as bytes */
	const char *type = !strncmp(url_path, "/handover/", 10) ? "Content-Type: application/octet-stream"
								 : "Content-Type: text/csv";
	const char *argv[] = { "curl", "-s", "--max-time", "20", "--cacert", ca, "--resolve", resolve, "-w",
			       "\n%{http_code}", "-X", method, "-u", user, "-H", type, url,
			       file ? "--data-binary" : NULL, data, NULL };
	if (du_run_quiet(argv, 0, raw, sizeof(raw)) != 0)
		return -1;
	char *nl = strrchr(raw, '\n');
	if (!nl)
		return -1;
	*nl = '\0';
	snprintf(out, cap, "%s", raw);
	return atoi(nl + 1);
}

/* 1 if the process has a descriptor on a deleted file whose name holds part. */
static int holds_deleted(pid_t pid, const char *part)
{
	char fd_dir[64], link[700], target[700];
	snprintf(fd_dir, sizeof(fd_dir), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(fd_dir);
	struct dirent *e;
	int found = 0;
	while (d && (e = readdir(d))) {
		snprintf(link, sizeof(link), "%s/%s", fd_dir, e->d_name);
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			found |= strstr(target, part) && strstr(target, "(deleted)");
		}
	}
	if (d)
		closedir(d);
	return found;
}

/*
 * An owner another process adds while the daemon runs is seen, also after a
 * fleet query (docs/owner.md: was refused with 401 once the daemon had
 * answered one). The cause was the store's open() and close() of the
 * database file for the daemon's second handle, which dropped the first
 * handle's SQLite locks, so the other process's close unlinked the WAL
 * under the daemon (svc/store_test.c: a_second_handle_keeps_the_first_handles_locks).
 */
static void check_owner_added_after_a_fleet_query(pid_t sho_pid)
{
	static const char *const owners[] = { "fleet-3", "fleet-4" };
	char out[8192], why[256], user[96];
	for (size_t i = 0; i < sizeof(owners) / sizeof(owners[0]); i++) {
		CHECK_INT(call("GET", "/api/v1/devices?limit=1", NULL, OWNER ":" SECRET, out, sizeof(out)), 200);
		struct sho *s = NULL;
		struct sho_config oc = { .db_path = sho_db };
		CHECK_INT(sho_open(&s, &oc, why, sizeof(why)), 0);
		if (s)
			CHECK_INT(sho_owner_add(s, owners[i], "an owner added later"), 0);
		sho_close(s);
		snprintf(user, sizeof(user), "%s:an owner added later", owners[i]);
		CHECK_MSG(call("GET", "/api/v1/devices", NULL, user, out, sizeof(out)) == 200, "%s: %s", owners[i], out);
		CHECK(strstr(out, "\"total\":0") != NULL);
	}
	CHECK_MSG(!holds_deleted(sho_pid, "sho.db"), "the daemon holds an unlinked -wal or -shm");
}

static void write_text(const char *rel, const char *text)
{
	FILE *f = fopen(at(rel), "w");
	CHECK(f && fputs(text, f) >= 0);
	if (f)
		fclose(f);
}

/* ---- SHO-C's DRF, standing in: mTLS, verifies, first answer too late --------- */

static struct {
	pthread_mutex_t lock;
	int calls, verified, same, client_ok;
	uint8_t first[8192];
	size_t first_len;
	char request_id[OM_HANDOVER_ID_MAX + 1];
} drf_c = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void drf_c_handover(struct om_http_req *r, void *arg)
{
	(void)arg;
	size_t len;
	const uint8_t *b = om_http_req_body(r, &len);
	struct om_handover_req hr;
	char cn[OM_NAME_MAX_LEN + 1] = "", out[256], rid[OM_HANDOVER_ID_MAX + 1];
	X509 *peer = om_http_req_peer_cert(r);
	uint8_t proof[OM_HANDOVER_PROOF_LEN];
	memset(&hr, 0, sizeof(hr));
	int ok = om_handover_verify(b, len, X509_get0_pubkey(sho_b_cert), &hr) == 0 && !strcmp(hr.tre_id, TRE_C) &&
		 !strcmp(hr.new_sho_id, "SHO-B") && om_handover_code_proof(TRE_C, C_CODE, proof) == 0 &&
		 !memcmp(hr.code_proof, proof, sizeof(proof));
	pthread_mutex_lock(&drf_c.lock);
	int first = drf_c.calls++ == 0;
	drf_c.client_ok += peer && om_cert_subject_cn(peer, cn) > 0 && !strcmp(cn, "sho-b.lab");
	drf_c.verified += ok;
	if (first && len <= sizeof(drf_c.first)) {
		memcpy(drf_c.first, b, len);
		drf_c.first_len = len;
		snprintf(drf_c.request_id, sizeof(drf_c.request_id), "%s", hr.request_id);
	} else if (!first) {
		drf_c.same += len == drf_c.first_len && !memcmp(b, drf_c.first, len);
	}
	pthread_mutex_unlock(&drf_c.lock);
	snprintf(rid, sizeof(rid), "%s", ok ? hr.request_id : "-");
	om_handover_free(&hr);
	if (first)
		du_nap_ms(3000); /* the answer comes after the SHO gave up: lost */
	snprintf(out, sizeof(out), "result=accepted request_id=%s sequence=7\n", rid);
	om_http_reply(r, 200, "text/plain", out, strlen(out));
}

/* ---- the test ------------------------------------------------------------- */

static long sho_devices(void)
{
	struct sho *s = NULL;
	char why[256];
	struct sho_config cfg = { .db_path = sho_db };
	long n = 0;
	struct sho_device_status st;
	if (sho_open(&s, &cfg, why, sizeof(why)) < 0)
		return -1;
	n += sho_status(s, TRE_A, &st) == 0;
	n += sho_status(s, "TRE-00000002", &st) == 0;
	n += sho_status(s, TRE_C, &st) == 0;
	sho_close(s);
	return n;
}

static struct drf *drf_db(void)
{
	char err[256];
	struct drf *d = NULL;
	struct drf_config cfg = { .db_path = drf_store };
	CHECK_MSG(drf_open(&d, &cfg, err, sizeof(err)) == 0, "%s", err);
	return d;
}

static void command_line(void)
{
	char out[2048], b[600], c[600];
	snprintf(b, sizeof(b), "%s/openmcim-sho", bin_dir);
	const char *help[] = { b, "--help", NULL };
	CHECK_INT(du_run_quiet(help, 1, out, sizeof(out)), 0);
	CHECK(strstr(out, "usage: openmcim-sho") != NULL);
	write_text("bad.conf", "[sho]\ndb = x.db\n[daemon]\nportt = 1\n");
	snprintf(c, sizeof(c), "%s", at("bad.conf"));
	const char *bad[] = { b, "-c", c, NULL };
	CHECK(du_run_quiet(bad, 1, out, sizeof(out)) != 0);
	CHECK_MSG(strstr(out, "bad.conf:4") != NULL, "bad config: %s", out);
}

/* One delivery-note row for a kit device, current SHO sho_id, with its owner claim. */
static void note_row(FILE *f, const struct kit_tre *t, const char *sho_id)
{
	char *s = malloc(t->sign_len * 2 + 8), *e = malloc(t->enc_len * 2 + 8), claim[OM_CLAIM_TEXT_LEN + 1];
	EVP_EncodeBlock((unsigned char *)s, t->sign_der, (int)t->sign_len);
	EVP_EncodeBlock((unsigned char *)e, t->enc_der, (int)t->enc_len);
	om_claim_text(t->claim, claim);
	fprintf(f, "%s,%s,%s,%s,%s\n", t->tre_id, s, e, sho_id, claim);
	free(s);
	free(e);
}

/* ---- ownership ------------------------------------------------------------- */

#define OTHER "fleet-2:second owner secret"

/* Every row of the three databases the owners' calls can reach. */
static char *snap(void)
{
	const char *dbs[] = { sho_db, hss_store, drf_store };
	return rk_snapshot(dbs, 3, NULL, 0);
}

static void unchanged(char *before, const char *attack)
{
	rk_check_unchanged(before, snap(), attack);
}

/* A delivery note of rows[0..n), current SHO SHO-A, claim_secret claims[i] (no such column when NULL). */
static void write_note(const char *rel, const struct sho_device_in *const *rows, const char *const *claims, size_t n)
{
	FILE *f = fopen(at(rel), "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fprintf(f, "tre_id,cert_tre_pem_b64,cert_tre_enc_pem_b64,sho_id%s\n", claims ? ",claim_secret" : "");
	for (size_t i = 0; i < n; i++) {
		char *s = malloc(rows[i]->cert_sign_len * 2 + 8), *e = malloc(rows[i]->cert_enc_len * 2 + 8);
		EVP_EncodeBlock((unsigned char *)s, rows[i]->cert_sign, (int)rows[i]->cert_sign_len);
		EVP_EncodeBlock((unsigned char *)e, rows[i]->cert_enc, (int)rows[i]->cert_enc_len);
		fprintf(f, "%s,%s,%s,SHO-A%s%s\n", rows[i]->tre_id, s, e, claims ? "," : "", claims ? claims[i] : "");
		free(s);
		free(e);
	}
	fclose(f);
}

/* Before the owner registers: another owner with what is public, or a claim not the device's. */
static void check_claim_refused(const struct sho_device_in *note)
{
	char out[4096], other_claim[OM_CLAIM_TEXT_LEN + 1];
	const struct sho_device_in *rows[] = { &note[0], &note[1] };
	write_note("public-note.csv", rows, NULL, 2);
	om_claim_text(note[1].claim, other_claim);
	const char *swapped[] = { other_claim };
	write_note("swapped-note.csv", rows, swapped, 1);
	char *before = snap();
	CHECK_INT(call("POST", "/register", "public-note.csv", OTHER, out, sizeof(out)), 422);
	CHECK_MSG(strstr(out, TRE_A ",refused,OM_ESHO_CLAIM no owner claim") &&
		  strstr(out, "TRE-00000002,refused,OM_ESHO_CLAIM no owner claim"), "public part: %s", out);
	CHECK_INT(call("POST", "/register", "swapped-note.csv", OTHER, out, sizeof(out)), 422);
	CHECK_MSG(strstr(out, TRE_A ",refused,OM_ESHO_CLAIM owner claim secret is not this device's"), "swapped: %s",
		  out);
	CHECK_INT(call("POST", "/register/partial", "swapped-note.csv", OTHER, out, sizeof(out)), 200);
	CHECK_MSG(strstr(out, TRE_A ",refused,OM_ESHO_CLAIM "), "partial: %s", out);
	unchanged(before, "registering another owner's devices");
}

/* The manufacturer's claim of generation g for tre_id, from the run's claim key. */
static void claim_of(const char *tre_id, unsigned g, uint8_t out[static OM_CLAIM_LEN])
{
	uint8_t key[OM_CLAIM_KEY_LEN];
	char *hex = (char *)check_slurp(at("run/manufacturer/claim.key"), NULL);
	CHECK(hex != NULL);
	if (hex)
		hex[strcspn(hex, "\n")] = '\0';
	CHECK_INT(hex ? om_hex_decode(key, sizeof(key), hex) : -1, 0);
	CHECK_INT(om_claim_derive(key, tre_id, g, out), 0);
	free(hex);
}

/* A resale through the manufacturer: TRE-00000002 goes from OWNER to fleet-2, and only forward. */
static void check_resale(const struct sho_device_in *note, uint8_t gen2[static OM_CLAIM_LEN])
{
	char out[4096], text[OM_CLAIM_TEXT_LEN + 1];
	const struct sho_device_in *rows[] = { &note[1] };
	claim_of(note[1].tre_id, 2, gen2);
	om_claim_text(gen2, text);
	const char *claims[] = { text };
	write_note("resale-note.csv", rows, claims, 1);
	CHECK_INT(call("POST", "/register", "resale-note.csv", OTHER, out, sizeof(out)), 200);
	CHECK_MSG(!strcmp(out, "tre_id,result,imsi_or_reason\nTRE-00000002,transferred,001020000000002\n"), "resale: %s",
		  out);
	CHECK_INT(call("GET", "/status/TRE-00000002", NULL, OWNER ":" SECRET, out, sizeof(out)), 404);
	CHECK_INT(call("POST", "/handover/TRE-00000002", "right.code", OWNER ":" SECRET, out, sizeof(out)), 404);
	CHECK_INT(call("GET", "/status/TRE-00000002", NULL, OTHER, out, sizeof(out)), 200);
	CHECK_MSG(strstr(out, "state=registered\nimsi=001020000000002\n"), "buyer's status: %s", out);
	/* the seller's first claim, in its original note, cannot take it back; the buyer's again is a repeat */
	char *before = snap();
	CHECK_INT(call("POST", "/register", "run/owner/delivery-note.csv", OWNER ":" SECRET, out, sizeof(out)), 422);
	CHECK_MSG(strstr(out, "TRE-00000002,refused,OM_ESHO_CLAIM_OLD "), "seller: %s", out);
	CHECK_INT(call("POST", "/register", "resale-note.csv", OTHER, out, sizeof(out)), 200);
	CHECK_MSG(strstr(out, "TRE-00000002,unchanged,001020000000002"), "buyer again: %s", out);
	unchanged(before, "the seller's old claim");
}

/* sho-admin on the running daemon's admin socket; stdin_text (a secret) on its stdin. Exit status, output in out. */
static int sho_admin(const char *stdin_text, const char *args, char *out, size_t cap)
{
	char cmd[2048];
	snprintf(cmd, sizeof(cmd), "printf '%%s\\n' '%s' | '%s/openmcim' sho-admin --socket '%s/sho-adm/admin.sock' %s > '%s' 2>&1",
		 stdin_text ? stdin_text : "", bin_dir, dir, args, at("sho-admin.out"));
	int st = system(cmd);
	size_t n = 0;
	char *text = (char *)check_slurp(at("sho-admin.out"), &n);
	snprintf(out, cap, "%s", text ? text : "");
	free(text);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* sho-admin args (stdin_text on its standard input) exits with want and its output holds needle. */
static void admin_says(const char *stdin_text, const char *args, int want, const char *needle)
{
	char out[8192];
	CHECK_INT(sho_admin(stdin_text, args, out, sizeof(out)), want);
	CHECK_MSG(strstr(out, needle) != NULL, "sho-admin %s: %s", args, out);
}

/*
 * The operator's commands on owners and devices (issue 15), through sho-admin
 * on the running daemon: owners listed (text, and JSON parsed by jq), an
 * owner's secret changed (the old one refused by the owner API at once), an
 * owner without devices deleted; a device shown with its subscription as
 * the HSS holds it, suspended and resumed there, deleted with it. Refused
 * with their codes, no row of the SHO's, the HSS's or the DRF's database
 * moving: deleting an owner with devices or unknown, deleting a device in
 * the middle of its handover, an unknown device, a secret too short.
 */
static void check_admin_tool(void)
{
	char out[8192];
	CHECK_INT(sho_admin(NULL, "owner list", out, sizeof(out)), 0);
	CHECK_MSG(strstr(out, "owner_id=fleet-1 created=") && strstr(out, " devices=2\nowner_id=fleet-2 created=") &&
			  strstr(out, " devices=1\nowner_id=fleet-3 ") && strstr(out, "owner_id=fleet-4 "),
		  "owner list: %s", out);
	CHECK_INT(sho_admin(NULL, "--json owner list", out, sizeof(out)), 0);
	CHECK_INT(du_json_check(dir, out,
				".ok and (.items | map(.owner_id)) == [\"fleet-1\",\"fleet-2\",\"fleet-3\",\"fleet-4\"] and"
				" (.items | map(.devices)) == [\"2\",\"1\",\"0\",\"0\"] and"
				" (.items[0].created | test(\"^20[0-9-]+T[0-9:]+Z$\"))"),
		  0);

	char *before = snap();
	admin_says(NULL, "owner delete " OWNER, 1, "(OM_ESHO_STATE)"); /* an owner with devices */
	CHECK_INT(sho_admin(NULL, "--json owner delete nobody", out, sizeof(out)), 1);
	CHECK_INT(du_json_check(dir, out, ".ok == false and .error == \"OM_ESHO_NOT_FOUND\""), 0);
	admin_says(NULL, "device delete " TRE_A, 1, "handover_accepted: not while it moves (OM_ESHO_STATE)");
	admin_says(NULL, "device suspend TRE-NOBODY", 1, "(OM_ESHO_NOT_FOUND)");
	CHECK_INT(sho_admin(NULL, "--json device show TRE-NOBODY", out, sizeof(out)), 1);
	CHECK_INT(du_json_check(dir, out, ".ok == false and .error == \"OM_ESHO_NOT_FOUND\""), 0);
	admin_says("too short", "owner secret fleet-3", 1, "(OM_ESHO_NOTE)");
	admin_says("a new secret for nobody", "owner secret nobody", 1, "(OM_ESHO_NOT_FOUND)");
	unchanged(before, "sho-admin commands refused");

	/* the subscription, as the HSS holds it: registered and not yet released, so created suspended
	 * (requirement A); the operator's resume makes it live, and it is suspended and resumed there */
	CHECK_INT(sho_admin(NULL, "--json device show TRE-00000002", out, sizeof(out)), 0);
	CHECK_INT(du_json_check(dir, out,
				".items[0].words == [\"TRE-00000002\"] and .items[0].owner == \"fleet-2\" and"
				" .items[0].imsi == \"001020000000002\" and .items[0].subscription == \"suspended\" and"
				" (.items[0].updated | test(\"Z$\"))"),
		  0);
	CHECK_INT(sho_admin(NULL, "device resume TRE-00000002", out, sizeof(out)), 0);
	admin_says(NULL, "device show TRE-00000002", 0, " subscription=active "); /* resumed by its operator */
	CHECK_INT(sho_admin(NULL, "device suspend TRE-00000002", out, sizeof(out)), 0);
	admin_says(NULL, "device show TRE-00000002", 0, " subscription=suspended ");
	CHECK_INT(call("GET", "/api/v1/devices/TRE-00000002", NULL, OTHER, out, sizeof(out)), 200);
	CHECK_MSG(strstr(out, "\"suspended\"") != NULL, "the owner's history: %s", out);
	CHECK_INT(sho_admin(NULL, "device resume TRE-00000002", out, sizeof(out)), 0);
	admin_says(NULL, "device show TRE-00000002", 0, " subscription=active ");

	/* a new secret: the old one refused at once, the new one in */
	CHECK_INT(call("GET", "/api/v1/devices", NULL, "fleet-3:an owner added later", out, sizeof(out)), 200);
	CHECK_INT(sho_admin("fleet three new secret", "owner secret fleet-3", out, sizeof(out)), 0);
	CHECK_INT(call("GET", "/api/v1/devices", NULL, "fleet-3:an owner added later", out, sizeof(out)), 401);
	CHECK_INT(call("GET", "/api/v1/devices", NULL, "fleet-3:fleet three new secret", out, sizeof(out)), 200);

	/* deletions: the device with its subscription, then its owner, and an owner without devices */
	CHECK_INT(sho_admin(NULL, "device delete TRE-00000002", out, sizeof(out)), 0);
	CHECK_INT(sho_admin(NULL, "device show TRE-00000002", out, sizeof(out)), 1);
	char hss_cmd[1200];
	snprintf(hss_cmd, sizeof(hss_cmd), "'%s/openmcim' hss-admin --socket '%s' show 001020000000002 > /dev/null 2>&1",
		 bin_dir, at("hss-sock/prov.sock"));
	int st = system(hss_cmd);
	CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 1, "the HSS still has 001020000000002 (%d)", st);
	CHECK_INT(sho_admin(NULL, "owner delete fleet-2", out, sizeof(out)), 0);
	CHECK_INT(sho_admin(NULL, "owner delete fleet-4", out, sizeof(out)), 0);
	CHECK_INT(call("GET", "/api/v1/devices", NULL, OTHER, out, sizeof(out)), 401);
	CHECK_INT(sho_admin(NULL, "--json owner list", out, sizeof(out)), 0);
	CHECK_INT(du_json_check(dir, out, "(.items | map(.owner_id)) == [\"fleet-1\",\"fleet-3\"]"), 0);
}

/* The secrets the at-rest scan looks for, and how many files it read. */
static struct {
	const char *const *texts;
	size_t n_texts;
	const uint8_t (*raw)[OM_CLAIM_LEN];
	size_t n_raw;
	int files, control; /* files read; files holding TRE_A (stored in the clear: the scan sees rows) */
} at_rest;

static void scan_file(const char *name)
{
	size_t len = 0;
	unsigned char *b = check_slurp(name, &len);
	if (!b)
		return;
	at_rest.files++;
	at_rest.control += check_has_bytes(b, len, TRE_A, strlen(TRE_A));
	for (size_t i = 0; i < at_rest.n_texts; i++)
		CHECK_MSG(!check_has_bytes(b, len, at_rest.texts[i], strlen(at_rest.texts[i])), "%s holds secret text %zu",
			  name, i);
	for (size_t i = 0; i < at_rest.n_raw; i++)
		CHECK_MSG(!check_has_bytes(b, len, at_rest.raw[i], OM_CLAIM_LEN), "%s holds claim %zu", name, i);
	free(b);
}

static int scan_entry(const char *name, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_F && S_ISREG(st->st_mode))
		scan_file(name);
	return 0;
}

/*
 * No file of the daemons (databases with their journals, logs) holds any of
 * the secrets. On PostgreSQL the databases are the cluster's files: every
 * one of its directory (tables, WAL) is read.
 */
static void check_no_secret_at_rest(const char *const *texts, size_t n_texts, const uint8_t (*raw)[OM_CLAIM_LEN],
				    size_t n_raw)
{
	static const char *const files[] = { "sho.db", "sho.db-wal", "sho.db-shm", "drf.db", "drf.db-wal",
					     "drf.db-shm", "hss.db", "hss.db-wal", "sho.log", "drf.log" };
	at_rest.texts = texts;
	at_rest.n_texts = n_texts;
	at_rest.raw = raw;
	at_rest.n_raw = n_raw;
	at_rest.files = at_rest.control = 0;
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++)
		scan_file(at(files[f]));
	if (t_store_is_pg()) {
		CHECK_MSG(t_store_pg_dir() != NULL, "no cluster");
		if (t_store_pg_dir())
			CHECK_INT(nftw(t_store_pg_dir(), scan_entry, 16, FTW_PHYS), 0);
		CHECK_MSG(at_rest.files > 100, "read %d files of the logs and the cluster", at_rest.files);
	} else {
		CHECK_MSG(access(at("sho.db"), R_OK) == 0 && access(at("drf.db"), R_OK) == 0 && at_rest.files >= 4,
			  "read %d files (the two databases and two logs at least)", at_rest.files);
	}
	CHECK_MSG(at_rest.control > 0, "no file read holds the TRE_id %s: the scan sees no row", TRE_A);
}

int main(void)
{
	EVP_PKEY *pva_key = NULL, *lab_key = NULL, *b_root_key = NULL, *sho_b_key = NULL;
	X509 *pva_cert = NULL, *ro_cert = NULL, *enc_cert = NULL;
	struct om_ca *pva = NULL, *lab = NULL, *b_root = NULL;
	struct sho_device_in *note = NULL;
	struct kit_tre kt;
	struct om_http_server *c_srv = NULL;
	struct drf_device_status ds;
	char why[256], out[16384], again[16384], code[DRF_CODE_TEXT_LEN + 1], url[64], sock[600];
	int64_t now = (int64_t)time(NULL);

	signal(SIGPIPE, SIG_IGN);
	om_log_init("sho-daemon-test", OM_LOG_ERROR);
	CHECK(mkdtemp(dir) != NULL);
	CHECK_INT(t_store_conf(dir, "sho.db", sho_db, sizeof(sho_db)), 0);
	CHECK_INT(t_store_conf(dir, "hss.db", hss_store, sizeof(hss_store)), 0);
	CHECK_INT(t_store_conf(dir, "drf.db", drf_store, sizeof(drf_store)), 0);
	const char *cli = getenv("OM_CLI") ? getenv("OM_CLI") : "./openmcim";
	snprintf(bin_dir, sizeof(bin_dir), "%.*s", strrchr(cli, '/') ? (int)(strrchr(cli, '/') - cli) : 1,
		 strrchr(cli, '/') ? cli : ".");
	command_line();

	/* the factory: the PVA, the RO (SHO-A, the current SHO) and two devices */
	CHECK_INT(om_factory_init_cas(at("cas"), "PVA-1", "SHO-A"), 0);
	CHECK_INT(om_cert_load(&pva_cert, at("cas/pva-ca.pem")), 0);
	CHECK_INT(om_key_load(&pva_key, at("cas/pva-ca.key")), 0);
	CHECK_INT(om_cert_load(&ro_cert, at("cas/ro-signing.pem")), 0);
	CHECK_INT(om_ca_open(&pva, pva_cert, pva_key), 0);
	struct om_factory_config fc = { .pva_ca = pva, .ro_cert = ro_cert, .mcc = "001", .mnc = "01",
					.msin_first = "0000000001", .n_devices = 2, .jobs = 1 };
	CHECK_INT(om_factory_run(at("run"), &fc, NULL), 0);
	int n_note = sho_note_read(at("run/owner/delivery-note.csv"), &note, why, sizeof(why));
	CHECK_MSG(n_note == 2, "%d: %s", n_note, why);
	if (n_note != 2)
		return check_done();
	kit_tre_issue(pva, TRE_C, &kt);
	FILE *f = fopen(at("c-note.csv"), "w");
	fputs("tre_id,cert_tre_pem_b64,cert_tre_enc_pem_b64,sho_id,claim_secret\n", f);
	note_row(f, &kt, "SHO-C");
	fclose(f);

	/* the PVA's status list, served by the independent responder */
	f = fopen(at("index.txt"), "w");
	kit_index_note(f, note, n_note, &enc_cert);
	kit_index_line(f, kt.sign, 'V');
	kit_index_line(f, kt.enc, 'V');
	fclose(f);
	pid_t ocsp = kit_ocsp_pva(dir, pva, pva_key, url, sizeof(url));

	/* SHO-B's HSS, in process, with its provisioning socket */
	char err[256];
	snprintf(sock, sizeof(sock), "%s", at("hss-sock/prov.sock"));
	struct hss_config hc = { .db_path = hss_store };
	struct hss *hss = hss_open(&hc, err, sizeof(err));
	CHECK_MSG(hss != NULL, "%s", err);
	CHECK_MSG(hss && hss_provision_start(hss, sock, err, sizeof(err)) == 0, "%s", err);

	/* SHO-B's signing identity (Cert_SHO[i+1]); the operators' TLS certificates */
	b_root = kit_ca("SHO-B root", &b_root_key);
	X509_REQ *csr = NULL;
	struct om_issue iss = { .profile = OM_CERT_SHO_SIGNING, .cn = "SHO-B" };
	CHECK_INT(om_key_generate(&sho_b_key, OM_KEY_EC_P256), 0);
	CHECK_INT(om_csr_create(&csr, sho_b_key, "SHO-B", NULL), 0);
	CHECK_INT(om_ca_issue(b_root, csr, &iss, &sho_b_cert), 0);
	X509_REQ_free(csr);
	CHECK_INT(om_cert_save(at("sho-b-signing.pem"), sho_b_cert), 0);
	CHECK_INT(om_key_save(at("sho-b-signing.key"), sho_b_key), 0);
	CHECK_INT(mkdir(at("tls"), 0700), 0);
	lab = kit_ca("Lab operators root", &lab_key);
	CHECK_INT(om_cert_save(at("tls/ca.pem"), om_ca_cert(lab)), 0);
	char tls_dir[600];
	snprintf(tls_dir, sizeof(tls_dir), "%s/tls", dir);
	pf_issue_tls(lab, tls_dir, "drf.sho-a.lab", "localhost");
	pf_issue_tls(lab, tls_dir, "drf.sho-c.lab", "localhost");
	pf_issue_tls(lab, tls_dir, "sho-b.lab", "localhost");
	pf_issue_tls(lab, tls_dir, "owners.sho-b.lab", "localhost");

	/* SHO-A's DRF: knows the device, SHO-B, and issued the owner a code */
	struct drf *d = drf_db();
	uint8_t *enc_der = NULL, *b_der = NULL;
	size_t enc_len = 0, b_len = 0;
	CHECK_INT(om_cert_encode(enc_cert, OM_ENC_DER, &enc_der, &enc_len), 0);
	CHECK_INT(om_cert_encode(sho_b_cert, OM_ENC_DER, &b_der, &b_len), 0);
	if (d) {
		CHECK_INT(drf_device_add(d, TRE_A, "001019000000001", now - 100, enc_der, enc_len, NULL, 0, OWNER, 0), 0);
		CHECK_INT(drf_operator_add(d, "SHO-B", b_der, b_len, now), 0);
		CHECK_INT(drf_transfer_code_issue(d, TRE_A, now, 0, code), 0);
		drf_close(d);
	}
	f = fopen(at("drf.conf"), "w");
	fprintf(f, "[drf]\ndb = %s\nsho_id = SHO-A\n", drf_store);
	fprintf(f, "signing_key = %s/cas/ro-signing.key\nsigning_cert = %s/cas/ro-signing.pem\n", dir, dir);
	fprintf(f, "tls_cert = %s/tls/drf.sho-a.lab.pem\ntls_key = %s/tls/drf.sho-a.lab.key\n", dir, dir);
	fprintf(f, "client_ca = %s/tls/ca.pem\npeers = SHO-B:sho-b.lab\n", dir);
	fprintf(f, "peer_certs = SHO-B:%s/tls/sho-b.lab.pem\n", dir);
	fprintf(f, "listen = 127.0.0.1\nport = 0\nlog_level = debug\n");
	fclose(f);
	unsigned drf_port;
	pid_t drf_pid = start("openmcim-drf", "drf.conf", "drf.log", &drf_port);

	/* SHO-C's DRF, standing in */
	struct om_http_tls ct = { .cert_file = NULL, .key_file = NULL, .require_client_cert = 1 };
	char c_cert[600], c_key[600], c_ca[600];
	snprintf(c_cert, sizeof(c_cert), "%s/tls/drf.sho-c.lab.pem", dir);
	snprintf(c_key, sizeof(c_key), "%s/tls/drf.sho-c.lab.key", dir);
	snprintf(c_ca, sizeof(c_ca), "%s/tls/ca.pem", dir);
	ct.cert_file = c_cert;
	ct.key_file = c_key;
	ct.client_ca_file = c_ca;
	struct om_http_opts co = { .tls = &ct };
	CHECK_MSG(om_http_server_new(&c_srv, &co, err, sizeof(err)) == 0, "%s", err);
	if (!c_srv || !drf_port)
		return check_done();
	CHECK_INT(om_http_route(c_srv, "POST", "/handover", drf_c_handover, NULL), 0);
	CHECK_INT(om_http_server_start(c_srv), 0);

	/* SHO-B's registration daemon, with one owner */
	struct sho *s = NULL;
	struct sho_config oc = { .db_path = sho_db };
	CHECK_INT(sho_open(&s, &oc, why, sizeof(why)), 0);
	CHECK_INT(sho_owner_add(s, OWNER, SECRET), 0);
	CHECK_INT(sho_owner_add(s, "fleet-2", "second owner secret"), 0);
	sho_close(s);
	f = kit_sho_b_conf(dir, sho_db, at("sho.conf"), url, sock, 1500);
	/* the internal socket makes the daemon open a second handle on its database (sho/main.c) */
	fprintf(f, "internal_socket = %s/sho-int/internal.sock\n", dir);
	fprintf(f, "admin_socket = %s/sho-adm/admin.sock\n", dir);
	fprintf(f, "[peer.SHO-A]\nurl = https://localhost:%u\nca = %s/tls/ca.pem\n", drf_port, dir);
	fprintf(f, "[peer.SHO-C]\nurl = https://localhost:%u/\nca = %s/tls/ca.pem\n",
		(unsigned)om_http_server_port(c_srv), dir);
	fclose(f);
	chmod(at("sho.conf"), 0600);
	pid_t sho_pid = start("openmcim-sho", "sho.conf", "sho.log", &sho_port);
	if (!sho_port)
		goto done;

	/* a wrong secret: 401, nothing registered */
	CHECK_INT(call("POST", "/register", "run/owner/delivery-note.csv", OWNER ":wrong secret here", out,
		       sizeof(out)), 401);
	CHECK_INT(call("GET", "/status/" TRE_A, NULL, "nobody:" SECRET, out, sizeof(out)), 401);
	CHECK_INT(sho_devices(), 0);

	check_claim_refused(note);

	/* the delivery note in one call; again: unchanged, same IMSIs */
	CHECK_INT(call("POST", "/register", "run/owner/delivery-note.csv", OWNER ":" SECRET, out, sizeof(out)), 200);
	CHECK_MSG(!strcmp(out, "tre_id,result,imsi_or_reason\n" TRE_A ",registered,001020000000001\n"
			       "TRE-00000002,registered,001020000000002\n"), "register: %s", out);
	CHECK_INT(call("POST", "/register", "run/owner/delivery-note.csv", OWNER ":" SECRET, out, sizeof(out)), 200);
	CHECK_MSG(!strcmp(out, "tre_id,result,imsi_or_reason\n" TRE_A ",unchanged,001020000000001\n"
			       "TRE-00000002,unchanged,001020000000002\n"), "repeat: %s", out);
	CHECK_INT(call("POST", "/register", "c-note.csv", OWNER ":" SECRET, out, sizeof(out)), 200);
	CHECK_INT(sho_devices(), 3);
	/* issue 16: the factory's note carries each device's model; the fleet filters by it (the c-note has none) */
	CHECK_INT(call("GET", "/api/v1/devices?model=" OM_FACTORY_DEFAULT_MODEL, NULL, OWNER ":" SECRET, out, sizeof(out)),
		  200);
	CHECK_INT(du_json_check(dir, out, "(.devices | map(.tre_id)) == [\"" TRE_A "\",\"TRE-00000002\"] and .total == 2 and"
					  " all(.devices[]; .model == \"" OM_FACTORY_DEFAULT_MODEL "\")"),
		  0);
	CHECK_INT(call("GET", "/api/v1/devices?model=M2ME-9", NULL, OWNER ":" SECRET, out, sizeof(out)), 200);
	CHECK_INT(du_json_check(dir, out, ".total == 0 and .devices == []"), 0);
	write_text("bad-note.csv", "tre_id,cert\nx\n");
	CHECK_INT(call("POST", "/register", "bad-note.csv", OWNER ":" SECRET, out, sizeof(out)), 400);
	CHECK_MSG(strstr(out, "reason=OM_ESHO_NOTE") && !strstr(out, dir), "bad note: %s", out);

	/* status: the owner's own devices only */
	CHECK_INT(call("GET", "/status/" TRE_A, NULL, OWNER ":" SECRET, out, sizeof(out)), 200);
	CHECK_MSG(strstr(out, "state=registered\nimsi=001020000000001\ncurrent_sho=SHO-A\n"), "status: %s", out);
	CHECK_INT(call("GET", "/status/" TRE_A, NULL, "fleet-2:second owner secret", out, sizeof(out)), 404);
	CHECK_INT(call("POST", "/handover/" TRE_A, "code", "fleet-2:second owner secret", out, sizeof(out)), 404);

	check_owner_added_after_a_fleet_query(sho_pid);

	/* a wrong code: refused by SHO-A's DRF with its reason; nothing changed there */
	write_text("wrong.code", "0000-0000-0000-0000\n");
	CHECK_INT(call("POST", "/handover/" TRE_A, "wrong.code", OWNER ":" SECRET, out, sizeof(out)), 409);
	CHECK_MSG(strstr(out, "result=refused tre_id=" TRE_A " request_id=") && strstr(out, " reason=OM_EDRF_CODE\n"),
		  "wrong code: %s", out);
	if ((d = drf_db())) {
		CHECK_INT(drf_device_status(d, TRE_A, (int64_t)time(NULL), &ds), 0);
		CHECK_INT(ds.handovers, 0);
		CHECK_INT(ds.codes_unused, 1);
		CHECK_INT(ds.ours, 1);
		drf_close(d);
	}
	CHECK_INT(call("GET", "/status/" TRE_A, NULL, OWNER ":" SECRET, out, sizeof(out)), 200);
	CHECK_MSG(strstr(out, "state=refused\n") && strstr(out, "reason=OM_EDRF_CODE\n"), "refused: %s", out);

	/* the right code: accepted and recorded on both sides; the same call again, the same answer */
	write_text("right.code", code);
	CHECK_INT(call("POST", "/handover/" TRE_A, "right.code", OWNER ":" SECRET, out, sizeof(out)), 200);
	CHECK_MSG(!strncmp(out, "result=accepted tre_id=" TRE_A " request_id=", 47), "accepted: %s", out);
	CHECK_INT(call("POST", "/handover/" TRE_A, "right.code", OWNER ":" SECRET, again, sizeof(again)), 200);
	CHECK_MSG(!strcmp(out, again), "again: %s vs %s", again, out);
	if ((d = drf_db())) {
		CHECK_INT(drf_device_status(d, TRE_A, (int64_t)time(NULL), &ds), 0);
		CHECK_INT(ds.handovers, 1);
		CHECK_INT(ds.codes_unused, 0);
		drf_close(d);
	}
	CHECK_INT(call("GET", "/status/" TRE_A, NULL, OWNER ":" SECRET, again, sizeof(again)), 200);
	CHECK_MSG(strstr(again, "state=handover_accepted\n") && strstr(again, out + 47), "status: %s", again);

	/* SHO-C's answer is lost: pending, then the retry resends the same bytes */
	write_text("c.code", C_CODE);
	CHECK_INT(call("POST", "/handover/" TRE_C, "c.code", OWNER ":" SECRET, out, sizeof(out)), 504);
	CHECK_MSG(strstr(out, "result=pending") && strstr(out, "reason=OM_ESHO_PEER_TRANSPORT"), "lost: %s", out);
	CHECK_INT(call("GET", "/status/" TRE_C, NULL, OWNER ":" SECRET, out, sizeof(out)), 200);
	CHECK_MSG(strstr(out, "state=handover_requested\n"), "pending: %s", out);
	du_nap_ms(1600); /* the stand-in's loop is busy with the late answer */
	CHECK_INT(call("POST", "/handover/" TRE_C, "c.code", OWNER ":" SECRET, out, sizeof(out)), 200);
	pthread_mutex_lock(&drf_c.lock);
	CHECK_INT(drf_c.calls, 2);
	CHECK_INT(drf_c.verified, 2);
	CHECK_INT(drf_c.client_ok, 2);
	CHECK_INT(drf_c.same, 1);
	char want[128];
	snprintf(want, sizeof(want), "result=accepted tre_id=" TRE_C " request_id=%s\n", drf_c.request_id);
	pthread_mutex_unlock(&drf_c.lock);
	CHECK_MSG(!strcmp(out, want), "retry: %s", out);

	uint8_t gen2[OM_CLAIM_LEN];
	check_resale(note, gen2);
	check_admin_tool();

done:
	CHECK_INT(du_term_wait(sho_pid, 10000), 0);
	CHECK_INT(du_term_wait(drf_pid, 10000), 0);
	{
		/* every secret an owner gave, as typed and folded, and every claim's bytes */
		char canon_a[DRF_CODE_TEXT_LEN + 1], canon_c[DRF_CODE_TEXT_LEN + 1], typed[4][OM_CLAIM_TEXT_LEN + 1];
		uint8_t raw[4][OM_CLAIM_LEN];
		CHECK_INT(om_base32_normalise(code, canon_a, OM_HANDOVER_CODE_CHARS), 0);
		CHECK_INT(om_base32_normalise(C_CODE, canon_c, OM_HANDOVER_CODE_CHARS), 0);
		memcpy(raw[0], note[0].claim, OM_CLAIM_LEN);
		memcpy(raw[1], note[1].claim, OM_CLAIM_LEN);
		memcpy(raw[2], gen2, OM_CLAIM_LEN);
		memcpy(raw[3], kt.claim, OM_CLAIM_LEN);
		for (int i = 0; i < 4; i++)
			om_claim_text(raw[i], typed[i]);
		const char *texts[] = { code, canon_a, C_CODE, canon_c, SECRET, "second owner secret",
					typed[0], typed[1], typed[2], typed[3] };
		check_no_secret_at_rest(texts, sizeof(texts) / sizeof(texts[0]), (const uint8_t(*)[OM_CLAIM_LEN])raw, 4);
	}
	size_t n = 0;
	char *log = (char *)check_slurp(at("sho.log"), &n);
	CHECK(log && strstr(log, " stopped ") && strstr(log, "sho-auth-refused") && strstr(log, "sho-handover"));
	CHECK_MSG(log && !strstr(log, code) && !strstr(log, C_CODE) && !strstr(log, SECRET),
		  "a secret reached the log");
	if (log && (check_failures() || getenv("OM_VERBOSE")))
		printf("---- sho.log\n%s----\n", log);
	free(log);
	if (check_failures()) {
		log = (char *)check_slurp(at("drf.log"), &n);
		printf("---- drf.log\n%s----\n", log ? log : "");
		free(log);
	}

	om_http_server_free(c_srv);
	hss_provision_stop();
	hss_close(hss);
	kit_ocsp_stop(ocsp);
	sho_devices_free(note, (size_t)n_note);
	kit_tre_free(&kt);
	om_pki_free(enc_der, enc_len);
	om_pki_free(b_der, b_len);
	X509_free(enc_cert);
	X509_free(sho_b_cert);
	X509_free(pva_cert);
	X509_free(ro_cert);
	EVP_PKEY_free(sho_b_key);
	EVP_PKEY_free(pva_key);
	EVP_PKEY_free(lab_key);
	EVP_PKEY_free(b_root_key);
	om_ca_free(pva);
	om_ca_free(lab);
	om_ca_free(b_root);
	kit_rm_rf(dir);
	return check_done();
}
