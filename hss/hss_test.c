/* SPDX-License-Identifier: Apache-2.0 */
/* The HSS core: vectors the USIM accepts, SQN and IND, refusals, resync, threads. */
#include <pthread.h>
#include <unistd.h>

#include <openmcim/kdf.h>
#include <openmcim/usim.h>
#include <openmcim/vector.h>

#include "hss_store.h"
#include "hss_test_util.h"

static char dir[] = "/tmp/om_hss_test_XXXXXX";
static char db[300];
static int seq;

static struct hss *fresh(unsigned reserve, unsigned max_resyncs)
{
	char err[256] = "";
	char name[32];
	snprintf(name, sizeof(name), "hss%d.db", seq++);
	if (t_store_conf(dir, name, db, sizeof(db)) < 0)
		CHECK_MSG(0, "no database for %s", name);
	struct hss_config cfg = { .db_path = db, .max_vectors = 5, .sqn_reserve = reserve,
				  .max_resyncs = max_resyncs, .resync_window_s = 3600 };
	struct hss *h = hss_open(&cfg, err, sizeof(err));
	CHECK_MSG(h != NULL, "hss_open: %s", err);
	if (h)
		CHECK_INT(t_admin(h, "add " T_IMSI " k=" T_K " opc=" T_OPC " amf=b9b9 apn=internet,ims"
				     " roaming=00101 ambr=2000/4000"), 0);
	return h;
}

static struct hss *reopen(unsigned reserve)
{
	char err[256] = "";
	struct hss_config cfg = { .db_path = db, .max_vectors = 5, .sqn_reserve = reserve, .max_resyncs = 2,
				  .resync_window_s = 3600 };
	struct hss *h = hss_open(&cfg, err, sizeof(err));
	CHECK_MSG(h != NULL, "hss_open: %s", err);
	return h;
}

static void vectors_authenticate_on_the_usim(void)
{
	struct hss *h = fresh(16, 2);
	struct om_eutran_vector v[3];
	struct om_milenage m;
	struct om_usim_sqn usim;
	struct om_kdf kdf;
	if (!h || t_milenage(&m) < 0)
		return;
	CHECK_INT(om_usim_sqn_init(&usim, 5, OM_USIM_DELTA_DEFAULT, 0), 0);
	CHECK_INT(om_kdf_init(&kdf), 0);
	CHECK_INT(hss_auth_info(h, T_IMSI, t_plmn_home, "mme1.lab", 3, NULL, v), 3);
	for (int i = 0; i < 3; i++) {
		struct om_usim_out o;
		uint8_t kasme[32];
		CHECK_INT(om_usim_authenticate(&m, &usim, v[i].rand, v[i].autn, &o), 0);
		CHECK_MEM(o.res, v[i].xres, 8);
		CHECK_INT(v[i].autn[6] & 0x80, 0x80); /* separation bit */
		uint8_t sqn_ak[6];
		memcpy(sqn_ak, v[i].autn, 6);
		CHECK_INT(om_kdf_kasme(&kdf, kasme, o.ck, o.ik, t_plmn_home, sqn_ak), 0);
		CHECK_MEM(kasme, v[i].kasme, 32);
		om_usim_out_clear(&o);
	}
	/* UTRAN vectors from the same subscriber also authenticate, AMF bit cleared */
	struct om_utran_vector u;
	CHECK_INT(hss_auth_info_utran(h, T_IMSI, t_plmn_home, "mme1.lab", 1, NULL, &u), 1);
	struct om_usim_out o;
	CHECK_INT(om_usim_authenticate(&m, &usim, u.rand, u.autn, &o), 0);
	CHECK_MEM(o.ck, u.ck, 16);
	CHECK_INT(u.autn[6] & 0x80, 0);
	om_usim_out_clear(&o);
	om_kdf_clear(&kdf);
	om_milenage_clear(&m);
	hss_close(h);
}

