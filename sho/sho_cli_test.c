/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `openmcim sho-admin --socket`: owners from stdin secrets, status, list
 * across pages, and the exit statuses, against the SHO's admin socket
 * (sho_admin.h) served by the daemon's own code in this process. The
 * command never opens the database.
 */
#define _GNU_SOURCE /* memmem */
#include "sho_testkit.h"
#include "sho.h"
#include "sho_admin.h"
#include "daemon_util.h"
#include "store.h"

#define CLI_USAGE_STATUS 2

static char dir[] = "/tmp/om-sho-cli-XXXXXX";
static char sock[600];

/* Run the CLI with stdin_text on its stdin; returns the exit status. */
static int run(const char *stdin_text, const char *args, char *out, size_t cap)
{
	char cmd[1400], outp[600];
	snprintf(outp, sizeof(outp), "%s/out.txt", dir);
	snprintf(cmd, sizeof(cmd), "printf '%s' | '%s' sho-admin --socket '%s' %s > '%s' 2>/dev/null", stdin_text,
		 getenv("OM_CLI"), sock, args, outp);
	int st = system(cmd);
	size_t len = 0;
	unsigned char *t = check_slurp(outp, &len);
	snprintf(out, cap, "%s", t ? (char *)t : "");
	free(t);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static unsigned lines(const char *s)
{
	unsigned n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* n device rows of owner as a registration leaves them (a fixture: the test owns this database). */
static int add_rows(const char *db, const char *owner, unsigned n)
{
	char err[256], id[32], imsi[16];
	struct om_store *st = NULL;
	struct om_stmt *ins = NULL;
	int rc = om_store_open(db, &st, err, sizeof(err));
	if (rc == 0)
		rc = om_stmt_prepare(st, "INSERT INTO sho_device (tre_id, owner_id, current_sho, cert_sign, cert_enc,"
					 " content_hash, imsi, mid, sealed_mcim, state, created, updated)"
					 " VALUES (?1, ?2, 'RO', x'00', x'00', x'00', ?3, x'00', x'00', 'registered', 1, 1)",
				     &ins);
	if (rc == 0)
		rc = om_store_begin(st, OM_STORE_LAZY);
	for (unsigned i = 1; rc == 0 && i <= n; i++) {
		snprintf(id, sizeof(id), "TRE-%08u", i);
		snprintf(imsi, sizeof(imsi), "00102%010u", i);
		rc = om_stmt_exec(ins, OM_BIND(OM_TEXT(id), OM_TEXT(owner), OM_TEXT(imsi)));
	}
	if (rc == 0)
		rc = om_store_commit(st);
	om_store_rollback(st);
	om_stmt_finalize(ins);
	om_store_close(st);
	return rc;
}

int main(void)
{
	static char out[1 << 20];
	char why[256], path[600];
	static struct sho_admin admin;
	struct sho *s = NULL;
	if (!getenv("OM_CLI") || !mkdtemp(dir)) {
		fprintf(stderr, "OM_CLI not set (run through ctest)\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/sho.db", dir);
	snprintf(sock, sizeof(sock), "%s/admin/admin.sock", dir);
	struct sho_config oc = { .db_path = path };
	CHECK_INT(sho_open(&s, &oc, why, sizeof(why)), 0);
	CHECK_MSG(s && sho_admin_start(&admin, s, sock, why, sizeof(why)) == 0, "%s", why);
	if (!s || !admin.sock)
		return check_done();

	CHECK_INT(run("a long owner secret\\n", "owner add fleet-9", out, sizeof(out)), 0);
	CHECK_INT(run("a long owner secret\\n", "owner add fleet-9", out, sizeof(out)), 1); /* exists */
	CHECK_INT(run("short\\n", "owner add fleet-10", out, sizeof(out)), 1);
	CHECK_INT(run("", "owner add fleet-11", out, sizeof(out)), 1); /* no secret */
	/* the secret was taken whole, spaces and all: the owner signs in with it */
	CHECK_INT(sho_owner_check(s, "fleet-9", "a long owner secret"), 0);
	CHECK_INT(run("", "status TRE-00000001", out, sizeof(out)), 1);
	CHECK_INT(run("", "list", out, sizeof(out)), 0);
	CHECK_INT(strlen(out), 0);
	CHECK_INT(run("", "frobnicate", out, sizeof(out)), CLI_USAGE_STATUS);
	CHECK_INT(run("", "register --owner fleet-9 --note x.csv", out, sizeof(out)), CLI_USAGE_STATUS);
	CHECK_INT(system("\"$OM_CLI\" sho-admin --db x.db list > /dev/null 2>&1") >> 8, CLI_USAGE_STATUS); /* --db is gone */

	/* more devices than one page: list walks every page, in order, each device once */
	unsigned n_dev = SHO_ADMIN_PAGE + 7;
	CHECK_INT(add_rows(path, "fleet-9", n_dev), 0);
	CHECK_INT(run("", "list", out, sizeof(out)), 0);
	CHECK_INT(lines(out), n_dev);
	CHECK_INT(run("", "list --owner fleet-9", out, sizeof(out)), 0);
	CHECK_INT(lines(out), n_dev);
	CHECK_INT(run("", "list --owner nobody", out, sizeof(out)), 0);
	CHECK_INT(lines(out), 0);
	CHECK_INT(run("", "status TRE-00000001", out, sizeof(out)), 0);
	CHECK_MSG(!strncmp(out, "TRE-00000001 owner=fleet-9 imsi=", 32) && strstr(out, " state=registered "),
		  "status: %s", out);
	/* --json (issue 15): the status, and every page of the list, as one JSON object */
	CHECK_INT(run("", "--json status TRE-00000001", out, sizeof(out)), 0);
	static const char status_head[] = "{\"ok\":true,\"items\":[{\"words\":[\"TRE-00000001\"],\"owner\":\"fleet-9\",";
	static const char list_head[] = "{\"ok\":true,\"items\":[{", error_head[] = "{\"ok\":false,\"error\":\"OM_ESHO_";
	CHECK_MSG(!strncmp(out, status_head, sizeof(status_head) - 1) &&
			  strstr(out, "\"state\":\"registered\""),
		  "json status: %s", out);
	CHECK_INT(run("", "--json list --owner fleet-9", out, sizeof(out)), 0);
	unsigned objects = 0;
	for (const char *p = out; (p = strstr(p, "\"owner\":\"fleet-9\"")); p++)
		objects++;
	CHECK_MSG(!strncmp(out, list_head, sizeof(list_head) - 1) && objects == n_dev && lines(out) == 1,
		  "json list: %u objects of %u, %u lines", objects, n_dev, lines(out));
	CHECK_INT(run("", "--json status TRE-NOBODY", out, sizeof(out)), 1);
	CHECK_MSG(!strncmp(out, error_head, sizeof(error_head) - 1), "json error: %s", out);

	/*
	 * Issue 13: only root and the SHO's uid are heard (SO_PEERCRED). nobody, from a forked child, is
	 * stopped by the 0700 directory, and with the directory and socket opened still refused with
	 * OM_EPERM; the owner it tried to add does not exist after (root adds it now).
	 */
	if (geteuid() == 0) {
		char sock_dir[600];
		snprintf(sock_dir, sizeof(sock_dir), "%s/admin", dir);
		CHECK_INT(du_as_nobody(sock, "owner-add fleet-x an intruder's secret\n"), 20);
		CHECK_INT(chmod(dir, 0711), 0);
		CHECK_INT(chmod(sock_dir, 0711), 0);
		CHECK_INT(chmod(sock, 0666), 0);
		CHECK_INT(du_as_nobody(sock, "owner-add fleet-x an intruder's secret\n"), 30);
		CHECK_INT(chmod(sock, 0600), 0);
		CHECK_INT(chmod(sock_dir, 0700), 0);
		CHECK_INT(chmod(dir, 0700), 0);
		CHECK_INT(run("the real owner secret\n", "owner add fleet-x", out, sizeof(out)), 0);
	} else {
		printf("NOTE: not root: the setuid(65534) peer test needs root\n");
	}

	/* the secret never lands in the database in the clear */
	size_t len = 0;
	unsigned char *db = check_slurp(path, &len);
	CHECK(db != NULL && memmem(db, len, "a long owner secret", 19) == NULL);
	free(db);
	sho_admin_stop(&admin);
	sho_close(s);
	kit_rm_rf(dir);
	return check_done();
}
