/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Provisioning: the PCID import, the socket's permissions and peer check,
 * the exact answer codes (docs/hss.md "Provisioning"), the CLI.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon_util.h"
#include "hss_test_util.h"
#include "provision.h"

static char dir[] = "/tmp/om_prov_test_XXXXXX";
static char db[300], sock[400], sockdir[300];

static long long subs(void)
{
	return t_sql_int(db, "SELECT COUNT(*) FROM subscriber");
}

static int import(struct hss *h, const char *text, char *why, size_t wl)
{
	char path[400], line[600];
	snprintf(path, sizeof(path), "%s/pcids.csv", dir);
	du_write_file(path, text);
	snprintf(line, sizeof(line), "import %s apn=provisioning roaming=any", path);
	why[0] = '\0';
	return hss_admin_exec(h, line, t_ignore, NULL, why, wl);
}

#define ROW1 "001010000000101," T_K "," T_OPC ",8000\n"
#define ROW2 "001010000000102," T_K "," T_OPC ",8000\n"
#define ROW3 "001010000000103," T_K "," T_OPC ",8000\n"

static void import_is_all_or_nothing(struct hss *h)
{
	char why[512];
	long long before = subs();
	CHECK_INT(import(h, "imsi,k,opc,amf\n" ROW1 "00101000000010x," T_K "," T_OPC ",8000\n" ROW3, why,
			 sizeof(why)),
		  OM_EHSS_IMPORT);
	CHECK_MSG(strstr(why, "line 3") != NULL, "why: %s", why);
	CHECK_INT(subs(), before);
	CHECK_INT(import(h, "imsi,k,opc,amf\n" ROW1 ROW2 "001010000000103," T_K ",zz,8000\n", why, sizeof(why)),
		  OM_EHSS_IMPORT);
	CHECK_MSG(strstr(why, "line 4") != NULL, "why: %s", why);
	CHECK_INT(import(h, "imsi,k,op,amf\n" ROW1, why, sizeof(why)), OM_EHSS_IMPORT);
	CHECK_MSG(strstr(why, "line 1") != NULL, "why: %s", why);
	CHECK_INT(import(h, "imsi,k,opc,amf\n" ROW1 ROW1, why, sizeof(why)), OM_EHSS_IMPORT); /* duplicate */
	CHECK_MSG(strstr(why, "line 3") != NULL, "why: %s", why);
	CHECK_INT(import(h, "imsi,k,opc,amf\n" ROW1 "001010000000102," T_K "," T_OPC ",8000,extra\n", why,
			 sizeof(why)),
		  OM_EHSS_IMPORT);
	CHECK_INT(import(h, "imsi,k,opc,amf\n", why, sizeof(why)), OM_EHSS_IMPORT);
	CHECK_INT(subs(), before);

	CHECK_INT(import(h, "imsi,k,opc,amf\r\n" ROW1 ROW2 ROW3, why, sizeof(why)), 0);
	CHECK_INT(subs(), before + 3);
	CHECK_INT(t_sql_int(db, "SELECT COUNT(*) FROM subscriber s JOIN apn a ON a.imsi = s.imsi"
				" WHERE a.name = 'provisioning' AND s.roaming_any = 1"),
		  3);
	/* a PCID attaches wherever it wakes up */
	struct om_eutran_vector v;
	const uint8_t far[3] = { 0x62, 0xf2, 0x10 };
	CHECK_INT(hss_auth_info(h, "001010000000102", far, "mme.far.lab", 1, NULL, &v), 1);
}