static void gives_consecutive_seqs_with_each_mmes_own_ind(void)
{
	struct hss *h = fresh(16, 2);
	struct om_eutran_vector v[5];
	struct om_milenage m;
	uint64_t s[5];
	if (!h || t_milenage(&m) < 0)
		return;
	CHECK_INT(hss_auth_info(h, T_IMSI, t_plmn_home, "mme-a.lab", 3, NULL, v), 3);
	for (int i = 0; i < 3; i++)
		s[i] = t_sqn_of(&m, v[i].rand, v[i].autn);
	CHECK_INT(s[0] >> 5, 1);
	CHECK_INT(s[1] >> 5, 2);
	CHECK_INT(s[2] >> 5, 3);
	unsigned ind_a = (unsigned)(s[0] & 31);
	CHECK_INT(s[1] & 31, ind_a);
	CHECK_INT(s[2] & 31, ind_a);
	CHECK_INT(hss_auth_info(h, T_IMSI, t_plmn_home, "mme-b.lab", 2, NULL, v), 2);
	s[3] = t_sqn_of(&m, v[0].rand, v[0].autn);
	s[4] = t_sqn_of(&m, v[1].rand, v[1].autn);
	CHECK_INT(s[3] >> 5, 4);
	CHECK_INT(s[4] >> 5, 5);
	CHECK((s[3] & 31) != ind_a);
	CHECK_INT(s[4] & 31, s[3] & 31);
	/* IND is persistent: after a restart mme-a keeps its slot */
	hss_close(h);
	h = reopen(16);
	if (h) {
		CHECK_INT(hss_auth_info(h, T_IMSI, t_plmn_home, "mme-a.lab", 1, NULL, v), 1);
		uint64_t s2 = t_sqn_of(&m, v[0].rand, v[0].autn);
		CHECK_INT(s2 & 31, ind_a);
		CHECK_INT(s2 >> 5, 6); /* clean close: no jump */
	}
	/* n is capped at max_vectors */
	struct om_eutran_vector big[5];
	CHECK_INT(hss_auth_info(h, T_IMSI, t_plmn_home, "mme-a.lab", 9, NULL, big), 5);
	om_milenage_clear(&m);
	hss_close(h);
}

/* The register as it was when before (a t_dump()) was taken; frees before. */
static void unchanged_since(char *before)
{
	char *after = t_dump(db);
	CHECK(before && after && !strcmp(before, after));
	free(after);
	free(before);
}

static void refuses_unknown_suspended_and_roaming_without_a_row_change(void)
{
	struct hss *h = fresh(16, 2);
	struct om_eutran_vector v[1];
	struct hss_subscription sub;
	if (!h)
		return;
	char *before = t_dump(db);
	CHECK_INT(hss_auth_info(h, "001010000000999", t_plmn_home, "mme1.lab", 1, NULL, v), HSS_USER_UNKNOWN);
	CHECK_INT(hss_auth_info(h, T_IMSI, t_plmn_other, "mme1.lab", 1, NULL, v), HSS_ROAMING_NOT_ALLOWED);
	CHECK_INT(hss_update_location(h, T_IMSI, t_plmn_other, "mme1.lab", &sub), HSS_ROAMING_NOT_ALLOWED);
	CHECK_INT(hss_auth_info(h, "0010x", t_plmn_home, "mme1.lab", 1, NULL, v), HSS_INVALID);
	CHECK_INT(hss_auth_info(h, T_IMSI, t_plmn_home, "", 1, NULL, v), HSS_INVALID);
	CHECK_INT(hss_auth_info(h, T_IMSI, t_plmn_home, "mme1.lab", 0, NULL, v), HSS_INVALID);
	unchanged_since(before);

	CHECK_INT(t_admin(h, "suspend " T_IMSI), 0);
	before = t_dump(db);
	CHECK_INT(hss_auth_info(h, T_IMSI, t_plmn_home, "mme1.lab", 1, NULL, v), HSS_SUSPENDED);
	CHECK_INT(hss_update_location(h, T_IMSI, t_plmn_home, "mme1.lab", &sub), HSS_SUSPENDED);
	unchanged_since(before);
	CHECK_INT(t_admin(h, "resume " T_IMSI), 0);
	CHECK_INT(hss_auth_info(h, T_IMSI, t_plmn_home, "mme1.lab", 1, NULL, v), 1);
	hss_close(h);
}

