/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Agreement with an independent implementation: libosmocore's osmo-auc-gen
 * (Debian libosmocore-utils), run as a process on random inputs.
 *  - vectors: random K, OP or OPc, RAND, SQN, AMF; AUTN, RES, CK, IK equal;
 *  - resync: our USIM builds an AUTS for a random SQN_MS; osmo-auc-gen -A
 *    recovers the same SQN.MS and picks for the next vector (-i IND -l LEN)
 *    the SQN that om_sqn_he_next() picks.
 * Processes run BATCH at a time through popen, so 2,000 of them take
 * seconds. A missing osmo-auc-gen is a failure, never a skip.
 */
#include <stdlib.h>
#include <unistd.h>

#include <openmcim/hex.h>
#include <openmcim/sqn.h>
#include <openmcim/usim.h>
#include <openmcim/vector.h>

#include "check.h"

#define CASES 1000
#define BATCH 32

static char tool[256];

static int find_tool(void)
{
	const char *path = getenv("PATH");
	char dirs[4096];
	snprintf(dirs, sizeof(dirs), "%s", path ? path : "/usr/bin:/bin");
	for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(tool, sizeof(tool), "%s/osmo-auc-gen", d);
		if (access(tool, X_OK) == 0)
			return 1;
	}
	return 0;
}

struct job {
	char cmd[1024];
	FILE *p;
	char out[4096];
	int status;
};

/* Start every job, BATCH at a time, and collect output and exit status. */
static void run_jobs(struct job *jobs, size_t n)
{
	for (size_t base = 0; base < n; base += BATCH) {
		size_t end = base + BATCH < n ? base + BATCH : n;
		for (size_t i = base; i < end; i++)
			jobs[i].p = popen(jobs[i].cmd, "r");
		for (size_t i = base; i < end; i++) {
			size_t len = 0, got;
			jobs[i].out[0] = 0;
			if (!jobs[i].p) {
				jobs[i].status = -1;
				continue;
			}
			while ((got = fread(jobs[i].out + len, 1, sizeof(jobs[i].out) - 1 - len, jobs[i].p)) > 0)
				len += got;
			jobs[i].out[len] = 0;
			jobs[i].status = pclose(jobs[i].p);
		}
	}
}

/* The value after "name:\t" at the start of a line, or "" if absent. */
static const char *field(const char *out, const char *name, char *buf, size_t cap)
{
	size_t nl = strlen(name);
	for (const char *p = out; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, name, nl) && p[nl] == ':') {
			const char *v = p + nl + 1;
			v += strspn(v, " \t");
			size_t len = strcspn(v, "\n");
			if (len >= cap)
				len = cap - 1;
			memcpy(buf, v, len);
			buf[len] = 0;
			return buf;
		}
	}
	buf[0] = 0;
	return buf;
}

static int same_hex(const char *out, const char *name, const uint8_t *want, size_t len)
{
	char got[128], hex[129];
	om_hex_encode(hex, want, len);
	return strcmp(field(out, name, got, sizeof(got)), hex) == 0;
}

static uint64_t field_u64(const char *out, const char *name, int *ok)
{
	char got[64], *end;
	field(out, name, got, sizeof(got));
	unsigned long long v = strtoull(got, &end, 10);
	*ok = got[0] && !*end;
	return v;
}

static uint64_t random_below(uint64_t n)
{
	uint64_t v;
	check_random((uint8_t *)&v, sizeof(v));
	return n ? v % n : 0;
}

/* ---- vectors ---------------------------------------------------------------- */

struct gen_case {
	uint8_t k[16], op[16], opc[16], rand[16], sqn[6], amf[2];
	int use_op;
};

