/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Full EPS vectors per second on one core: openmcim's batch call against
 * libosmogsm's osmo_auth_gen_vec (the Debian libosmocore-dev package) in the
 * same run, for many subscribers.
 *
 *   vector_bench [subscribers [vectors]]     default 10000 subscribers, 3000000 vectors
 *
 * "Full" means RAND + MILENAGE + AUTN + KASME. libosmogsm has no KASME, so
 * its full figures add one per vector, with RAND from the same pool, three
 * ways: openmcim's HMAC over a reused EVP digest context (what om_kdf_kasme
 * did before SHA-NI, the figure the earlier ratios used), OpenSSL's one-shot
 * HMAC() (what a typical HSS built on libosmocore would call), and today's
 * om_kdf_kasme one vector at a time (SHA-NI when the CPU has it, not
 * interleaved). Both sides are also timed without KASME. A known answer (TS 35.208 set 1, and the KASME of the
 * published TS 33.401 A.2 case built on it) is checked on every path first,
 * so a broken build cannot report a fast number.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <openmcim/hex.h>
#include <openmcim/sqn.h>
#include <openmcim/vector.h>

#include "auth/sha256_ni.h" /* private: which KASME engine runs */

#ifdef OM_HAVE_LIBOSMOGSM
#include <osmocom/crypt/auth.h>
#endif

/* TS 35.208 test set 1, and KASME for its CK/IK with SQN fd8eef40df7d and
 * SN id 024830 (3gpp-auth.json kasme_TS33401_A2 case 1). */
static const char *const KAT_K = "465b5ce8b199b49faa5f0a2ee238a6bc";
static const char *const KAT_OPC = "cd63cb71954a9f4e48a5994e37a02baf";
static const char *const KAT_RAND = "23553cbe9637a89d218ae64dae47bf35";
static const uint64_t KAT_SQN = 0xff9bb4d0b607;
static const char *const KAT_AMF = "b9b9";
static const char *const KAT_AUTN = "55f328b43577b9b94a9ffac354dfafb3";
static const char *const KAT_RES = "a54211d5e3ba50bf";
static const char *const KAT_CK = "b40ba9a3c58b2a05bbf0d987b21bf8cb";
static const char *const KAT_IK = "f769bcd751044604127672711c6d3441";
static const uint64_t KAT_KASME_SQN = 0xfd8eef40df7d;
static const char *const KAT_SNID = "024830";
static const char *const KAT_KASME = "238e457e0f758badbca8d34bb2612c10428d426757cb5553b2b184fa64bfc549";

static int tty;
static volatile uint8_t sink;

static void die(const char *what)
{
	fprintf(stderr, "vector_bench: %s\n", what);
	exit(1);
}

static void hex(uint8_t *out, size_t len, const char *h)
{
	if (om_hex_decode(out, len, h) != 0)
		die("bad constant");
}