static void update_location_records_the_mme_and_purge_forgets_it(void)
{
	struct hss *h = fresh(16, 2);
	struct hss_subscription sub;
	if (!h)
		return;
	CHECK_INT(hss_update_location(h, T_IMSI, t_plmn_home, "mme1.lab", &sub), HSS_OK);
	CHECK(!strcmp(sub.imsi, T_IMSI));
	CHECK_INT(sub.n_apns, 2);
	CHECK(!strcmp(sub.apns[0].name, "internet") && sub.apns[0].context_id == 1);
	CHECK(!strcmp(sub.apns[1].name, "ims") && sub.apns[1].context_id == 2);
	CHECK_INT(sub.default_context_id, 1);
	CHECK_INT(sub.ambr_ul, 2000);
	CHECK_INT(sub.ambr_dl, 4000);
	char q[200];
	snprintf(q, sizeof(q), "SELECT serving_host = 'mme1.lab' FROM subscriber WHERE imsi = '%s'", T_IMSI);
	CHECK_INT(t_sql_int(db, q), 1);
	CHECK_INT(hss_purge(h, T_IMSI, "mme2.lab"), HSS_OK); /* not the serving MME: kept */
	CHECK_INT(t_sql_int(db, q), 1);
	CHECK_INT(hss_purge(h, T_IMSI, "mme1.lab"), HSS_OK);
	snprintf(q, sizeof(q), "SELECT serving_host IS NULL FROM subscriber WHERE imsi = '%s'", T_IMSI);
	CHECK_INT(t_sql_int(db, q), 1);
	CHECK_INT(hss_purge(h, "001010000000999", "mme1.lab"), HSS_USER_UNKNOWN);
	hss_close(h);
}

/* A USIM that already accepted SEQ 1000 with IND 0 (an earlier life of the subscription). */
static void usim_ahead(struct om_milenage *m, struct om_usim_sqn *u)
{
	struct om_kdf kdf;
	struct om_eutran_vector v;
	struct om_usim_out o;
	uint8_t rand[16] = { 1 }, amf[2] = { 0xb9, 0xb9 };
	CHECK_INT(om_usim_sqn_init(u, 5, OM_USIM_DELTA_DEFAULT, 0), 0);
	CHECK_INT(om_kdf_init(&kdf), 0);
	CHECK_INT(om_vector_eutran_with_rand(&kdf, m, rand, UINT64_C(1000) << 5, amf, t_plmn_home, &v), 0);
	CHECK_INT(om_usim_authenticate(m, u, v.rand, v.autn, &o), 0);
	om_kdf_clear(&kdf);
}

/* Present an HSS vector to the USIM; it must refuse it for sync and give AUTS. */
static int stale_challenge(struct hss *h, struct om_milenage *m, struct om_usim_sqn *u, uint8_t resync[30])
{
	struct om_eutran_vector v;
	struct om_usim_out o;
	if (hss_auth_info(h, T_IMSI, t_plmn_home, "mme1.lab", 1, NULL, &v) != 1)
		return -1;
	int rc = om_usim_authenticate(m, u, v.rand, v.autn, &o);
	memcpy(resync, v.rand, 16);
	memcpy(resync + 16, o.auts, 14);
	return rc;
}

/* A fresh HSS and, in m and u, the subscriber's USIM already ahead of it (usim_ahead()); NULL on failure. */
static struct hss *fresh_ahead(struct om_milenage *m, struct om_usim_sqn *u)
{
	struct hss *h = fresh(16, 2);
	if (!h)
		return NULL;
	if (t_milenage(m) < 0) {
		hss_close(h);
		return NULL;
	}
	usim_ahead(m, u);
	return h;
}

