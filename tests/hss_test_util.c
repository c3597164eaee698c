/* SPDX-License-Identifier: Apache-2.0 */
/* The helpers of hss_test_util.h (a test kit compiled once, in libomtest). */
#include "hss_test_util.h"

void t_ignore(void *ctx, const char *line)
{
	(void)ctx;
	(void)line;
}

void t_collect(void *ctx, const char *line)
{
	char *b = ctx;
	size_t n = strlen(b);
	snprintf(b + n, T_COLLECT_MAX - n, "%s\n", line);
}

int t_admin(struct hss *h, const char *cmd)
{
	char line[1024], why[512] = "";
	snprintf(line, sizeof(line), "%s", cmd);
	int rc = hss_admin_exec(h, line, t_ignore, NULL, why, sizeof(why));
	if (rc < 0)
		fprintf(stderr, "  (admin '%.40s...': %s)\n", cmd, why);
	return rc;
}

char *t_dump(const char *db_path)
{
#define T_SUB_COLS(HEX_K, HEX_OPC, HEX_AMF, HEX_PLMN)                                                      \
	"SELECT imsi, " HEX_K ", " HEX_OPC ", " HEX_AMF ", algorithm, ind_bits, sqn, seq_reserved, status,"  \
	" roaming_any, ambr_ul, ambr_dl, resync_count, resync_window_start, serving_host, " HEX_PLMN ","     \
	" serving_since, previous_host, previous_until, sqn_ahead_events,"                                    \
	" two_mme_events, last_event, last_event_at FROM subscriber ORDER BY imsi"
	static const struct {
		struct om_store_sql q;
		int cols;
	} q[] = {
		{ { T_SUB_COLS("hex(k)", "hex(opc)", "hex(amf)", "hex(serving_plmn)"),
		    T_SUB_COLS("upper(encode(k, 'hex'))", "upper(encode(opc, 'hex'))", "upper(encode(amf, 'hex'))",
			       "upper(encode(serving_plmn, 'hex'))") },
		  23 },
		{ { "SELECT imsi, context_id, name FROM apn ORDER BY imsi, context_id", NULL }, 3 },
		{ { "SELECT imsi, hex(plmn) FROM roaming ORDER BY imsi, plmn",
		    "SELECT imsi, upper(encode(plmn, 'hex')) FROM roaming ORDER BY imsi, plmn" },
		  2 },
		{ { "SELECT ind, origin_host FROM ind ORDER BY ind", NULL }, 2 },
	};
#undef T_SUB_COLS
	struct om_store *db = NULL;
	char err[256];
	size_t cap = 1 << 16, len = 0;
	char *out = calloc(1, cap);
	if (!out || om_store_open(db_path, &db, err, sizeof(err)) < 0) {
		CHECK_MSG(0, "t_dump: %s", err);
		goto out;
	}
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		struct om_stmt *st = NULL;
		if (om_stmt_prepare_sql(db, &q[i].q, &st) < 0) {
			/* a dump that silently lost a table would make every before/after check vacuous */
			CHECK_MSG(0, "t_dump: %s", om_store_errmsg(db));
			continue;
		}
		while (om_stmt_step(st) == OM_STORE_ROW) {
			for (int c = 0; c < q[i].cols; c++) {
				const char *t = om_stmt_col_is_null(st, c) ? "NULL" : om_stmt_col_text(st, c);
				int n = snprintf(out + len, cap - len, "%s|", t);
				if (n > 0 && (size_t)n < cap - len)
					len += (size_t)n;
			}
			if (len + 1 < cap)
				out[len++] = '\n';
		}
		om_stmt_finalize(st);
		if (len + 2 < cap) {
			out[len++] = '#';
			out[len++] = '\n';
		}
	}
out:
	om_store_close(db);
	return out;
}

long long t_sql_int(const char *db_path, const char *sql)
{
	struct om_store *db = NULL;
	struct om_stmt *st = NULL;
	char err[256];
	long long v = -1;
	if (om_store_open(db_path, &db, err, sizeof(err)) == 0 && om_stmt_prepare(db, sql, &st) == 0 &&
	    om_stmt_step(st) == OM_STORE_ROW)
		v = om_stmt_col_int64(st, 0);
	om_stmt_finalize(st);
	om_store_close(db);
	return v;
}

long long t_sub_int(const char *db_path, const char *imsi, const char *expr)
{
	char q[400];
	snprintf(q, sizeof(q), "SELECT %s FROM subscriber WHERE imsi = '%s'", expr, imsi);
	return t_sql_int(db_path, q);
}

int t_sql_exec(const char *db_path, const char *sql)
{
	struct om_store *db = NULL;
	char err[256];
	int rc = om_store_open(db_path, &db, err, sizeof(err)) == 0 && om_store_exec(db, sql) == 0;
	om_store_close(db);
	return rc ? 0 : -1;
}

int t_lose_lazy_commits(const char *db_path)
{
	return t_sql_exec(db_path, "UPDATE subscriber SET sqn = 0");
}

