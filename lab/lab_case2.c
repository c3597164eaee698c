/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Case 2 of the distributed registration service (spec/000 5.2.2.3.5: a
 * common PIMSI space, master-slave) at device level, inside `openmcim lab
 * --scenario distributed-ro --case2` (lab_distributed.h; docs/decisions.md
 * "Case 2"). RO-C runs its ICF and DRF on a PostgreSQL cluster of its own;
 * RO-C2 keeps a synchronous hot standby of it (streaming replication, the
 * Registration Operators' "reading" copy of the text). At the failover RO-C
 * dies (its ICF and DRF by SIGKILL, its database server by an immediate
 * stop), RO-C2 promotes its copy and starts its own ICF and DRF on it, on
 * the common space's addresses and identities (the VNO's [home.00106] peer,
 * the SHOs' [peer.RO-C] URL, the push and signing identities the devices and
 * the VNO pin), as an operator's failover moves a service address. What is
 * RO-C2's own: its processes, its copy of the data, and its SQN state (the
 * ICF's front-end slot 1 of 2, docs/sqn.md "A standby RO's ICF"). Each
 * side's ICF and DRF name the other cluster in db_peer: when RO-C comes back
 * after the failover, its ICF and DRF refuse to serve (fenced()).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <openssl/crypto.h>

#include "admin_call.h"
#include "store_fence.h"
#include "lab_dro_int.h"

#define C2 (DRO_RO_C - 1) /* RO-C's index among the extra ROs */

/*
 * RO-C's cluster, and its ICF's and DRF's databases each owned by a role of
 * its own (ro_c_icf, ro_c_drf: no superuser, CONNECT on its own database
 * only, a password in <workdir>/ro-c-<what>.pgpass; docs/lab.md "Case 2").
 * Each role may read pg_stat_replication's sync_state (pg_read_all_stats):
 * the db_peer check refuses a role blind to an asynchronous standby. The grant
 * also shows each role the other's sessions in pg_stat_activity, query text
 * included ($N placeholders, no values: docs/threats.md R.4).
 */
int dro_case2_primary(struct dro *a)
{
	char err[512], pass[DRO_PATH_CAP];
	if (om_pg_cluster_start(&a->primary, NULL, 0, err, sizeof(err)) < 0)
		return dro_problem(a->r, "RO-C's PostgreSQL cluster: %s", err), OM_ELAB_SETUP;
	a->primary_up = 1;
	if (om_pg_cluster_createdb_owned(&a->primary, "ro_c_icf", dro_at(a, pass, "ro-c-hss.pgpass"), a->icf_db[C2],
					 DRO_PATH_CAP, err, sizeof(err)) < 0 ||
	    om_pg_cluster_createdb_owned(&a->primary, "ro_c_drf", dro_at(a, pass, "ro-c-drf.pgpass"), a->drf_db[C2],
					 DRO_PATH_CAP, err, sizeof(err)) < 0 ||
	    om_pg_cluster_exec(&a->primary, "GRANT pg_read_all_stats TO ro_c_icf, ro_c_drf", err, sizeof(err)) < 0)
		return dro_problem(a->r, "RO-C's databases: %s", err), OM_ELAB_SETUP;
	return 0;
}

/* RO-C2's copy of RO-C's password file for what (hss, drf): its own file, 0600. 0 or -1. */
static int copy_passfile(struct dro *a, const char *what, char *to)
{
	char from[DRO_PATH_CAP];
	size_t len = 0;
	char *text = lab_slurp(dro_at(a, from, "ro-c-%s.pgpass", what), &len);
	int rc = text && lab_write_file(dro_at(a, to, "ro-c2-%s.pgpass", what), text, 0600) == 0 ? 0 : -1;
	if (text)
		OPENSSL_cleanse(text, len);
	free(text);
	return rc;
}

