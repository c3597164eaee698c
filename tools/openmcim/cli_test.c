/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The built `openmcim` command ($OM_CLI) run as a process: every field it
 * prints for the TS 35.208 sets and the published AUTS example, exit 1 for
 * an AUTS that does not verify, exit 2 and a one-line message naming the
 * argument for each kind of usage error.
 */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "daemon_util.h"
#include "vectors.h"

struct run {
	int status; /* exit status, or -1 if the process did not exit normally */
	char out[8192];
	char err[8192];
};

/* Run $OM_CLI with args (NULL-terminated, args[0] the subcommand or NULL). */
static void run_cli(struct run *r, const char *const *args)
{
	const char *cli = getenv("OM_CLI");
	const char *argv[32];
	int n = 0;
	if (!cli) {
		fprintf(stderr, "OM_CLI is not set: run the test through ctest\n");
		exit(1);
	}
	argv[n++] = cli;
	for (; args[n - 1] && n < 31; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	r->status = du_run_split(argv, r->out, sizeof(r->out), r->err, sizeof(r->err));
}

/* The value of `name=` at the start of a line of out, or "" if absent. */
static const char *field(const char *out, const char *name, char *buf, size_t cap)
{
	size_t nl = strlen(name);
	for (const char *p = out; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
		if (!strncmp(p, name, nl) && p[nl] == '=') {
			size_t len = strcspn(p + nl + 1, "\n");
			if (len >= cap)
				len = cap - 1;
			memcpy(buf, p + nl + 1, len);
			buf[len] = 0;
			return buf;
		}
	}
	buf[0] = 0;
	return buf;
}

static int lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void expect_field(const struct run *r, const char *name, const char *want, int set)
{
	char got[128];
	field(r->out, name, got, sizeof(got));
	CHECK_MSG(strcmp(got, want) == 0, "set %d %s: got '%s', want '%s'", set, name, got, want);
}

static void milenage_prints_every_field_of_the_ts35208_sets(void)
{
	static const struct {
		const char *printed, *json;
	} fields[] = {
		{ "OPc", "OPc" },     { "MAC-A", "f1_MAC_A" }, { "MAC-S", "f1star_MAC_S" },
		{ "RES", "f2_RES" },  { "CK", "f3_CK" },       { "IK", "f4_IK" },
		{ "AK", "f5_AK" },    { "AK*", "f5star_AK" },  { "AUTN", "AUTN_with_AK" },
	};
	const cJSON *sets = vectors_list("milenage_TS35207", "test_sets"), *set;
	int n = 0;
	cJSON_ArrayForEach(set, sets)
	{
		int id = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(set, "test_set"));
		for (int use_op = 0; use_op < 2; use_op++) {
			const char *args[] = { "milenage",
					       "--k",	 vectors_str(set, "K"),
					       use_op ? "--op" : "--opc",
					       vectors_str(set, use_op ? "OP" : "OPc"),
					       "--rand", vectors_str(set, "RAND"),
					       "--sqn",	 vectors_str(set, "SQN"),
					       "--amf",	 vectors_str(set, "AMF"),
					       NULL };
			struct run r;
			run_cli(&r, args);
			CHECK_MSG(r.status == 0, "set %d: exit %d: %s", id, r.status, r.err);
			CHECK_MSG(r.err[0] == 0, "set %d: stderr '%s'", id, r.err);
			CHECK_INT(lines(r.out), 9);
			for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
				expect_field(&r, fields[i].printed, vectors_str(set, fields[i].json), id);
		}
		n++;
	}
	CHECK(n >= 6);
}