static void vectors_agree(void)
{
	static struct gen_case c[CASES];
	static struct job jobs[CASES];
	struct om_kdf kdf;
	CHECK_INT(om_kdf_init(&kdf), 0);
	for (size_t i = 0; i < CASES; i++) {
		char k[33], o[33], r[33], a[5];
		check_random(c[i].k, 16);
		check_random(c[i].op, 16);
		check_random(c[i].rand, 16);
		check_random(c[i].sqn, 6);
		check_random(c[i].amf, 2);
		c[i].use_op = (int)(i & 1);
		if (om_milenage_opc(c[i].opc, c[i].k, c[i].op) != 0)
			abort();
		if (!c[i].use_op)
			check_random(c[i].opc, 16); /* an OPc with no OP behind it */
		om_hex_encode(k, c[i].k, 16);
		om_hex_encode(o, c[i].use_op ? c[i].op : c[i].opc, 16);
		om_hex_encode(r, c[i].rand, 16);
		om_hex_encode(a, c[i].amf, 2);
		snprintf(jobs[i].cmd, sizeof(jobs[i].cmd), "%s -3 -a milenage -k %s %s %s -r %s -s %llu -f %s 2>&1",
			 tool, k, c[i].use_op ? "-O" : "-o", o, r,
			 (unsigned long long)om_sqn_from_bytes(c[i].sqn), a);
	}
	run_jobs(jobs, CASES);

	int ran = 0, sqn_same = 0, autn = 0, res = 0, ck = 0, ik = 0, reported = 0;
	for (size_t i = 0; i < CASES; i++) {
		struct om_milenage m;
		struct om_milenage_out mo;
		uint8_t vec_autn[16], vec_res[8], snid[3] = { 0x00, 0xf1, 0x10 };
		int ok;
		ran += jobs[i].status == 0;
		sqn_same += field_u64(jobs[i].out, "SQN", &ok) == om_sqn_from_bytes(c[i].sqn) && ok;
		if (om_milenage_init(&m, c[i].k, c[i].opc) != 0 ||
		    om_milenage_f1_f5(&m, c[i].rand, c[i].sqn, c[i].amf, &mo) != 0)
			abort();
		/* AUTN and XRES through the network API: E-UTRAN when the separation bit is set */
		if (c[i].amf[0] & OM_AMF_SEPARATION) {
			struct om_eutran_vector v;
			CHECK_INT(om_vector_eutran_with_rand(&kdf, &m, c[i].rand, om_sqn_from_bytes(c[i].sqn),
							     c[i].amf, snid, &v), 0);
			memcpy(vec_autn, v.autn, 16);
			memcpy(vec_res, v.xres, 8);
		} else {
			struct om_utran_vector v;
			CHECK_INT(om_vector_utran_with_rand(&m, c[i].rand, om_sqn_from_bytes(c[i].sqn), c[i].amf, &v), 0);
			memcpy(vec_autn, v.autn, 16);
			memcpy(vec_res, v.xres, 8);
			CHECK_MEM(v.ck, mo.ck, 16);
			CHECK_MEM(v.ik, mo.ik, 16);
		}
		CHECK_MEM(vec_res, mo.res, 8);
		int a = same_hex(jobs[i].out, "AUTN", vec_autn, 16), r = same_hex(jobs[i].out, "RES", vec_res, 8);
		int kc = same_hex(jobs[i].out, "CK", mo.ck, 16), ki = same_hex(jobs[i].out, "IK", mo.ik, 16);
		autn += a, res += r, ck += kc, ik += ki;
		if (!(a && r && kc && ki) && reported++ < 3)
			fprintf(stderr, "disagreement: %s\n%s\n", jobs[i].cmd, jobs[i].out);
		om_milenage_clear(&m);
	}
	om_kdf_clear(&kdf);
	CHECK_INT(ran, CASES);
	CHECK_INT(sqn_same, CASES);
	CHECK_INT(autn, CASES);
	CHECK_INT(res, CASES);
	CHECK_INT(ck, CASES);
	CHECK_INT(ik, CASES);
}

/* ---- resync ----------------------------------------------------------------- */

struct sync_case {
	uint8_t k[16], opc[16], rand[16], auts[14];
	uint64_t sqn_ms;
	unsigned ind, ind_len;
	int usim_rc;
};

/*
 * A USIM whose highest accepted SQN is a random SQN_MS (other slots lower),
 * shown a stale vector, so that it answers with AUTS.
 */
static void make_auts(struct sync_case *c, size_t i)
{
	static const uint8_t amf[2] = { 0x00, 0x00 };
	struct om_milenage m;
	struct om_usim_sqn s;
	struct om_utran_vector v;
	struct om_usim_out out;
	unsigned b = (unsigned)(i % (OM_USIM_IND_BITS_MAX + 1));
	uint64_t top = OM_SQN_MAX >> b;

	check_random(c->k, 16);
	check_random(c->opc, 16);
	check_random(c->rand, 16);
	/* SEQ_MS in 1 .. top - 1: the top has no next SQN (sqn_test covers it) */
	uint64_t seq = 1 + random_below(top - 1), slot = random_below(UINT64_C(1) << b);
	c->sqn_ms = (seq << b) | slot;
	if (om_milenage_init(&m, c->k, c->opc) != 0 || om_usim_sqn_init(&s, b, top, 0) != 0)
		abort();
	for (uint64_t j = 0; j < (UINT64_C(1) << b); j++)
		s.seq_ms[j] = j == slot ? seq : random_below(seq);
	uint64_t stale = ((1 + random_below(seq)) << b) | slot;
	if (om_vector_utran_with_rand(&m, c->rand, stale, amf, &v) != 0)
		abort();
	c->usim_rc = om_usim_authenticate(&m, &s, c->rand, v.autn, &out);
	memcpy(c->auts, out.auts, 14);
	CHECK_INT(om_usim_sqn_ms(&s), c->sqn_ms);
	/* the HE's IND length: the USIM's for half the cases, any up to 28 otherwise */
	c->ind_len = (i & 1) ? (unsigned)random_below(OM_IND_BITS_MAX + 1) : b;
	c->ind = (unsigned)random_below(UINT64_C(1) << c->ind_len);
	om_milenage_clear(&m);
}