/*
 * RO-C2's configuration from RO-C's file (stem "ro-c2": RO-C2's database,
 * run directory and sockets, and what else swap names, the ICF's front-end
 * index), or RO-C's own file again (stem "ro-c": its db_peer added).
 */
static int derive_conf(struct dro *a, const char *stem, const char *what, const char *const (*swap)[2], size_t n)
{
	char from[DRO_PATH_CAP], to[DRO_PATH_CAP], dir[DRO_PATH_CAP];
	size_t len = 0;
	char *text = lab_slurp(dro_at(a, from, "ro-c-%s.conf", what), &len);
	char *out = text ? malloc(2 * len + 4096) : NULL;
	int rc = OM_ELAB_SETUP;
	if (!out)
		goto out;
	out[0] = 0;
	for (const char *s = text; *s;) {
		size_t i = 0, w = 0;
		while (i < n && strncmp(s, swap[i][0], strlen(swap[i][0])))
			i++;
		if (i < n) {
			strcat(out, swap[i][1]);
			s += strlen(swap[i][0]);
			continue;
		}
		w = strlen(out);
		out[w] = *s++;
		out[w + 1] = 0;
	}
	if (lab_mkdir(dro_at(a, dir, "%s-%s", stem, what), 0700) == 0 &&
	    lab_write_file(dro_at(a, to, "%s-%s.conf", stem, what), out, 0600) == 0)
		rc = 0;
out:
	if (rc < 0)
		dro_problem(a->r, "%s's %s configuration from %s", stem, what, from);
	free(text);
	free(out);
	return rc;
}

int dro_case2_standby(struct dro *a)
{
	char err[512], old_db[DRO_PATH_CAP + 8], new_db[2 * DRO_PATH_CAP + 32], own_db[2 * DRO_PATH_CAP + 32];
	char old_run[80], new_run[80], pass_icf[DRO_PATH_CAP], pass_drf[DRO_PATH_CAP];
	/* synchronous: every durable SQN mark RO-C commits is on the standby before a SEQ under it leaves */
	if (om_pg_cluster_standby(&a->standby, &a->primary, NULL, 1, err, sizeof(err)) < 0)
		return dro_problem(a->r, "RO-C2's standby: %s", err), OM_ELAB_SETUP;
	a->standby_up = 1;
	/* the same roles (replicated with the data), each RO-C2 daemon with its own copy of the password */
	if (copy_passfile(a, "hss", pass_icf) < 0 || copy_passfile(a, "drf", pass_drf) < 0 ||
	    om_pg_cluster_role_uri(&a->standby, "ro_c_icf", pass_icf, a->icf_db2, sizeof(a->icf_db2)) < 0 ||
	    om_pg_cluster_role_uri(&a->standby, "ro_c_drf", pass_drf, a->drf_db2, sizeof(a->drf_db2)) < 0)
		return dro_problem(a->r, "RO-C2's database URIs and password files"), OM_ELAB_SETUP;
	/* each names the other cluster of the pair: the old primary is fenced (docs/decisions.md) */
	snprintf(old_db, sizeof(old_db), "db = %s\n", a->icf_db[C2]);
	snprintf(new_db, sizeof(new_db), "db = %s\ndb_peer = %s\n", a->icf_db2, a->icf_db[C2]);
	snprintf(own_db, sizeof(own_db), "db = %s\ndb_peer = %s\n", a->icf_db[C2], a->icf_db2);
	snprintf(old_run, sizeof(old_run), "/ro-c-hss");
	snprintf(new_run, sizeof(new_run), "/ro-c2-hss");
	const char *const hss[][2] = { { old_db, new_db }, { old_run, new_run },
				       { "frontend_index = 0\n", "frontend_index = 1\n" },
				       { "# RO-C's ICF", "# RO-C2's ICF on its promoted copy of RO-C's database" } };
	const char *const hss_own[][2] = { { old_db, own_db } };
	if (derive_conf(a, "ro-c2", "hss", hss, sizeof(hss) / sizeof(hss[0])) < 0 ||
	    derive_conf(a, "ro-c", "hss", hss_own, 1) < 0)
		return OM_ELAB_SETUP;
	snprintf(old_db, sizeof(old_db), "db = %s\n", a->drf_db[C2]);
	snprintf(new_db, sizeof(new_db), "db = %s\ndb_peer = %s\n", a->drf_db2, a->drf_db[C2]);
	snprintf(own_db, sizeof(own_db), "db = %s\ndb_peer = %s\n", a->drf_db[C2], a->drf_db2);
	snprintf(old_run, sizeof(old_run), "/ro-c-drf/");
	snprintf(new_run, sizeof(new_run), "/ro-c2-drf/");
	const char *const drf[][2] = { { old_db, new_db }, { old_run, new_run },
				       { "# RO-C's DRF", "# RO-C2's DRF on its promoted copy of RO-C's register" } };
	const char *const drf_own[][2] = { { old_db, own_db } };
	if (derive_conf(a, "ro-c2", "drf", drf, sizeof(drf) / sizeof(drf[0])) < 0)
		return OM_ELAB_SETUP;
	return derive_conf(a, "ro-c", "drf", drf_own, 1);
}