static void milenage_accepts_upper_case_and_equals_form(void)
{
	const cJSON *set = cJSON_GetArrayItem(vectors_list("milenage_TS35207", "test_sets"), 0);
	char k_upper[33], k_eq[40];
	snprintf(k_upper, sizeof(k_upper), "%s", vectors_str(set, "K"));
	for (char *p = k_upper; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	snprintf(k_eq, sizeof(k_eq), "--k=%s", k_upper);
	const char *args[] = { "milenage", k_eq, "--opc", vectors_str(set, "OPc"), "--rand",
			       vectors_str(set, "RAND"), "--sqn", vectors_str(set, "SQN"), "--amf",
			       vectors_str(set, "AMF"), NULL };
	struct run r;
	run_cli(&r, args);
	CHECK_INT(r.status, 0);
	expect_field(&r, "RES", vectors_str(set, "f2_RES"), 1);
}

static const cJSON *auts_example(void)
{
	return cJSON_GetArrayItem(vectors_list("milenage_auts_resync_examples", "vectors"), 0);
}

static void auts_recovers_sqn_ms(void)
{
	const cJSON *v = auts_example();
	const char *args[] = { "auts", "--k", vectors_str(v, "K"), "--opc", vectors_str(v, "OPc"), "--rand",
			       vectors_str(v, "RAND"), "--auts", vectors_str(v, "AUTS"), NULL };
	struct run r;
	run_cli(&r, args);
	CHECK_MSG(r.status == 0, "exit %d: %s", r.status, r.err);
	CHECK_INT(lines(r.out), 1);
	expect_field(&r, "SQN.MS", vectors_str(v, "expected_SQN_MS"), 0);
}

static void auts_exits_1_when_mac_s_does_not_verify(void)
{
	const cJSON *v = auts_example();
	char auts[29];
	/* a flipped bit in SQN_MS xor AK*, in MAC-S, and a wrong RAND */
	static const int flips[] = { 0, 11, 27 };
	for (size_t i = 0; i < 3; i++) {
		snprintf(auts, sizeof(auts), "%s", vectors_str(v, "AUTS"));
		auts[flips[i]] = auts[flips[i]] == '0' ? '1' : '0';
		const char *args[] = { "auts", "--k", vectors_str(v, "K"), "--opc", vectors_str(v, "OPc"),
				       "--rand", vectors_str(v, "RAND"), "--auts", auts, NULL };
		struct run r;
		run_cli(&r, args);
		CHECK_INT(r.status, 1);
		CHECK(r.out[0] == 0);
		CHECK_MSG(strstr(r.err, "MAC-S") != NULL && lines(r.err) == 1, "stderr '%s'", r.err);
	}
	char rand[33];
	snprintf(rand, sizeof(rand), "%s", vectors_str(v, "RAND"));
	rand[0] = rand[0] == '0' ? '1' : '0';
	const char *args[] = { "auts", "--k", vectors_str(v, "K"), "--opc", vectors_str(v, "OPc"), "--rand",
			       rand, "--auts", vectors_str(v, "AUTS"), NULL };
	struct run r;
	run_cli(&r, args);
	CHECK_INT(r.status, 1);
	CHECK(r.out[0] == 0);
}

/* args must exit 2 with nothing on stdout and one stderr line holding each of needles. */
static void usage_error(const char *const *args, const char *needle1, const char *needle2, int line)
{
	struct run r;
	run_cli(&r, args);
	check_record(r.status == 2, __FILE__, line, "exit status 2", "got %d (stderr '%s')", r.status, r.err);
	check_record(r.out[0] == 0, __FILE__, line, "nothing on stdout", "'%s'", r.out);
	check_record(lines(r.err) == 1 && strstr(r.err, needle1) && (!needle2 || strstr(r.err, needle2)),
		     __FILE__, line, "one line naming the argument", "stderr '%s'", r.err);
}

#define K "465b5ce8b199b49faa5f0a2ee238a6bc"
#define OPC "cd63cb71954a9f4e48a5994e37a02baf"
#define RAND "23553cbe9637a89d218ae64dae47bf35"
#define AUTS "4f2039392ddd4bb4316ed4a14688"
#define USAGE(needle1, needle2, ...)                                              \
	do {                                                                      \
		const char *const a_[] = { __VA_ARGS__, NULL };                   \
		usage_error(a_, (needle1), (needle2), __LINE__);                  \
	} while (0)

static void every_usage_error_exits_2_naming_the_argument(void)
{
	/* missing */
	USAGE("--k", NULL, "milenage", "--opc", OPC, "--rand", RAND, "--sqn", "000000000001", "--amf", "8000");
	USAGE("--rand", NULL, "milenage", "--k", K, "--opc", OPC, "--sqn", "000000000001", "--amf", "8000");
	USAGE("--sqn", NULL, "milenage", "--k", K, "--opc", OPC, "--rand", RAND, "--amf", "8000");
	USAGE("--amf", NULL, "milenage", "--k", K, "--opc", OPC, "--rand", RAND, "--sqn", "000000000001");
	USAGE("--op", "--opc", "milenage", "--k", K, "--rand", RAND, "--sqn", "000000000001", "--amf", "8000");
	USAGE("--auts", NULL, "auts", "--k", K, "--opc", OPC, "--rand", RAND);
	USAGE("--k", NULL, "auts", "--opc", OPC, "--rand", RAND, "--auts", AUTS);
	USAGE("--k", NULL, "milenage");
	/* duplicate */
	USAGE("--rand", "twice", "milenage", "--k", K, "--opc", OPC, "--rand", RAND, "--rand", RAND, "--sqn",
	      "000000000001", "--amf", "8000");
	USAGE("--k", "twice", "auts", "--k", K, "--k", K, "--opc", OPC, "--rand", RAND, "--auts", AUTS);
	/* unknown */
	USAGE("--foo", NULL, "milenage", "--k", K, "--foo", "00", "--opc", OPC);
	USAGE("-x", NULL, "auts", "-x");
	USAGE("argument 3", NULL, "auts", "--k", K, "stray");
	/* malformed */
	USAGE("--k", "hex", "milenage", "--k", "zz5b5ce8b199b49faa5f0a2ee238a6bc", "--opc", OPC, "--rand", RAND,
	      "--sqn", "000000000001", "--amf", "8000");
	USAGE("--k", "32", "milenage", "--k", "465b5ce8b199b49faa5f0a2ee238a6", "--opc", OPC, "--rand", RAND,
	      "--sqn", "000000000001", "--amf", "8000");
	USAGE("--sqn", "12", "milenage", "--k", K, "--opc", OPC, "--rand", RAND, "--sqn", "0000000001",
	      "--amf", "8000");
	USAGE("--amf", "4", "milenage", "--k", K, "--opc", OPC, "--rand", RAND, "--sqn", "000000000001",
	      "--amf", "80000");
	USAGE("--auts", "28", "auts", "--k", K, "--opc", OPC, "--rand", RAND, "--auts", "4f2039392ddd4bb4316ed4a146");
	USAGE("--opc", "hex", "auts", "--k", K, "--opc", "cd63cb71954a9f4e48a5994e37a02bag", "--rand", RAND,
	      "--auts", AUTS);
	USAGE("--rand", "needs a value", "auts", "--k", K, "--opc", OPC, "--rand");
	USAGE("--k", "needs a value", "auts", "--k", "--opc", OPC);
	/* both --op and --opc */
	USAGE("--op", "--opc", "milenage", "--k", K, "--op", OPC, "--opc", OPC, "--rand", RAND, "--sqn",
	      "000000000001", "--amf", "8000");
	USAGE("--op", "--opc", "auts", "--k", K, "--op", OPC, "--opc", OPC, "--rand", RAND, "--auts", AUTS);

	/* the dispatcher names an unknown command, then lists the commands */
	const char *const a[] = { "frobnicate", NULL };
	struct run r;
	run_cli(&r, a);
	CHECK_INT(r.status, 2);
	CHECK(r.out[0] == 0 && strstr(r.err, "'frobnicate'") != NULL);
}

static void errors_never_echo_a_key(void)
{
	const char *bad_k = "465b5ce8b199b49faa5f0a2ee238a6b";
	const char *const a1[] = { "milenage", "--k", bad_k, NULL };
	const char *const a2[] = { "milenage", K, NULL };
	struct run r;
	run_cli(&r, a1);
	CHECK_INT(r.status, 2);
	CHECK(strstr(r.err, "465b5ce8") == NULL);
	run_cli(&r, a2);
	CHECK_INT(r.status, 2);
	CHECK(strstr(r.err, "465b5ce8") == NULL);
}

static void help_prints_usage_and_exits_0(void)
{
	static const char *const cmds[][3] = {
		{ "milenage", "--help", NULL }, { "auts", "--help", NULL }, { "milenage", "-h", NULL },
		{ "--help", NULL, NULL },
	};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		struct run r;
		run_cli(&r, cmds[i]);
		CHECK_MSG(r.status == 0, "%s %s: exit %d", cmds[i][0], cmds[i][1] ? cmds[i][1] : "", r.status);
		CHECK(strstr(r.out, "usage:") != NULL);
		CHECK(r.err[0] == 0);
	}
	struct run r;
	const char *const a[] = { "milenage", "--help", NULL };
	run_cli(&r, a);
	const char *opts[] = { "--k", "--op", "--opc", "--rand", "--sqn", "--amf" };
	for (size_t i = 0; i < 6; i++)
		CHECK_MSG(strstr(r.out, opts[i]) != NULL, "usage lacks %s", opts[i]);
	const char *const none[] = { NULL };
	run_cli(&r, none);
	CHECK_INT(r.status, 2);
}

int main(void)
{
	milenage_prints_every_field_of_the_ts35208_sets();
	milenage_accepts_upper_case_and_equals_form();
	auts_recovers_sqn_ms();
	auts_exits_1_when_mac_s_does_not_verify();
	every_usage_error_exits_2_naming_the_argument();
	errors_never_echo_a_key();
	help_prints_usage_and_exits_0();
	return check_done();
}