static void resync_agrees(void)
{
	static struct sync_case c[CASES];
	static struct job jobs[CASES];
	for (size_t i = 0; i < CASES; i++) {
		char k[33], o[33], r[33], a[29];
		make_auts(&c[i], i);
		om_hex_encode(k, c[i].k, 16);
		om_hex_encode(o, c[i].opc, 16);
		om_hex_encode(r, c[i].rand, 16);
		om_hex_encode(a, c[i].auts, 14);
		snprintf(jobs[i].cmd, sizeof(jobs[i].cmd), "%s -3 -a milenage -k %s -o %s -r %s -A %s -i %u -l %u 2>&1",
			 tool, k, o, r, a, c[i].ind, c[i].ind_len);
	}
	run_jobs(jobs, CASES);

	int sync = 0, ran = 0, sqn_ms = 0, next = 0, ours = 0, reported = 0;
	for (size_t i = 0; i < CASES; i++) {
		int ok1, ok2;
		uint64_t want_next = 0, theirs_ms = field_u64(jobs[i].out, "SQN.MS", &ok1);
		uint64_t theirs_next = field_u64(jobs[i].out, "SQN", &ok2);
		sync += c[i].usim_rc == OM_EAUTH_SYNC;
		ran += jobs[i].status == 0;
		int he = om_sqn_he_next(&want_next, c[i].sqn_ms, c[i].ind, c[i].ind_len) == 0;
		int a = ok1 && theirs_ms == c[i].sqn_ms, n = he && ok2 && theirs_next == want_next;
		sqn_ms += a, next += n;
		if (!(a && n) && reported++ < 3)
			fprintf(stderr, "disagreement: %s\n%s\n", jobs[i].cmd, jobs[i].out);
		/* and our network side reads the same SQN_MS from the AUTS */
		struct om_milenage m;
		uint64_t got = 0;
		if (om_milenage_init(&m, c[i].k, c[i].opc) != 0)
			abort();
		ours += om_vector_resync(&m, c[i].rand, c[i].auts, &got) == 0 && got == c[i].sqn_ms;
		om_milenage_clear(&m);
	}
	CHECK_INT(sync, CASES);
	CHECK_INT(ran, CASES);
	CHECK_INT(sqn_ms, CASES);
	CHECK_INT(next, CASES);
	CHECK_INT(ours, CASES);
}

static void forged_auts_is_refused_by_both(void)
{
	/* a control: a flipped MAC-S bit must make osmo-auc-gen fail too,
	 * otherwise the agreement above would prove nothing */
	struct sync_case c;
	struct job j;
	char k[33], o[33], r[33], a[29];
	make_auts(&c, 5);
	c.auts[13] ^= 0x01;
	om_hex_encode(k, c.k, 16);
	om_hex_encode(o, c.opc, 16);
	om_hex_encode(r, c.rand, 16);
	om_hex_encode(a, c.auts, 14);
	snprintf(j.cmd, sizeof(j.cmd), "%s -3 -a milenage -k %s -o %s -r %s -A %s -i 0 -l 5 2>&1", tool, k, o, r, a);
	run_jobs(&j, 1);
	CHECK(j.status != 0);
	struct om_milenage m;
	uint64_t got = 0;
	CHECK_INT(om_milenage_init(&m, c.k, c.opc), 0);
	CHECK_INT(om_vector_resync(&m, c.rand, c.auts, &got), OM_EAUTH_MACS);
	om_milenage_clear(&m);
}

int main(void)
{
	if (!find_tool()) {
		CHECK_MSG(0, "osmo-auc-gen not found on PATH: install libosmocore-utils (scripts/deps.sh)");
		return check_done();
	}
	vectors_agree();
	resync_agrees();
	forged_auts_is_refused_by_both();
	return check_done();
}