long t_crash_child(void (*body)(int wfd), size_t rec_len, long kill_after,
				 void (*on_rec)(void *ctx, const uint8_t *rec), void *ctx)
{
	int p[2];
	uint8_t rec[64];
	if (rec_len > sizeof(rec) || pipe(p) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		body(p[1]);
		_exit(6);
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return -1;
	}
	long n = 0;
	while (read(p[0], rec, rec_len) == (ssize_t)rec_len) {
		on_rec(ctx, rec);
		if (++n == kill_after)
			kill(pid, SIGKILL);
	}
	close(p[0]);
	int st = 0;
	waitpid(pid, &st, 0);
	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL) {
		fprintf(stderr, "  (child status %d)\n", st);
		return -1;
	}
	return n;
}

int t_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int t_repeats(uint64_t *v, size_t n)
{
	int dup = 0;
	qsort(v, n, sizeof(v[0]), t_cmp_u64);
	for (size_t i = 1; i < n; i++)
		dup += v[i] == v[i - 1];
	return dup;
}

void t_tail_log(const char *path, int lines)
{
	char cmd[1200];
	snprintf(cmd, sizeof(cmd), "tail -n %d '%s' >&2", lines, path);
	if (system(cmd) != 0)
		fprintf(stderr, "no log at %s\n", path);
}

void t_remove_dir(const char *dir)
{
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

int t_milenage(struct om_milenage *m)
{
	uint8_t k[16], opc[16];
	if (om_hex_decode(k, 16, T_K) < 0 || om_hex_decode(opc, 16, T_OPC) < 0)
		return -1;
	return om_milenage_init(m, k, opc);
}

uint64_t t_sqn_of(const struct om_milenage *m, const uint8_t rand[16], const uint8_t autn[16])
{
	struct om_milenage_out o;
	uint8_t sqn[6] = { 0 }, amf[2] = { 0 };
	if (om_milenage_f1_f5(m, rand, sqn, amf, &o) < 0)
		return UINT64_MAX;
	for (int i = 0; i < 6; i++)
		sqn[i] = autn[i] ^ o.ak[i];
	return om_sqn_from_bytes(sqn);
}

int t_resync_info(const struct om_milenage *m, const uint8_t rand[16], uint64_t sqn_ms, uint8_t out[30])
{
	static const uint8_t amf0[2];
	uint8_t sqn[6], ak_s[6];
	om_sqn_to_bytes(sqn, sqn_ms);
	memcpy(out, rand, 16);
	if (om_milenage_f1s_f5s(m, rand, sqn, amf0, out + 22, ak_s) < 0)
		return -1;
	for (int i = 0; i < 6; i++)
		out[16 + i] = sqn[i] ^ ak_s[i];
	return 0;
}

int t_usim_takes(const struct om_milenage *m, struct om_usim_sqn *u, const struct om_eutran_vector *v)
{
	struct om_usim_out o;
	int rc = om_usim_authenticate(m, u, v->rand, v->autn, &o);
	if (rc == 0 && CRYPTO_memcmp(o.res, v->xres, OM_RES_LEN))
		rc = -1;
	om_usim_out_clear(&o);
	return rc;
}

void t_mme_fd_conf(const char *path, const char *mme_id, const char *realm, unsigned port, const char *const ident[2],
		   const unsigned fe_port[2])
{
	char text[4096];
	snprintf(text, sizeof(text),
		 "Identity = \"%s\";\nRealm = \"%s\";\nPort = %u;\nSecPort = 0;\nNo_SCTP;\nNo_IPv6;\n"
		 "ListenOn = \"127.0.0.1\";\nTcTimer = 1;\n"
		 "LoadExtension = \"%s/dict_nasreq.fdx\";\n"
		 "LoadExtension = \"%s/dict_dcca.fdx\";\n"
		 "LoadExtension = \"%s/dict_dcca_3gpp.fdx\";\n"
		 "ConnectPeer = \"%s\" { ConnectTo = \"127.0.0.1\"; Port = %u; No_TLS; };\n"
		 "ConnectPeer = \"%s\" { ConnectTo = \"127.0.0.1\"; Port = %u; No_TLS; };\n",
		 mme_id, realm, port, du_fd_ext_dir(), du_fd_ext_dir(), du_fd_ext_dir(), ident[0], fe_port[0], ident[1],
		 fe_port[1]);
	du_write_file(path, text);
}

void t_hss_fe_conf(const char *path, const char *db, int i, const char *dir, const char *ident, const char *realm,
		   unsigned port, const char *mme_id)
{
	char text[2048];
	snprintf(text, sizeof(text),
		 "[hss]\ndb = %s\nmax_vectors = 5\nsqn_reserve = 16\nfrontends = 2\nfrontend_index = %d\n"
		 "run_dir = %s/run%d\nlog_level = info\n"
		 "[diameter]\nidentity = %s\nrealm = %s\nlisten = 127.0.0.1\nport = %u\n"
		 "peers = %s\ntls = off\n",
		 db, i, dir, i, ident, realm, port, mme_id);
	du_write_file(path, text);
}