static void stores_opc_derived_from_op_and_never_op(struct hss *h)
{
	const char *op = "cdc202d5123e20f62b6d676ac72cb318";
	uint8_t k[16], opb[16], opc[16];
	char want[33], q[200];
	CHECK_INT(om_hex_decode(k, 16, T_K), 0);
	CHECK_INT(om_hex_decode(opb, 16, op), 0);
	CHECK_INT(om_milenage_opc(opc, k, opb), 0);
	om_hex_encode(want, opc, 16);
	char line[400];
	snprintf(line, sizeof(line), "add 001010000000200 k=%s op=%s amf=8000 apn=internet roaming=00101", T_K, op);
	CHECK_INT(t_admin(h, line), 0);
	snprintf(q, sizeof(q), "SELECT %s = '%s' FROM subscriber WHERE imsi = '001010000000200'",
		 t_store_is_pg() ? "encode(opc, 'hex')" : "lower(hex(opc))", want);
	CHECK_INT(t_sql_int(db, q), 1);
	/* the TS 35.208 set 1 OPc is what OP gives */
	CHECK(!strcmp(want, T_OPC));
	/* refusals leave the rows alone */
	char *before = t_dump(db);
	CHECK_INT(t_admin(h, "add 001010000000200 k=" T_K " opc=" T_OPC " amf=8000 apn=a roaming=any"),
		  OM_EHSS_EXISTS);
	CHECK_INT(t_admin(h, "add 001010000000201 k=" T_K " op=" T_OPC " opc=" T_OPC " amf=8000 apn=a roaming=any"),
		  OM_EHSS_COMMAND);
	CHECK_INT(t_admin(h, "add 001010000000201 k=12 opc=" T_OPC " amf=8000 apn=a roaming=any"), OM_EHSS_KEY);
	CHECK_INT(t_admin(h, "add 001010000000201 k=" T_K " opc=" T_OPC " amf=8000 apn=a roaming=0010"),
		  OM_EHSS_PROFILE);
	CHECK_INT(t_admin(h, "add 001010000000201 k=" T_K " opc=" T_OPC " amf=8000 apn=a"), OM_EHSS_COMMAND);
	CHECK_INT(t_admin(h, "change 001010000000200 ambr=5"), OM_EHSS_PROFILE);
	CHECK_INT(t_admin(h, "change 001010000000999 status=suspended"), OM_EHSS_NOT_FOUND);
	CHECK_INT(t_admin(h, "delete 001010000000999"), OM_EHSS_NOT_FOUND);
	CHECK_INT(t_admin(h, "frobnicate 001010000000200"), OM_EHSS_COMMAND);
	char *after = t_dump(db);
	CHECK(before && after && !strcmp(before, after));
	free(before);
	free(after);
}