static void resync_continues_above_sqn_ms(void)
{
	struct om_milenage m;
	struct om_usim_sqn u;
	struct om_eutran_vector v[2];
	uint8_t rs[30];
	struct hss *h = fresh_ahead(&m, &u);
	if (!h)
		return;
	CHECK_INT(stale_challenge(h, &m, &u, rs), OM_EAUTH_SYNC);
	CHECK_INT(hss_auth_info(h, T_IMSI, t_plmn_home, "mme1.lab", 2, rs, v), 2);
	uint64_t s0 = t_sqn_of(&m, v[0].rand, v[0].autn), s1 = t_sqn_of(&m, v[1].rand, v[1].autn);
	CHECK_INT(s0 >> 5, 1001);
	CHECK_INT(s1 >> 5, 1002);
	struct om_usim_out o;
	CHECK_INT(om_usim_authenticate(&m, &u, v[0].rand, v[0].autn, &o), 0);
	CHECK_INT(om_usim_authenticate(&m, &u, v[1].rand, v[1].autn, &o), 0);
	/* durable at once: the mark covers the new SQNs */
	char q[200];
	snprintf(q, sizeof(q), "SELECT seq_reserved >= 1002 AND resync_count = 1 FROM subscriber WHERE imsi = '%s'",
		 T_IMSI);
	CHECK_INT(t_sql_int(db, q), 1);
	om_milenage_clear(&m);
	hss_close(h);
}

static void refuses_a_forged_auts_without_a_row_change(void)
{
	struct om_milenage m;
	struct om_usim_sqn u;
	struct om_eutran_vector v[1];
	uint8_t rs[30];
	struct hss *h = fresh_ahead(&m, &u);
	if (!h)
		return;
	CHECK_INT(stale_challenge(h, &m, &u, rs), OM_EAUTH_SYNC);
	char *before = t_dump(db);
	for (int bit = 0; bit < 64; bit += 7) { /* MAC-S bits */
		uint8_t f[30];
		memcpy(f, rs, 30);
		f[22 + bit / 8] ^= (uint8_t)(1u << (bit % 8));
		CHECK_INT(hss_auth_info(h, T_IMSI, t_plmn_home, "mme1.lab", 1, f, v), HSS_RESYNC_REFUSED);
	}
	uint8_t f[30];
	memcpy(f, rs, 30);
	f[3] ^= 1; /* another RAND */
	CHECK_INT(hss_auth_info(h, T_IMSI, t_plmn_home, "mme1.lab", 1, f, v), HSS_RESYNC_REFUSED);
	unchanged_since(before);
	om_milenage_clear(&m);
	hss_close(h);
}

static void bounds_resyncs_per_window(void)
{
	struct om_milenage m;
	struct om_usim_sqn u;
	struct om_eutran_vector v[1];
	uint8_t rs[30];
	struct hss *h = fresh_ahead(&m, &u);
	if (!h)
		return;
	for (int i = 0; i < 2; i++) {
		CHECK_INT(stale_challenge(h, &m, &u, rs), OM_EAUTH_SYNC);
		CHECK_INT(hss_auth_info(h, T_IMSI, t_plmn_home, "mme1.lab", 1, rs, v), 1);
		/* accept it, then move the USIM far ahead so that the HSS is stale again */
		struct om_usim_out o;
		CHECK_INT(om_usim_authenticate(&m, &u, v[0].rand, v[0].autn, &o), 0);
		usim_ahead(&m, &u);
		u.seq_ms[0] = 5000 + (uint64_t)i * 1000;
	}
	CHECK_INT(stale_challenge(h, &m, &u, rs), OM_EAUTH_SYNC);
	char *before = t_dump(db);
	CHECK_INT(hss_auth_info(h, T_IMSI, t_plmn_home, "mme1.lab", 1, rs, v), HSS_RESYNC_REFUSED);
	unchanged_since(before);
	om_milenage_clear(&m);
	hss_close(h);
}