int dro_case2_failover(struct dro *a)
{
	char err[512];
	double t0 = lab_now_ms();
	/* RO-C dies: no clean shutdown, no last commit */
	if (a->hss[C2] > 0)
		(void)lab_reap(a->hss[C2], SIGKILL, 5000);
	if (a->drf[C2] > 0)
		(void)lab_reap(a->drf[C2], SIGKILL, 5000);
	a->hss[C2] = a->drf[C2] = 0;
	om_pg_cluster_halt(&a->primary);
	/* RO-C2 takes over: its copy promoted, its ICF (front end 1) and DRF on RO-C's addresses */
	if (om_pg_cluster_promote(&a->standby, err, sizeof(err)) < 0)
		return dro_problem(a->r, "RO-C2 could not promote its standby: %s", err), OM_ELAB_DAEMON;
	if (dro_spawn(a, "ro-c2", "hss", &a->hss2) < 0 || dro_spawn(a, "ro-c2", "drf", &a->drf2) < 0)
		return OM_ELAB_DAEMON;
	a->r->failover_ms = lab_now_ms() - t0;
	return 0;
}

/*
 * RO-C comes back after the failover: its cluster as a primary again (on
 * the old timeline), its ICF and DRF started on it. Each must refuse before
 * it opens its store, `fenced` and exit status 3: a promoted copy serves
 * (docs/decisions.md "Fencing the old primary"). RO-C2 serves on.
 */
static void fenced(struct dro *a)
{
	char err[512], exe[DRO_PATH_CAP], conf[DRO_PATH_CAP], log[DRO_PATH_CAP], why[400];
	if (om_pg_cluster_resume(&a->primary, err, sizeof(err)) < 0) {
		dro_problem(a->r, "RO-C's cluster did not come back: %s", err);
		return;
	}
	for (int i = 0; i < 2; i++) {
		const char *what = i ? "drf" : "hss";
		snprintf(exe, sizeof(exe), "%s/openmcim-%s", a->l.bin_dir, what);
		dro_at(a, conf, "ro-c-%s.conf", what);
		dro_at(a, log, "ro-c-%s.log", what);
		off_t off = lab_file_size(log);
		pid_t pid = lab_spawn(exe, conf, log, NULL);
		int st = pid > 0 ? lab_reap(pid, 0, 20000) : -1;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != OM_STORE_FENCED_EXIT ||
		    lab_wait_log(log, off, " error fenced ", 0, 0, why, sizeof(why)) < 0)
			dro_problem(a->r, "ro-c-%s on its old primary after the failover: status %d, want it fenced (see %s)",
				    what, st, log);
	}
}

struct show {
	unsigned ind_bits;
	unsigned long long sqn;
	int ours;
};