/* Run the CLI with args; its stdout into out. Returns the exit status (or -1). */
static int cli(char *out, size_t out_len, const char *const *args)
{
	const char *exe = getenv("OM_CLI");
	const char *argv[20];
	int n = 0;
	if (!exe)
		return -1;
	argv[n++] = exe;
	argv[n++] = "hss-admin";
	argv[n++] = "--socket";
	argv[n++] = sock;
	for (int i = 0; args[i] && n < 19; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return du_run(argv, 0, out, out_len);
}

static void cli_adds_changes_suspends_and_deletes(void)
{
	char out[4096];
	if (!getenv("OM_CLI")) {
		CHECK_MSG(0, "OM_CLI is not set: the CLI test cannot run");
		return;
	}
	const char *add[] = { "add", "001010000000300", "k=" T_K, "opc=" T_OPC, "amf=8000", "apn=internet",
			      "roaming=00101,00102", NULL };
	CHECK_INT(cli(out, sizeof(out), add), 0);
	CHECK_INT(subs() > 0, 1);
	CHECK_INT(t_sql_int(db, "SELECT COUNT(*) FROM roaming WHERE imsi = '001010000000300'"), 2);
	const char *change[] = { "change", "001010000000300", "apn=internet,ims", "ambr=100/200", "roaming=any", NULL };
	CHECK_INT(cli(out, sizeof(out), change), 0);
	CHECK_INT(t_sql_int(db, "SELECT roaming_any + ambr_ul FROM subscriber WHERE imsi = '001010000000300'"), 101);
	const char *suspend[] = { "suspend", "001010000000300", NULL };
	CHECK_INT(cli(out, sizeof(out), suspend), 0);
	const char *show[] = { "show", "001010000000300", NULL };
	CHECK_INT(cli(out, sizeof(out), show), 0);
	CHECK_MSG(strstr(out, "status=suspended") && strstr(out, "apn=internet,ims") && strstr(out, "roaming=any"),
		  "show: %s", out);
	CHECK_MSG(!strstr(out, T_K) && !strstr(out, T_OPC) && !strstr(out, "465B5CE8"), "show leaks a key: %s", out);
	/* clone and rollback counters (hss_clone_test makes real ones) through show and status */
	CHECK_MSG(strstr(out, "events sqn_ahead=0 two_mme=0"), "show: %s", out);
	const char *status[] = { "status", NULL };
	CHECK_INT(cli(out, sizeof(out), status), 0);
	CHECK_MSG(strstr(out, "flagged=0 sqn_ahead_events=0 two_mme_events=0") && !strstr(out, "flagged imsi"),
		  "status: %s", out);
	CHECK_INT(t_sql_exec(db, "UPDATE subscriber SET two_mme_events = 2, sqn_ahead_events = 1,"
				 " last_event = 'two-mme', last_event_at = 1234 WHERE imsi = '001010000000300'"),
		  0);
	CHECK_INT(cli(out, sizeof(out), show), 0);
	CHECK_MSG(strstr(out, "events sqn_ahead=1 two_mme=2 last=two-mme at=1234"), "show: %s", out);
	CHECK_INT(cli(out, sizeof(out), status), 0);
	CHECK_MSG(strstr(out, "suspended=1 flagged=1 sqn_ahead_events=1 two_mme_events=2 clone_policy=report") &&
			  strstr(out, "flagged imsi=001010000000300 status=suspended sqn_ahead=1 two_mme=2 last=two-mme at=1234"),
		  "status: %s", out);
	const char *status_x[] = { "status", "001010000000300", NULL };
	CHECK_INT(cli(out, sizeof(out), status_x), 1); /* status takes no argument */
	/* list and --json (issue 15): every subscriber in IMSI order; a page past the last is empty */
	const char *list[] = { "list", NULL };
	CHECK_INT(cli(out, sizeof(out), list), 0);
	CHECK_MSG(strstr(out, "imsi=001010000000300 status=suspended sqn_ahead=1 two_mme=2\n") != NULL, "list: %s", out);
	CHECK_MSG(!strstr(out, T_K) && !strstr(out, T_OPC), "list leaks a key: %s", out);
	const char *list_after[] = { "list", "after=001010000000300", NULL };
	CHECK_INT(cli(out, sizeof(out), list_after), 0);
	CHECK_MSG(!strstr(out, "imsi=001010000000300"), "list after: %s", out);
	const char *list_bad[] = { "list", "after=x", NULL };
	CHECK_INT(cli(out, sizeof(out), list_bad), 1);
	const char *json[] = { "--json", "show", "001010000000300", NULL };
	CHECK_INT(cli(out, sizeof(out), json), 0);
	CHECK_MSG(!strncmp(out, "{\"ok\":true,\"items\":[{\"imsi\":\"001010000000300\",\"status\":\"suspended\"", 66) &&
			  strstr(out, "{\"words\":[\"events\"],\"sqn_ahead\":\"1\",\"two_mme\":\"2\""),
		  "json: %s", out);
	CHECK_INT(du_json_check(dir, out,
				".ok and .items[0].imsi == \"001010000000300\" and .items[0].status == \"suspended\" and"
				" (.items[0] | has(\"k\") or has(\"opc\") | not)"),
		  0);
	/* the key test above looks at one item's names only: the values, in any item, are looked for too */
	CHECK_MSG(!strstr(out, T_K) && !strstr(out, T_OPC) && !strstr(out, "465B5CE8"), "json show leaks a key: %s", out);
	const char *list_json[] = { "--json", "list", NULL };
	CHECK_INT(cli(out, sizeof(out), list_json), 0);
	CHECK_INT(du_json_check(dir, out,
				".ok and (.items | length) >= 1 and (.items | map(.imsi)) == (.items | map(.imsi) | sort) and"
				" any(.items[]; .imsi == \"001010000000300\" and .status == \"suspended\")"),
		  0);
	CHECK_MSG(!strstr(out, T_K) && !strstr(out, T_OPC) && !strstr(out, "465B5CE8"), "json list leaks a key: %s", out);
	const char *del[] = { "delete", "001010000000300", NULL };
	CHECK_INT(cli(out, sizeof(out), del), 0);
	CHECK_INT(t_sql_int(db, "SELECT COUNT(*) FROM subscriber WHERE imsi = '001010000000300'"), 0);
	CHECK_INT(t_sql_int(db, "SELECT COUNT(*) FROM apn WHERE imsi = '001010000000300'"), 0);
	CHECK_INT(cli(out, sizeof(out), show), 1); /* refused: no such subscriber */
	const char *bad[] = { "frobnicate", "x", NULL };
	CHECK_INT(cli(out, sizeof(out), bad), 2);
	const char *none[] = { NULL };
	CHECK_INT(cli(out, sizeof(out), none), 2);
	/* import through the CLI, with a relative path resolved by the client */
	char path[400];
	snprintf(path, sizeof(path), "%s/cli.csv", dir);
	du_write_file(path, "imsi,k,opc,amf\n001010000000401," T_K "," T_OPC ",8000\n");
	const char *imp[] = { "import", path, "apn=provisioning", "roaming=any", NULL };
	CHECK_INT(cli(out, sizeof(out), imp), 0);
	CHECK_MSG(strstr(out, "imported=1") != NULL, "import: %s", out);
}

/* Send text (command lines) on one connection, read everything answered into out. */
static void transcript(const char *text, char *out, size_t cap)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = 0;
	ssize_t r;
	out[0] = '\0';
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CHECK(send(fd, text, strlen(text), MSG_NOSIGNAL) == (ssize_t)strlen(text));
	shutdown(fd, SHUT_WR);
	while (len + 1 < cap && (r = read(fd, out + len, cap - 1 - len)) > 0)
		len += (size_t)r;
	out[len] = '\0';
	close(fd);
}

