/* SPDX-License-Identifier: Apache-2.0 */
/* `openmcim sho-admin`: owners from stdin secrets, status, list, and the exit statuses. */
#define _GNU_SOURCE /* memmem */
#include "sho_testkit.h"
#include "sho.h"

#define CLI_USAGE_STATUS 2

static char dir[] = "/tmp/om-sho-cli-XXXXXX";

/* Run the CLI with stdin_text on its stdin; returns the exit status. */
static int run(const char *stdin_text, const char *args, char *out, size_t cap)
{
	char cmd[1024], outp[600];
	snprintf(outp, sizeof(outp), "%s/out.txt", dir);
	snprintf(cmd, sizeof(cmd), "printf '%s' | '%s' sho-admin %s > '%s' 2>/dev/null", stdin_text, getenv("OM_CLI"),
		 args, outp);
	int st = system(cmd);
	size_t len = 0;
	unsigned char *t = check_slurp(outp, &len);
	snprintf(out, cap, "%s", t ? (char *)t : "");
	free(t);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int main(void)
{
	char args[800], out[4096];
	if (!getenv("OM_CLI") || !mkdtemp(dir)) {
		fprintf(stderr, "OM_CLI not set (run through ctest)\n");
		return 1;
	}
	snprintf(args, sizeof(args), "--db %s/sho.db owner add fleet-9", dir);
	CHECK_INT(run("a long owner secret\\n", args, out, sizeof(out)), 0);
	CHECK_INT(run("a long owner secret\\n", args, out, sizeof(out)), 1); /* exists */
	snprintf(args, sizeof(args), "--db %s/sho.db owner add fleet-10", dir);
	CHECK_INT(run("short\\n", args, out, sizeof(out)), 1);
	snprintf(args, sizeof(args), "--db %s/sho.db status TRE-00000001", dir);
	CHECK_INT(run("", args, out, sizeof(out)), 1);
	snprintf(args, sizeof(args), "--db %s/sho.db list", dir);
	CHECK_INT(run("", args, out, sizeof(out)), 0);
	CHECK_INT(strlen(out), 0);
	snprintf(args, sizeof(args), "--db %s/sho.db register --owner fleet-9 --note x.csv", dir);
	CHECK_INT(run("", args, out, sizeof(out)), CLI_USAGE_STATUS);
	snprintf(args, sizeof(args), "--db %s/sho.db frobnicate", dir);
	CHECK_INT(run("", args, out, sizeof(out)), CLI_USAGE_STATUS);
	/* the secret never lands in the database in the clear */
	char path[600];
	size_t len = 0;
	snprintf(path, sizeof(path), "%s/sho.db", dir);
	unsigned char *db = check_slurp(path, &len);
	CHECK(db != NULL && memmem(db, len, "a long owner secret", 19) == NULL);
	free(db);
	kit_rm_rf(dir);
	return check_done();
}