static void on_show(void *ctx, const char *line)
{
	struct show *s = ctx;
	const char *p;
	if ((p = strstr(line, " ind_bits=")))
		sscanf(p, " ind_bits=%u sqn=%llu", &s->ind_bits, &s->sqn);
	if ((p = strstr(line, " ours=")))
		sscanf(p, " ours=%d", &s->ours);
}

/* What RO-C2's daemon behind sock answers to line (hss show, drf status), through on_show. */
static int ask(struct dro *a, const char *sock, const char *line, struct show *s)
{
	char p[DRO_PATH_CAP];
	struct om_admin_result res;
	int rc = om_admin_call(dro_at(a, p, "%s", sock), line, 10000, on_show, s, &res);
	return rc < 0 ? rc : res.code;
}

/*
 * On RO-C2's promoted cluster, as its daemons' URIs name them: each role is
 * no superuser, gets into its own database, and is refused at the other's
 * ("permission denied for database": the other's tables out of its reach).
 */
static void roles_kept(struct dro *a)
{
	const char *uri[2] = { a->icf_db2, a->drf_db2 }, *db[2] = { "ro_c_icf", "ro_c_drf" };
	char err[512];
	for (int i = 0; i < 2; i++) {
		if (om_pg_cluster_role_kept(uri[i], db[1 - i], err, sizeof(err)) == 0)
			a->r->roles_ok++;
		else
			dro_problem(a->r, "RO-C2's role %s %s", db[i], err);
	}
}

void dro_case2_verify(struct dro *a)
{
	struct lab_dro_result *r = a->r;
	for (unsigned i = 0; i < r->n; i++) {
		struct lab_dro_device *d = &r->dev[i];
		char line[80];
		struct show s = { .ours = -1 };
		if (d->ro != DRO_RO_C)
			continue;
		/* its PCID at RO-C2's ICF: replicated, its last SQN in the slot of the ICF that issued it */
		snprintf(line, sizeof(line), "show %s\n", d->pcid);
		int rc = ask(a, "ro-c2-hss/prov.sock", line, &s);
		if (rc == 0 && s.ind_bits >= 1 && s.sqn)
			d->sqn_slot = (int)((s.sqn & ((1ull << s.ind_bits) - 1)) >> (s.ind_bits - 1));
		if (d->sqn_slot == (int)d->phase)
			r->sqn_ok++;
		else
			dro_problem(r, "%s (PCID %s): at RO-C2's ICF %s, last SQN %llu (ind_bits %u, slot %d), want slot %u",
				    d->tre_id, d->pcid, rc ? om_errname(rc) : "shown", s.sqn, s.ind_bits, d->sqn_slot,
				    d->phase);
		/* RO-C2's register: gone to SHO-A (RO-C's completions, replicated, and its own) */
		snprintf(line, sizeof(line), "status %s\n", d->tre_id);
		rc = ask(a, "ro-c2-drf/admin.sock", line, &s);
		if (rc == 0 && s.ours == 0)
			r->register_ok++;
		else
			dro_problem(r, "%s: RO-C2's DRF says %s ours=%d, want gone to SHO-A", d->tre_id,
				    rc ? om_errname(rc) : "ok", s.ours);
	}
	roles_kept(a);
	fenced(a);
}

void dro_case2_stop(struct dro *a)
{
	if (a->drf2 > 0 && lab_reap(a->drf2, SIGTERM, 10000) != 0)
		dro_problem(a->r, "ro-c2-drf did not exit cleanly on SIGTERM");
	if (a->hss2 > 0 && lab_reap(a->hss2, SIGTERM, 10000) != 0)
		dro_problem(a->r, "ro-c2-hss did not exit cleanly on SIGTERM");
	a->drf2 = a->hss2 = 0;
	if (a->standby_up)
		om_pg_cluster_stop(&a->standby, 0);
	if (a->primary_up)
		om_pg_cluster_stop(&a->primary, 0);
	a->standby_up = a->primary_up = 0;
}