static int same(const uint8_t *got, size_t len, const char *want)
{
	uint8_t w[32];
	hex(w, len, want);
	return memcmp(got, w, len) == 0;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void progress(const char *name, size_t done, size_t total)
{
	if (tty)
		fprintf(stdout, "\r  %-28s %3zu%%", name, 100 * done / total), fflush(stdout);
}

static void progress_end(void)
{
	if (tty)
		fputs("\r\033[K", stdout);
}

static void known_answer_openmcim(struct om_vector_gen *g)
{
	struct om_milenage m;
	struct om_eutran_vector e;
	struct om_utran_vector u;
	uint8_t k[16], opc[16], rand[16], amf[2], snid[3];
	hex(k, 16, KAT_K);
	hex(opc, 16, KAT_OPC);
	hex(rand, 16, KAT_RAND);
	hex(amf, 2, KAT_AMF);
	hex(snid, 3, KAT_SNID);
	if (om_milenage_init(&m, k, opc) != 0)
		die("om_milenage_init failed");
	if (om_vector_eutran_with_rand(&g->kdf, &m, rand, KAT_SQN, amf, snid, &e) != 0 ||
	    !same(e.autn, 16, KAT_AUTN) || !same(e.xres, 8, KAT_RES))
		die("known answer failed: openmcim AUTN/XRES (TS 35.208 set 1)");
	if (om_vector_eutran_with_rand(&g->kdf, &m, rand, KAT_KASME_SQN, amf, snid, &e) != 0 ||
	    !same(e.kasme, 32, KAT_KASME))
		die("known answer failed: openmcim KASME (TS 33.401 A.2 case 1)");
	uint8_t amf_u[2];
	om_amf_for_utran(amf_u, amf);
	if (om_vector_utran_with_rand(&m, rand, KAT_SQN, amf_u, &u) != 0 || !same(u.ck, 16, KAT_CK) ||
	    !same(u.ik, 16, KAT_IK) || !same(u.xres, 8, KAT_RES))
		die("known answer failed: openmcim UTRAN CK/IK/RES");
	om_milenage_clear(&m);
}

struct result {
	const char *name;
	double ns;
};

static void report(struct result *r, size_t vectors, double secs)
{
	r->ns = secs * 1e9 / (double)vectors;
	printf("  %-44s %10.0f vectors/s %8.1f ns/vector\n", r->name, 1e9 / r->ns, r->ns);
}

/* openmcim: the batch call over every subscriber, round after round. */
static void bench_openmcim_full(struct om_vector_gen *g, struct om_vector_req *req, size_t nsub,
				struct om_eutran_vector *out, size_t total, struct result *r)
{
	size_t done = 0;
	double t0 = now();
	while (done < total) {
		size_t n = total - done < nsub ? total - done : nsub;
		if (om_vector_eutran_batch(g, req, n, out) != (int)n)
			die("om_vector_eutran_batch failed");
		for (size_t i = 0; i < n; i++)
			req[i].sqn += 32; /* next SEQ, same IND */
		sink ^= out[n - 1].kasme[0];
		done += n;
		progress(r->name, done, total);
	}
	double t = now() - t0;
	progress_end();
	report(r, total, t);
}

static void bench_openmcim_utran(struct om_vector_gen *g, struct om_vector_req *req, size_t nsub,
				 size_t total, struct result *r)
{
	struct om_utran_vector u;
	double t0 = now();
	for (size_t done = 0; done < total; done++) {
		struct om_vector_req *q = &req[done % nsub];
		uint8_t amf[2];
		om_amf_for_utran(amf, q->amf);
		if (om_vector_utran(g, q->m, q->sqn, amf, &u) != 0)
			die("om_vector_utran failed");
		q->sqn += 32;
		sink ^= u.ck[0];
		if (done % 65536 == 0)
			progress(r->name, done, total);
	}
	double t = now() - t0;
	progress_end();
	report(r, total, t);
}

#ifdef OM_HAVE_LIBOSMOGSM
/* How a libosmogsm vector gets its KASME (TS 33.401 A.2). */
enum kasme_way { KASME_NONE, KASME_EVP_CTX, KASME_HMAC_ONESHOT, KASME_OM_ONE };

static void kasme_peer(struct om_kdf *kdf, enum kasme_way way, uint8_t kasme[32], const uint8_t ck[16],
		       const uint8_t ik[16], const uint8_t snid[3], const uint8_t sqn_ak[6])
{
	uint8_t key[32], s[14] = { OM_KDF_FC_KASME, snid[0], snid[1], snid[2], 0x00, 0x03, sqn_ak[0], sqn_ak[1],
				   sqn_ak[2], sqn_ak[3], sqn_ak[4], sqn_ak[5], 0x00, 0x06 };
	unsigned len = 0;
	memcpy(key, ck, 16);
	memcpy(key + 16, ik, 16);
	switch (way) {
	case KASME_NONE:
		break;
	case KASME_EVP_CTX: /* om_kdf_kasme before SHA-NI: HMAC by hand on a reused EVP_MD_CTX */
		if (om_hmac_sha256(kdf, kasme, key, 32, s, 14) != 0)
			die("om_hmac_sha256 failed");
		break;
	case KASME_HMAC_ONESHOT:
		if (!HMAC(EVP_sha256(), key, 32, s, 14, kasme, &len) || len != 32)
			die("HMAC failed");
		break;
	case KASME_OM_ONE:
		if (om_kdf_kasme(kdf, kasme, ck, ik, snid, sqn_ak) != 0)
			die("om_kdf_kasme failed");
		break;
	}
	OPENSSL_cleanse(key, sizeof(key));
}

static void osmo_setup(struct osmo_sub_auth_data *a, const uint8_t k[16], const uint8_t opc[16],
		       const uint8_t amf[2], uint64_t sqn_next)
{
	memset(a, 0, sizeof(*a));
	a->type = OSMO_AUTH_TYPE_UMTS;
	a->algo = OSMO_AUTH_ALG_MILENAGE;
	memcpy(a->u.umts.k, k, 16);
	memcpy(a->u.umts.opc, opc, 16);
	memcpy(a->u.umts.amf, amf, 2);
	a->u.umts.ind_bitlen = 0; /* then libosmogsm uses sqn + 1 */
	a->u.umts.sqn = sqn_next - 1;
}

static void known_answer_osmo(struct om_kdf *kdf)
{
	struct osmo_sub_auth_data a;
	struct osmo_auth_vector v;
	uint8_t k[16], opc[16], rand[16], amf[2], snid[3], kasme[32];
	hex(k, 16, KAT_K);
	hex(opc, 16, KAT_OPC);
	hex(rand, 16, KAT_RAND);
	hex(amf, 2, KAT_AMF);
	hex(snid, 3, KAT_SNID);
	osmo_setup(&a, k, opc, amf, KAT_SQN);
	if (osmo_auth_gen_vec(&v, &a, rand) < 0 || !same(v.autn, 16, KAT_AUTN) || !same(v.res, 8, KAT_RES) ||
	    !same(v.ck, 16, KAT_CK) || !same(v.ik, 16, KAT_IK))
		die("known answer failed: libosmogsm (TS 35.208 set 1)");
	osmo_setup(&a, k, opc, amf, KAT_KASME_SQN);
	if (osmo_auth_gen_vec(&v, &a, rand) < 0)
		die("known answer failed: libosmogsm");
	for (int way = KASME_EVP_CTX; way <= KASME_OM_ONE; way++) {
		memset(kasme, 0, sizeof(kasme));
		kasme_peer(kdf, (enum kasme_way)way, kasme, v.ck, v.ik, snid, v.autn);
		if (!same(kasme, 32, KAT_KASME))
			die("known answer failed: libosmogsm + KASME (TS 33.401 A.2 case 1)");
	}
}

static void bench_osmo(struct om_vector_gen *g, struct osmo_sub_auth_data *subs, const struct om_vector_req *req,
		       size_t nsub, size_t total, enum kasme_way way, struct result *r)
{
	struct osmo_auth_vector v;
	uint8_t rand[16], kasme[32] = { 0 };
	double t0 = now();
	for (size_t done = 0; done < total; done++) {
		size_t i = done % nsub;
		if (om_rand_pool_get(&g->pool, rand, 16) != 0 || osmo_auth_gen_vec(&v, &subs[i], rand) < 0)
			die("osmo_auth_gen_vec failed");
		kasme_peer(&g->kdf, way, kasme, v.ck, v.ik, req[i].snid, v.autn);
		sink ^= v.ck[0] ^ kasme[0];
		if (done % 65536 == 0)
			progress(r->name, done, total);
	}
	double t = now() - t0;
	progress_end();
	report(r, total, t);
}
#endif

int main(int argc, char **argv)
{
	size_t nsub = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000;
	size_t total = argc > 2 ? strtoul(argv[2], NULL, 10) : 3000000;
	if (nsub == 0 || total == 0 || nsub > 10000000)
		die("usage: vector_bench [subscribers [vectors]]");
	tty = isatty(STDOUT_FILENO);

	struct om_vector_gen g;
	if (om_vector_gen_init(&g) != 0)
		die("om_vector_gen_init failed");
	known_answer_openmcim(&g);
#ifdef OM_HAVE_LIBOSMOGSM
	known_answer_osmo(&g.kdf);
#endif

	struct om_milenage *subs = aligned_alloc(16, nsub * sizeof(*subs));
	struct om_vector_req *req = calloc(nsub, sizeof(*req));
	struct om_eutran_vector *out = calloc(nsub, sizeof(*out));
	uint8_t *keys = malloc(nsub * 32);
	if (!subs || !req || !out || !keys)
		die("out of memory");
	if (om_rand_pool_get(&g.pool, keys, nsub * 32) != 0)
		die("RAND failed");
	for (size_t i = 0; i < nsub; i++) {
		if (om_milenage_init(&subs[i], keys + 32 * i, keys + 32 * i + 16) != 0)
			die("om_milenage_init failed");
		req[i].m = &subs[i];
		req[i].sqn = 32 * (i % 1000) + (i % 32);
		req[i].amf[0] = 0x80; /* separation bit: E-UTRAN */
		if (om_plmn_encode(req[i].snid, "001", i % 2 ? "01" : "001") != 0)
			die("om_plmn_encode failed");
	}

	printf("vector_bench: %zu subscribers, %zu vectors per run, one core, MILENAGE on %s, KASME on %s\n",
	       nsub, total, om_milenage_uses_aesni() ? "AES-NI" : "OpenSSL EVP",
	       om_sha256_ni_enabled() ? "SHA-NI" : "OpenSSL EVP");
	printf("known answers (TS 35.208 set 1, TS 33.401 A.2 case 1): ok\n");
	struct result full = { "openmcim batch, full (RAND+MILENAGE+KASME)", 0 };
	struct result utran = { "openmcim, no KASME (RAND+MILENAGE+AUTN)", 0 };
	bench_openmcim_full(&g, req, nsub, out, total, &full);
	bench_openmcim_utran(&g, req, nsub, total, &utran);
#ifdef OM_HAVE_LIBOSMOGSM
	struct osmo_sub_auth_data *osubs = calloc(nsub, sizeof(*osubs));
	if (!osubs)
		die("out of memory");
	for (size_t i = 0; i < nsub; i++)
		osmo_setup(&osubs[i], keys + 32 * i, keys + 32 * i + 16, req[i].amf, req[i].sqn);
	struct result oevp = { "libosmogsm 1.7 + EVP-context KASME, full", 0 };
	struct result ohmac = { "libosmogsm 1.7 + OpenSSL HMAC() KASME, full", 0 };
	struct result oone = { "libosmogsm 1.7 + om_kdf_kasme 1-by-1, full", 0 };
	struct result obare = { "libosmogsm 1.7 osmo_auth_gen_vec, no KASME", 0 };
	bench_osmo(&g, osubs, req, nsub, total, KASME_EVP_CTX, &oevp);
	bench_osmo(&g, osubs, req, nsub, total, KASME_HMAC_ONESHOT, &ohmac);
	bench_osmo(&g, osubs, req, nsub, total, KASME_OM_ONE, &oone);
	bench_osmo(&g, osubs, req, nsub, total, KASME_NONE, &obare);
	printf("ratio, full vectors:  openmcim batch is %.1fx libosmogsm + EVP-context KASME (as before)\n",
	       oevp.ns / full.ns);
	printf("                      openmcim batch is %.1fx libosmogsm + OpenSSL HMAC() KASME\n",
	       ohmac.ns / full.ns);
	printf("                      openmcim batch is %.1fx libosmogsm + om_kdf_kasme one by one\n",
	       oone.ns / full.ns);
	printf("ratio, without KASME: openmcim is %.1fx libosmogsm\n", obare.ns / utran.ns);
	OPENSSL_cleanse(osubs, nsub * sizeof(*osubs));
	free(osubs);
#else
	printf("libosmogsm not found at build time: no comparison\n");
#endif
	for (size_t i = 0; i < nsub; i++)
		om_milenage_clear(&subs[i]);
	OPENSSL_cleanse(keys, nsub * 32);
	OPENSSL_cleanse(out, nsub * sizeof(*out));
	free(keys);
	free(out);
	free(req);
	free(subs);
	om_vector_gen_clear(&g);
	return 0;
}