/* Overwrite the SQN state of the closed database, as a long life, or a crash losing lazy commits, leaves it. */
static void set_sqn_state(uint64_t sqn, uint64_t mark)
{
	char q[200];
	snprintf(q, sizeof(q), "UPDATE subscriber SET sqn = %llu, seq_reserved = %llu", (unsigned long long)sqn,
		 (unsigned long long)mark);
	CHECK_INT(t_sql_exec(db, q), 0);
}

/* A USIM that accepted SEQ 3 (slot 0), and the Re-Synchronization-Info it answers to a vector it refuses. */
static void usim_at_seq_3(struct om_milenage *m, struct om_usim_sqn *u, uint8_t rs[30])
{
	struct om_kdf kdf;
	struct om_eutran_vector v;
	struct om_usim_out o;
	uint8_t rand[16] = { 3 }, amf[2] = { 0xb9, 0xb9 };
	CHECK_INT(om_usim_sqn_init(u, 5, OM_USIM_DELTA_DEFAULT, 0), 0);
	u->seq_ms[0] = 3;
	CHECK_INT(om_kdf_init(&kdf), 0);
	CHECK_INT(om_vector_eutran_with_rand(&kdf, m, rand, UINT64_C(2) << 5, amf, t_plmn_home, &v), 0);
	CHECK_INT(om_usim_authenticate(m, u, v.rand, v.autn, &o), OM_EAUTH_SYNC);
	memcpy(rs, v.rand, 16);
	memcpy(rs + 16, o.auts, 14);
	om_kdf_clear(&kdf);
}

/*
 * The case: SEQ at 100024 and a valid AUTS for SQN_MS SEQ 3 (old,
 * replayed, from other MMEs). The HSS keeps its own, higher SEQ (TS 33.102
 * 6.3.5), and the USIM that sent the AUTS accepts what comes next (C.2).
 */
static void stale_auts_keeps_the_sqn_above_everything_issued(void)
{
	struct om_milenage m;
	struct om_usim_sqn u;
	struct om_eutran_vector v[2];
	struct om_usim_out o;
	uint8_t rs[30];
	struct hss *h = fresh(16, 10);
	hss_close(h);
	if (!h || t_milenage(&m) < 0)
		return;
	set_sqn_state((UINT64_C(100024) << 5) | 1, 100024);
	h = reopen(16);
	if (!h)
		return;
	usim_at_seq_3(&m, &u, rs);
	CHECK_INT(hss_auth_info(h, T_IMSI, t_plmn_home, "mme2.lab", 2, rs, v), 2);
	CHECK_INT(t_sqn_of(&m, v[0].rand, v[0].autn) >> 5, 100025);
	CHECK_INT(t_sqn_of(&m, v[1].rand, v[1].autn) >> 5, 100026);
	CHECK_INT(om_usim_authenticate(&m, &u, v[0].rand, v[0].autn, &o), 0);
	CHECK_INT(om_usim_authenticate(&m, &u, v[1].rand, v[1].autn, &o), 0);
	/* the same AUTS replayed by another MME: still above, still accepted */
	CHECK_INT(hss_auth_info(h, T_IMSI, t_plmn_home, "mme3.lab", 1, rs, v), 1);
	CHECK_INT(t_sqn_of(&m, v[0].rand, v[0].autn) >> 5, 100027);
	CHECK_INT(om_usim_authenticate(&m, &u, v[0].rand, v[0].autn, &o), 0);
	CHECK_INT(t_sub_int(db, T_IMSI, "sqn_ahead_events = 0 AND resync_count = 2"), 1);
	om_milenage_clear(&m);
	hss_close(h);
}