/* Every answer's final line is "ok" or "error <OM_E name> <reason>": the exact codes, unknown commands included. */
static void answers_carry_their_code(void)
{
	static const char *ask =
		"frobnicate 001010000000600\n"
		"delete\n"
		"delete 00101x\n"
		"delete 001010000000999\n"
		"change 001010000000999 ambr=5\n"
		"change 001010000000999 status=suspended\n"
		"add 001010000000600 k=12 opc=" T_OPC " amf=8000 apn=a roaming=any\n"
		"add 001010000000600 k=" T_K " opc=" T_OPC " amf=8000 apn=a roaming=any\n"
		"add 001010000000600 k=" T_K " opc=" T_OPC " amf=8000 apn=a roaming=any\n"
		"suspend 001010000000600 now\n"
		"status all\n"
		"import /nonexistent/pcids.csv apn=a roaming=any\n"
		"delete 001010000000600\n"
		"delete 001010000000600\n";
	static const char *want =
		"error OM_EHSS_COMMAND unknown command 'frobnicate'\n"
		"error OM_EHSS_COMMAND expected: <command> <imsi|file> [name=value ...]\n"
		"error OM_EHSS_IMSI '00101x' is not an IMSI (6..15 digits)\n"
		"error OM_EHSS_NOT_FOUND no subscriber 001010000000999\n"
		"error OM_EHSS_PROFILE ambr= is UL/DL in bit/s\n"
		"error OM_EHSS_NOT_FOUND no subscriber 001010000000999\n"
		"error OM_EHSS_KEY K is not 32 hex digits\n"
		"ok\n"
		"error OM_EHSS_EXISTS subscriber 001010000000600 already exists\n"
		"error OM_EHSS_COMMAND suspend takes only an IMSI\n"
		"error OM_EHSS_COMMAND status takes no argument\n"
		"error OM_EIO /nonexistent/pcids.csv: No such file or directory\n"
		"ok\n"
		"error OM_EHSS_NOT_FOUND no subscriber 001010000000600\n";
	char out[4096];
	long long before = subs();
	transcript(ask, out, sizeof(out));
	CHECK_MSG(!strcmp(out, want), "got:\n%s", out);
	CHECK_INT(subs(), before);
	/* show: data lines, then ok */
	transcript("add 001010000000601 k=" T_K " opc=" T_OPC " amf=8000 apn=a roaming=any\nshow 001010000000601\n"
		   "delete 001010000000601\n",
		   out, sizeof(out));
	CHECK_MSG(!strncmp(out, "ok\ndata imsi=001010000000601 status=active ", 43) &&
			  strlen(out) > 6 && !strcmp(out + strlen(out) - 6, "ok\nok\n"),
		  "show: %s", out);
	/* the CLI prints the reason and the code */
	const char *exe = getenv("OM_CLI");
	char so[256], se[512];
	const char *argv[] = { exe, "hss-admin", "--socket", sock, "delete", "001010000000601", NULL };
	CHECK_INT(exe ? du_run_split(argv, so, sizeof(so), se, sizeof(se)) : -1, 1);
	CHECK_MSG(strstr(se, "no subscriber 001010000000601 (OM_EHSS_NOT_FOUND)") != NULL, "stderr: %s", se);
}

