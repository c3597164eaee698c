/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Authentication vectors (TS 33.102 6.3.2, TS 33.401 6.1) and AUTS
 * resynchronisation (TS 33.102 6.3.5). See vector.h for the contracts and
 * docs/auth.md for why it is shaped this way.
 */
#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>

#include <openmcim/sqn.h>
#include <openmcim/vector.h>

int om_vector_gen_init(struct om_vector_gen *g)
{
	if (!g)
		return OM_EINVAL;
	om_rand_pool_init(&g->pool);
	return om_kdf_init(&g->kdf);
}

void om_vector_gen_clear(struct om_vector_gen *g)
{
	if (!g)
		return;
	om_kdf_clear(&g->kdf);
	om_rand_pool_clear(&g->pool);
}

void om_amf_for_eutran(uint8_t out[static OM_AMF_LEN], const uint8_t amf[static OM_AMF_LEN])
{
	out[0] = amf[0] | OM_AMF_SEPARATION;
	out[1] = amf[1];
}

void om_amf_for_utran(uint8_t out[static OM_AMF_LEN], const uint8_t amf[static OM_AMF_LEN])
{
	out[0] = amf[0] & (uint8_t)~OM_AMF_SEPARATION;
	out[1] = amf[1];
}

/* The checks on caller input, done before any output is written. */
static int check_eutran(const struct om_milenage *m, uint64_t sqn, const uint8_t amf[2])
{
	if (!m)
		return OM_EINVAL;
	if (sqn > OM_SQN_MAX)
		return OM_EAUTH_SQN_RANGE;
	if (!(amf[0] & OM_AMF_SEPARATION))
		return OM_EAUTH_AMF;
	return 0;
}

/* MILENAGE and AUTN, shared by both kinds of vector. o holds CK and IK after. */
static int milenage_autn(const struct om_milenage *m, const uint8_t rand[16], uint64_t sqn,
			 const uint8_t amf[2], struct om_milenage_out *o, uint8_t autn[16])
{
	uint8_t sqnb[OM_SQN_LEN];
	om_sqn_to_bytes(sqnb, sqn);
	int err = om_milenage_f1_f5(m, rand, sqnb, amf, o);
	if (err < 0)
		return err;
	/* TS 33.102 6.3.2: AUTN = SQN xor AK || AMF || MAC */
	for (int i = 0; i < OM_SQN_LEN; i++)
		autn[i] = sqnb[i] ^ o->ak[i];
	memcpy(autn + 6, amf, 2);
	memcpy(autn + 8, o->mac_a, 8);
	return 0;
}

/* One E-UTRAN vector, input already checked; out is left zeroed on failure. */
static int eutran_one(struct om_kdf *kdf, const struct om_milenage *m, const uint8_t rand[16],
		      uint64_t sqn, const uint8_t amf[2], const uint8_t snid[3], struct om_eutran_vector *out)
{
	struct om_milenage_out o;
	int err;
	if ((err = milenage_autn(m, rand, sqn, amf, &o, out->autn)) < 0)
		goto out;
	/* KASME's P1 is the SQN xor AK just placed in AUTN (TS 33.401 A.2) */
	if ((err = om_kdf_kasme(kdf, out->kasme, o.ck, o.ik, snid, out->autn)) < 0)
		goto out;
	memcpy(out->rand, rand, OM_RAND_LEN);
	memcpy(out->xres, o.res, OM_RES_LEN);
out:
	if (err < 0)
		OPENSSL_cleanse(out, sizeof(*out));
	OPENSSL_cleanse(&o, sizeof(o));
	return err;
}

int om_vector_eutran_with_rand(struct om_kdf *kdf, const struct om_milenage *m,
			       const uint8_t rand[static OM_RAND_LEN], uint64_t sqn,
			       const uint8_t amf[static OM_AMF_LEN], const uint8_t snid[static OM_SNID_LEN],
			       struct om_eutran_vector *out)
{
	int err;
	if (!kdf || !out)
		return OM_EINVAL;
	if ((err = check_eutran(m, sqn, amf)) < 0)
		return err;
	return eutran_one(kdf, m, rand, sqn, amf, snid, out);
}

int om_vector_eutran(struct om_vector_gen *g, const struct om_milenage *m, uint64_t sqn,
		     const uint8_t amf[static OM_AMF_LEN], const uint8_t snid[static OM_SNID_LEN],
		     struct om_eutran_vector *out)
{
	uint8_t rand[OM_RAND_LEN];
	int err;
	if (!g || !out)
		return OM_EINVAL;
	if ((err = check_eutran(m, sqn, amf)) < 0)
		return err;
	if ((err = om_rand_pool_get(&g->pool, rand, sizeof(rand))) < 0) {
		OPENSSL_cleanse(out, sizeof(*out));
		return err;
	}
	return eutran_one(&g->kdf, m, rand, sqn, amf, snid, out);
}