/* SEQ_HE - SEQ_MS >= delta: only SQNs issued before would pass the USIM; refused, nothing written. */
static void refuses_to_go_back_when_the_usim_is_delta_behind(void)
{
	struct om_milenage m;
	struct om_usim_sqn u;
	struct om_eutran_vector v[1];
	uint8_t rs[30];
	struct hss *h = fresh(16, 10);
	hss_close(h);
	if (!h || t_milenage(&m) < 0)
		return;
	uint64_t he = 3 + OM_USIM_DELTA_DEFAULT;
	set_sqn_state(he << 5, he);
	h = reopen(16);
	if (!h)
		return;
	usim_at_seq_3(&m, &u, rs);
	char *before = t_dump(db);
	CHECK_INT(hss_auth_info(h, T_IMSI, t_plmn_home, "mme1.lab", 1, rs, v), HSS_RESYNC_REFUSED);
	unchanged_since(before);
	/* one SEQ less and the HSS goes on, with a SEQ the USIM accepts */
	hss_close(h);
	set_sqn_state((he - 1) << 5, he - 1);
	h = reopen(16);
	if (!h)
		return;
	struct om_usim_out o;
	CHECK_INT(hss_auth_info(h, T_IMSI, t_plmn_home, "mme1.lab", 1, rs, v), 1);
	CHECK_INT(t_sqn_of(&m, v[0].rand, v[0].autn) >> 5, he);
	CHECK_INT(om_usim_authenticate(&m, &u, v[0].rand, v[0].autn, &o), 0);
	om_milenage_clear(&m);
	hss_close(h);
}

/*
 * After a crash that lost the lazy commits, issued SQNs may be anywhere up to
 * the durable mark: the floor for a resync is the mark hss_open() continues
 * from, and an SQN_MS below it is not "ahead".
 */
static void resync_after_a_crash_stays_above_the_mark(void)
{
	struct om_milenage m;
	struct om_eutran_vector v[3];
	uint8_t rand[16] = { 5 }, rs[30];
	struct hss *h = fresh(16, 10);
	if (!h || t_milenage(&m) < 0)
		return;
	CHECK_INT(hss_auth_info(h, T_IMSI, t_plmn_home, "mme1.lab", 3, NULL, v), 3); /* SEQ 1..3, mark 19 */
	hss_close(h);
	set_sqn_state(0, 19);
	h = reopen(16);
	if (!h)
		return;
	CHECK_INT(t_resync_info(&m, rand, UINT64_C(2) << 5, rs), 0);
	CHECK_INT(hss_auth_info(h, T_IMSI, t_plmn_home, "mme1.lab", 1, rs, v), 1);
	CHECK_INT(t_sqn_of(&m, v[0].rand, v[0].autn) >> 5, 20);
	CHECK_INT(t_resync_info(&m, rand, UINT64_C(10) << 5, rs), 0);
	CHECK_INT(hss_auth_info(h, T_IMSI, t_plmn_home, "mme2.lab", 1, rs, v), 1);
	CHECK_INT(t_sqn_of(&m, v[0].rand, v[0].autn) >> 5, 21);
	CHECK_INT(t_sub_int(db, T_IMSI, "sqn_ahead_events"), 0);
	om_milenage_clear(&m);
	hss_close(h);
}

#define THREADS 8
#define CALLS 150

struct worker {
	struct hss *h;
	uint64_t sqn[CALLS * 2];
	size_t n;
	int failed;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	struct om_milenage m;
	struct om_eutran_vector v[2];
	if (t_milenage(&m) < 0) {
		w->failed = 1;
		return NULL;
	}
	for (int i = 0; i < CALLS; i++) {
		int n = hss_auth_info(w->h, T_IMSI, t_plmn_home, (i & 1) ? "mme-odd.lab" : "mme-even.lab", 2, NULL, v);
		if (n != 2) {
			w->failed = 1;
			break;
		}
		for (int j = 0; j < n; j++)
			w->sqn[w->n++] = t_sqn_of(&m, v[j].rand, v[j].autn);
	}
	om_milenage_clear(&m);
	return NULL;
}