/* As uid 65534: connect and send an add (du_as_nobody() for what the result means). */
static int as_nobody(void)
{
	return du_as_nobody(sock, "add 001010000000500 k=" T_K " opc=" T_OPC " amf=8000 apn=a roaming=any\n");
}

static void socket_is_private_and_refuses_other_uids(void)
{
	struct stat st;
	CHECK_INT(stat(sock, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	CHECK_INT(stat(sockdir, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0700);
	CHECK(hss_provision_peer_allowed(0, 1000));
	CHECK(hss_provision_peer_allowed(1000, 1000));
	CHECK(!hss_provision_peer_allowed(65534, 1000));
	CHECK(!hss_provision_peer_allowed(65534, 0));
	if (geteuid() != 0) {
		printf("NOTE: not root: the setuid(65534) peer test needs root; only the decision was tested\n");
		return;
	}
	long long before = subs();
	CHECK_INT(as_nobody(), 20); /* the 0700 directory stops it first */
	/* a careless operator opens the directory and socket: SO_PEERCRED still refuses */
	CHECK_INT(chmod(dir, 0711), 0); /* the mkdtemp directory above it too */
	CHECK_INT(chmod(sockdir, 0711), 0);
	CHECK_INT(chmod(sock, 0666), 0);
	CHECK_INT(as_nobody(), 30);
	CHECK_INT(chmod(dir, 0700), 0);
	CHECK_INT(chmod(sockdir, 0700), 0);
	CHECK_INT(chmod(sock, 0600), 0);
	CHECK_INT(subs(), before);
}

static void refuses_a_socket_directory_open_to_others(struct hss *h)
{
	char d[400], p[420], err[256] = "";
	snprintf(d, sizeof(d), "%s/open", dir);
	CHECK_INT(mkdir(d, 0755), 0);
	CHECK_INT(chmod(d, 0755), 0);
	snprintf(p, sizeof(p), "%s/hss.sock", d);
	hss_provision_stop();
	CHECK_INT(hss_provision_start(h, p, err, sizeof(err)), -1);
	CHECK_MSG(strstr(err, "0700") != NULL, "err: %s", err);
}

int main(void)
{
	char err[256] = "";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	if (t_store_conf(dir, "hss.db", db, sizeof(db)) < 0) {
		fprintf(stderr, "no database\n");
		return 1;
	}
	snprintf(sockdir, sizeof(sockdir), "%s/run", dir);
	snprintf(sock, sizeof(sock), "%s/hss.sock", sockdir);
	struct hss_config cfg = { .db_path = db };
	struct hss *h = hss_open(&cfg, err, sizeof(err));
	CHECK_MSG(h != NULL, "%s", err);
	if (!h)
		return check_done();
	import_is_all_or_nothing(h);
	stores_opc_derived_from_op_and_never_op(h);
	CHECK_MSG(hss_provision_start(h, sock, err, sizeof(err)) == 0, "%s", err);
	socket_is_private_and_refuses_other_uids();
	answers_carry_their_code();
	cli_adds_changes_suspends_and_deletes();
	refuses_a_socket_directory_open_to_others(h);
	hss_provision_stop();
	hss_close(h);
	du_rm_rf(dir);
	return check_done();
}