int om_vector_utran_with_rand(const struct om_milenage *m, const uint8_t rand[static OM_RAND_LEN],
			      uint64_t sqn, const uint8_t amf[static OM_AMF_LEN], struct om_utran_vector *out)
{
	struct om_milenage_out o;
	int err;
	if (!m || !out)
		return OM_EINVAL;
	if (sqn > OM_SQN_MAX)
		return OM_EAUTH_SQN_RANGE;
	if (amf[0] & OM_AMF_SEPARATION)
		return OM_EAUTH_AMF_UTRAN;
	if ((err = milenage_autn(m, rand, sqn, amf, &o, out->autn)) < 0) {
		OPENSSL_cleanse(out, sizeof(*out));
		goto out;
	}
	memcpy(out->rand, rand, OM_RAND_LEN);
	memcpy(out->xres, o.res, OM_RES_LEN);
	memcpy(out->ck, o.ck, OM_CK_LEN);
	memcpy(out->ik, o.ik, OM_IK_LEN);
out:
	OPENSSL_cleanse(&o, sizeof(o));
	return err;
}

int om_vector_utran(struct om_vector_gen *g, const struct om_milenage *m, uint64_t sqn,
		    const uint8_t amf[static OM_AMF_LEN], struct om_utran_vector *out)
{
	uint8_t rand[OM_RAND_LEN];
	int err;
	if (!g || !m || !out)
		return OM_EINVAL;
	if (sqn > OM_SQN_MAX)
		return OM_EAUTH_SQN_RANGE;
	if (amf[0] & OM_AMF_SEPARATION)
		return OM_EAUTH_AMF_UTRAN;
	if ((err = om_rand_pool_get(&g->pool, rand, sizeof(rand))) < 0) {
		OPENSSL_cleanse(out, sizeof(*out));
		return err;
	}
	return om_vector_utran_with_rand(m, rand, sqn, amf, out);
}

/* Vectors whose KASMEs are derived together (om_kdf_kasme_batch interleaves
 * them four at a time on SHA-NI). */
#define BATCH_GROUP 8

int om_vector_eutran_batch(struct om_vector_gen *g, const struct om_vector_req *req, size_t n,
			   struct om_eutran_vector *out)
{
	struct om_milenage_out o[BATCH_GROUP];
	struct om_kasme_req kr[BATCH_GROUP];
	int err = 0;
	if (!g || (n && (!req || !out)) || n > INT_MAX)
		return OM_EINVAL;
	for (size_t i = 0; i < n; i++)
		if ((err = check_eutran(req[i].m, req[i].sqn, req[i].amf)) < 0)
			return err;
	for (size_t i = 0; i < n; i += BATCH_GROUP) {
		size_t k = n - i < BATCH_GROUP ? n - i : BATCH_GROUP;
		for (size_t j = 0; j < k; j++) {
			const struct om_vector_req *r = &req[i + j];
			struct om_eutran_vector *v = &out[i + j];
			if ((err = om_rand_pool_get(&g->pool, v->rand, OM_RAND_LEN)) < 0 ||
			    (err = milenage_autn(r->m, v->rand, r->sqn, r->amf, &o[j], v->autn)) < 0)
				goto out;
			memcpy(v->xres, o[j].res, OM_RES_LEN);
			/* KASME's P1 is the SQN xor AK at the start of AUTN (TS 33.401 A.2) */
			kr[j] = (struct om_kasme_req){ o[j].ck, o[j].ik, r->snid, v->autn, v->kasme };
		}
		if ((err = om_kdf_kasme_batch(&g->kdf, kr, k)) < 0)
			goto out;
	}
	err = (int)n;
out:
	if (err < 0)
		OPENSSL_cleanse(out, n * sizeof(*out));
	OPENSSL_cleanse(o, sizeof(o));
	return err;
}

int om_vector_resync(const struct om_milenage *m, const uint8_t rand[static OM_RAND_LEN],
		     const uint8_t auts[static OM_AUTS_LEN], uint64_t *sqn_ms)
{
	/* TS 33.102 6.3.3: MAC-S is computed with the dummy AMF = 0000 */
	static const uint8_t amf0[OM_AMF_LEN] = { 0, 0 };
	uint8_t ak_s[OM_AK_LEN], sqn[OM_SQN_LEN], mac_s[OM_MAC_LEN];
	int err;
	if (!m || !sqn_ms)
		return OM_EINVAL;
	/* f5* depends on RAND only; the SQN argument is unused for AK* */
	if ((err = om_milenage_f1s_f5s(m, rand, auts, amf0, NULL, ak_s)) < 0)
		goto out;
	for (int i = 0; i < OM_SQN_LEN; i++)
		sqn[i] = auts[i] ^ ak_s[i];
	if ((err = om_milenage_f1s_f5s(m, rand, sqn, amf0, mac_s, NULL)) < 0)
		goto out;
	if (CRYPTO_memcmp(mac_s, auts + OM_SQN_LEN, OM_MAC_LEN) != 0) {
		err = OM_EAUTH_MACS;
		goto out;
	}
	*sqn_ms = om_sqn_from_bytes(sqn);
out:
	OPENSSL_cleanse(ak_s, sizeof(ak_s));
	OPENSSL_cleanse(mac_s, sizeof(mac_s));
	OPENSSL_cleanse(sqn, sizeof(sqn));
	return err;
}