static void threads_never_share_a_sqn(void)
{
	struct hss *h = fresh(8, 2);
	static struct worker w[THREADS];
	pthread_t th[THREADS];
	if (!h)
		return;
	for (int i = 0; i < THREADS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].h = h;
		CHECK_INT(pthread_create(&th[i], NULL, work, &w[i]), 0);
	}
	static uint64_t all[THREADS * CALLS * 2];
	size_t n = 0;
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		CHECK(!w[i].failed);
		memcpy(all + n, w[i].sqn, w[i].n * sizeof(uint64_t));
		n += w[i].n;
	}
	CHECK_INT(n, THREADS * CALLS * 2);
	qsort(all, n, sizeof(all[0]), t_cmp_u64);
	size_t dup = 0, seqdup = 0;
	for (size_t i = 1; i < n; i++) {
		dup += all[i] == all[i - 1];
		seqdup += (all[i] >> 5) == (all[i - 1] >> 5);
	}
	CHECK_INT(dup, 0);
	CHECK_INT(seqdup, 0);
	CHECK_INT(all[n - 1] >> 5, n); /* and no SEQ skipped: 1..n */
	hss_close(h);
}

/*
 * PostgreSQL only: the server crashes (and, as a crash with
 * synchronous_commit off may, loses the lazy SQN commits) under a running
 * HSS. The next AIR reconnects, runs the crash recovery, and continues
 * above every SQN handed out before.
 */
static void a_lost_server_is_reopened_with_the_crash_recovery(void)
{
	if (!t_store_is_pg())
		return;
	struct hss *h = fresh(16, 2);
	struct om_eutran_vector v[5];
	struct om_milenage m;
	uint64_t top = 0;
	if (!h || t_milenage(&m) < 0)
		return;
	for (int i = 0; i < 3; i++) {
		CHECK_INT(hss_auth_info(h, T_IMSI, t_plmn_home, "mme1.lab", 5, NULL, v), 5);
		top = t_sqn_of(&m, v[4].rand, v[4].autn);
	}
	long long mark = t_sub_int(db, T_IMSI, "seq_reserved");
	CHECK_INT(t_lose_lazy_commits(db), 0);
	CHECK_INT(t_store_restart_server(), 0);
	CHECK_INT(hss_auth_info(h, T_IMSI, t_plmn_home, "mme1.lab", 1, NULL, v), 1);
	uint64_t next = t_sqn_of(&m, v[0].rand, v[0].autn);
	CHECK_MSG(next > top && (long long)(next >> 5) == mark + 1, "after the crash: SQN %llu, last %llu, mark %lld",
		  (unsigned long long)next, (unsigned long long)top, mark);
	om_milenage_clear(&m);
	hss_close(h);
}

/*
 * A statement left at a row after a request (svc/store.h "Busy
 * statements") is found, logged and reset by hss_idle, which the S6a
 * handlers and the provisioning socket run after each request as the other
 * daemons do; afterwards a new subscriber is visible again.
 */
static void a_statement_left_busy_is_reset_by_hss_idle(void)
{
	struct hss *h = fresh(16, 2);
	struct om_stmt *sel = NULL;
	const char *was = getenv("OM_STORE_STRICT");
	char saved[8];
	snprintf(saved, sizeof(saved), "%s", was ? was : "");
	if (!h)
		return;
	setenv("OM_STORE_STRICT", "0", 1); /* strict mode would abort at the find */
	CHECK_INT(om_stmt_prepare(h->store, "SELECT imsi FROM subscriber ORDER BY imsi", &sel), 0);
	CHECK_INT(hss_idle(h, "test"), 0);
	CHECK_INT(om_stmt_query(sel, OM_NOBIND), OM_STORE_ROW); /* left at its first row */
	CHECK_INT(hss_idle(h, "test"), 1);
	CHECK_INT(hss_idle(h, "test"), 0);
	CHECK_INT(om_stmt_query(sel, OM_NOBIND), OM_STORE_ROW);
	CHECK_INT(om_stmt_reset(sel), 0);
	CHECK_INT(hss_idle(h, "test"), 0);
	om_stmt_finalize(sel);
	if (was)
		setenv("OM_STORE_STRICT", saved, 1);
	else
		unsetenv("OM_STORE_STRICT");
	hss_close(h);
}

/* This process's durable commits on the HSS's SQLite file; -1 on PostgreSQL (no such counter). */
static long long durable_commits(struct hss *h)
{
	char v[32];
	if (om_store_setting(h->store, "durable_commits", v, sizeof(v)) < 0)
		return -1;
	return atoll(v);
}

/*
 * The SQN mark is born reserved with the subscriber (add, import) and moved
 * ahead by a change, each in the admin command's durable commit, so the
 * AIRs after it commit lazily until they pass the mark (docs/hss.md "SQN").
 * On the old code the mark was 0 after the add and the first AIR made a
 * durable commit of its own.
 */
static void the_airs_after_an_add_or_a_change_commit_lazily(void)
{
	struct hss *h = fresh(16, 2);
	struct om_eutran_vector v[5];
	if (!h)
		return;
	CHECK_INT(t_sub_int(db, T_IMSI, "seq_reserved"), 16);
	long long d0 = durable_commits(h);
	for (int i = 0; i < 3; i++) /* SEQ 1..15, under the mark */
		CHECK_INT(hss_auth_info(h, T_IMSI, t_plmn_home, "mme1.lab", 5, NULL, v), 5);
	CHECK_INT(t_sub_int(db, T_IMSI, "seq_reserved"), 16);
	if (d0 >= 0)
		CHECK_INT(durable_commits(h), d0);
	CHECK_INT(hss_auth_info(h, T_IMSI, t_plmn_home, "mme1.lab", 5, NULL, v), 5); /* SEQ 20: past it */
	CHECK_INT(t_sub_int(db, T_IMSI, "seq_reserved"), 20 + 16);
	if (d0 >= 0)
		CHECK_INT(durable_commits(h), d0 + 1);
	/* a clean restart settles the mark to the SQN; a change reserves again */
	hss_close(h);
	h = reopen(16);
	if (!h)
		return;
	CHECK_INT(t_sub_int(db, T_IMSI, "seq_reserved"), 20);
	CHECK_INT(t_admin(h, "change " T_IMSI " ambr=3000/5000"), 0);
	CHECK_INT(t_sub_int(db, T_IMSI, "seq_reserved"), 20 + 16);
	d0 = durable_commits(h);
	CHECK_INT(hss_auth_info(h, T_IMSI, t_plmn_home, "mme1.lab", 5, NULL, v), 5); /* SEQ 25 */
	CHECK_INT(t_sub_int(db, T_IMSI, "sqn >> 5"), 25);
	CHECK_INT(t_sub_int(db, T_IMSI, "seq_reserved"), 20 + 16);
	if (d0 >= 0)
		CHECK_INT(durable_commits(h), d0);
	/* a change never lowers it */
	CHECK_INT(t_admin(h, "change " T_IMSI " status=active"), 0);
	CHECK_INT(t_sub_int(db, T_IMSI, "seq_reserved"), 25 + 16);
	OPENSSL_cleanse(v, sizeof(v));
	hss_close(h);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	vectors_authenticate_on_the_usim();
	gives_consecutive_seqs_with_each_mmes_own_ind();
	refuses_unknown_suspended_and_roaming_without_a_row_change();
	update_location_records_the_mme_and_purge_forgets_it();
	resync_continues_above_sqn_ms();
	refuses_a_forged_auts_without_a_row_change();
	bounds_resyncs_per_window();
	stale_auts_keeps_the_sqn_above_everything_issued();
	refuses_to_go_back_when_the_usim_is_delta_behind();
	resync_after_a_crash_stays_above_the_mark();
	threads_never_share_a_sqn();
	a_lost_server_is_reopened_with_the_crash_recovery();
	a_statement_left_busy_is_reset_by_hss_idle();
	the_airs_after_an_add_or_a_change_commit_lazily();
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return check_done();
}
