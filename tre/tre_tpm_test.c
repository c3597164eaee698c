/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TRE on a TPM 2.0 (tre/seal_tpm.c) against swtpm, which the test
 * starts itself (tests/hw_token.h): the sealing key opens on this TPM only,
 * and the NV counter refuses every older copy of the directory, so the
 * review's rollback attacks (an old challenge answered again, an erased
 * MCIM back, the old trust root back, a BLOCKED verdict undone) fail. Each
 * refusal has its code and changes no byte of the directory nor the
 * counter, which tpm2-tools reads independently.
 */
#include <fcntl.h>
#include <stdio.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/core_names.h>
#include <openssl/encoder.h>
#include <openssl/err.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_tctildr.h>

#include <openmcim/be.h>

#include "hw_token.h"
#include "quote_tpm.h"
#include "tre_fixture.h"
#include "tre_int.h"

static struct om_ca *pva;
static EVP_PKEY *pva_key;
static struct fx_sho ro, sho1, sho2;
static struct t_swtpm tpm, other;
static struct om_tre_backend be;

/* The TPM's NV index of the TRE in dir (tpm.ctx, bytes 5-8). */
static uint32_t nv_index_of(const char *dir)
{
	char path[512];
	size_t len = 0;
	snprintf(path, sizeof(path), "%s/tpm.ctx", dir);
	uint8_t *b = check_slurp(path, &len);
	if (!b || len < 9)
		FX_DIE("tpm.ctx");
	uint32_t v = (uint32_t)om_be_get(b + 5, 4);
	free(b);
	return v;
}

/* The NV counter as tpm2-tools reads it (an independent client of the same TPM). */
static uint64_t nv_by_tools(const struct t_swtpm *on, uint32_t index)
{
	char cmd[512];
	uint8_t b[8];
	snprintf(cmd, sizeof(cmd), "tpm2_nvread -T '%s' -s 8 0x%08x 2>/dev/null", on->tcti, index);
	FILE *p = popen(cmd, "r");
	size_t n = p ? fread(b, 1, sizeof(b), p) : 0;
	int st = p ? pclose(p) : -1;
	CHECK_MSG(n == 8 && st == 0, "tpm2_nvread 0x%08x: %zu bytes, status %d", index, n, st);
	return n == 8 ? om_be_get(b, 8) : 0;
}

/* cp -a from/pattern to/ */
static void cp_into(const char *from, const char *pattern, const char *to)
{
	char cmd[1200];
	snprintf(cmd, sizeof(cmd), "cp -a '%s'/%s '%s'/", from, pattern, to);
	if (system(cmd) != 0)
		FX_DIE(cmd);
}

/* A copy of the directory as it is now (what a flash dump keeps). */
static void snapshot(const char *dir, char snap[64])
{
	snprintf(snap, 64, "/tmp/om-snap-XXXXXX");
	if (!mkdtemp(snap))
		FX_DIE("mkdtemp");
	cp_into(dir, ".", snap);
}

/* Put the copy back over the directory, every file as it was then. */
static void restore(const char *snap, const char *dir)
{
	char cmd[1200];
	snprintf(cmd, sizeof(cmd), "rm -f '%s'/* && cp -a '%s'/. '%s'/", dir, snap, dir);
	if (system(cmd) != 0)
		FX_DIE(cmd);
}

/* Opened as configured by as: refused with code; not one byte of the TRE nor the NV counter moved. */
static void open_as_refused_unchanged(const char *dir, const struct om_tre_backend *as, int code,
				      const struct t_swtpm *on)
{
	uint32_t idx = nv_index_of(dir);
	uint64_t nv = nv_by_tools(on, idx);
	fx_open_refused(dir, as, code);
	CHECK_INT(nv_by_tools(on, idx), nv);
}

/* Opened on the TPM backend: refused with code, nothing moved. */
static void open_refused_unchanged(const char *dir, int code, const struct t_swtpm *on)
{
	open_as_refused_unchanged(dir, &be, code, on);
}

/* Write len bytes to dir/name, mode 0600 (an attacker who can write the directory). */
static void put_file(const char *dir, const char *name, const uint8_t *b, size_t len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, b, len) != (ssize_t)len || close(fd) != 0)
		FX_DIE(path);
}

/*
 * Review finding 1: the backend is the configuration's. A TPM directory is
 * never opened as a software TRE: not as it is, not with tpm.ctx deleted,
 * not with a key file put in its place; and the directory names no TCTI
 * for tpm2-tss to load: a tpm.ctx of the version that did is refused.
 */
static void test_backend_and_tcti_come_from_the_configuration(void)
{
	struct fx_tre t, soft;
	struct om_tre *tre = fx_tre_setup(&t, pva, "TRE-00000707", &ro, &be);
	char path[512];
	size_t len = 0;
	om_tre_close(tre);
	/* the TCTI is not in the directory at all */
	snprintf(path, sizeof(path), "%s/tpm.ctx", t.dir);
	uint8_t *ctx = check_slurp(path, &len);
	CHECK(ctx && !check_file_has(path, (const uint8_t *)tpm.tcti, strlen(tpm.tcti)) &&
	      !check_file_has(path, (const uint8_t *)"swtpm", 5));
	/* configured as a software TRE */
	open_as_refused_unchanged(t.dir, NULL, OM_ETRE_BACKEND, &tpm);
	/* tpm.ctx deleted: the configuration still says tpm, and nothing opens */
	unlink(path);
	fx_open_refused(t.dir, &be, OM_ETRE_NOT_FOUND);
	fx_open_refused(t.dir, NULL, OM_ETRE_NOT_FOUND);
	/* a key file of the attacker's own software TRE put in its place: another backend's */
	tre = fx_tre_setup(&soft, pva, "TRE-00000707", &ro, NULL);
	om_tre_close(tre);
	cp_into(soft.dir, "seal.key", t.dir);
	fx_open_refused(t.dir, &be, OM_ETRE_BACKEND);
	/* the whole software TRE, configured as tpm */
	fx_open_refused(soft.dir, &be, OM_ETRE_BACKEND);
	/* tpm.ctx back, in the old version that named a TCTI (here another TPM's): refused, nothing loaded */
	snprintf(path, sizeof(path), "%s/seal.key", t.dir);
	unlink(path);
	if (ctx && len > 9) {
		size_t n = strlen(other.tcti), off = 9;
		TPM2B_NAME srk = { 0 };
		CHECK(Tss2_MU_TPM2B_NAME_Unmarshal(ctx, len, &off, &srk) == TSS2_RC_SUCCESS);
		uint8_t *v1 = malloc(10 + n + len - off);
		if (!v1)
			FX_DIE("malloc");
		memcpy(v1, ctx, 9);
		v1[4] = 1;
		v1[9] = (uint8_t)n;
		memcpy(v1 + 10, other.tcti, n);
		memcpy(v1 + 10 + n, ctx + off, len - off);
		put_file(t.dir, "tpm.ctx", v1, 10 + n + len - off);
		open_refused_unchanged(t.dir, OM_ETRE_STATE_VERSION, &tpm);
		free(v1);
		/* the current version, as the factory wrote it: the TRE opens on the configured TPM */
		put_file(t.dir, "tpm.ctx", ctx, len);
		CHECK_INT(om_tre_open_backend(&tre, t.dir, &be, 0), 0);
		om_tre_close(tre);
	}
	free(ctx);
	fx_tre_free(&soft);
	fx_tre_free(&t);
}

/* An ESYS connection to on's TPM. */
static ESYS_CONTEXT *esys_on(const struct t_swtpm *on, TSS2_TCTI_CONTEXT **tcti)
{
	ESYS_CONTEXT *es = NULL;
	if (Tss2_TctiLdr_Initialize(on->tcti, tcti) != TSS2_RC_SUCCESS ||
	    Esys_Initialize(&es, *tcti, NULL) != TSS2_RC_SUCCESS)
		FX_DIE("esys");
	return es;
}

static void esys_off(ESYS_CONTEXT *es, TSS2_TCTI_CONTEXT *tcti)
{
	Esys_Finalize(&es);
	Tss2_TctiLdr_Finalize(&tcti);
}

/*
 * The owner (empty owner auth, as on most devices) deletes the TRE's NV
 * index and defines another at its handle with attrs, then writes value
 * into it (an ordinary index) or increments it (a counter).
 */
static void replace_nv(uint32_t index, TPMA_NV attrs, uint64_t value)
{
	TSS2_TCTI_CONTEXT *tcti = NULL;
	ESYS_CONTEXT *es = esys_on(&tpm, &tcti);
	ESYS_TR nv = ESYS_TR_NONE;
	TPM2B_AUTH auth = { 0 };
	CHECK(Esys_TR_FromTPMPublic(es, index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &nv) == TSS2_RC_SUCCESS);
	CHECK(Esys_NV_UndefineSpace(es, ESYS_TR_RH_OWNER, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE) ==
	      TSS2_RC_SUCCESS);
	TPM2B_NV_PUBLIC pub = { .nvPublic = { .nvIndex = index, .nameAlg = TPM2_ALG_SHA256, .attributes = attrs,
					      .dataSize = 8 } };
	CHECK(Esys_NV_DefineSpace(es, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &auth, &pub,
				  &nv) == TSS2_RC_SUCCESS);
	if ((attrs & TPMA_NV_TPM2_NT_MASK) >> TPMA_NV_TPM2_NT_SHIFT == TPM2_NT_COUNTER) {
		CHECK(Esys_NV_Increment(es, nv, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE) == TSS2_RC_SUCCESS);
	} else {
		TPM2B_MAX_NV_BUFFER data = { .size = 8 };
		om_be_put(data.buffer, value, 8);
		CHECK(Esys_NV_Write(es, nv, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &data, 0) ==
		      TSS2_RC_SUCCESS);
	}
	Esys_TR_Close(es, &nv);
	esys_off(es, tcti);
}

/*
 * Review finding 4: the NV counter index is checked at open. An ordinary
 * index put at its handle (which its owner could write back to any value)
 * and a counter of other attributes are refused with OM_ETRE_NV, before
 * anything is unsealed; an SRK name in tpm.ctx that is not the TPM's is
 * refused before the key is unsealed in a session salted with it.
 */
static void test_replaced_nv_index_or_srk_is_refused(void)
{
	struct fx_tre t;
	struct om_tre *tre = fx_tre_setup(&t, pva, "TRE-00000708", &ro, &be);
	om_tre_close(tre);
	uint32_t idx = nv_index_of(t.dir);
	uint64_t nv = nv_by_tools(&tpm, idx);
	const TPMA_NV counter = (TPM2_NT_COUNTER << TPMA_NV_TPM2_NT_SHIFT) & TPMA_NV_TPM2_NT_MASK;
	/* an ordinary index holding the value an older copy of the directory would need */
	replace_nv(idx, TPMA_NV_AUTHREAD | TPMA_NV_AUTHWRITE | TPMA_NV_OWNERREAD | TPMA_NV_NO_DA, nv - 1);
	open_refused_unchanged(t.dir, OM_ETRE_NV, &tpm);
	/* a counter the owner may also write, with dictionary-attack protection */
	replace_nv(idx, counter | TPMA_NV_AUTHREAD | TPMA_NV_AUTHWRITE | TPMA_NV_OWNERREAD | TPMA_NV_OWNERWRITE, 0);
	open_refused_unchanged(t.dir, OM_ETRE_NV, &tpm);
	/* tpm.ctx naming another SRK (its name's last byte changed) */
	fx_tre_free(&t);
	tre = fx_tre_setup(&t, pva, "TRE-00000709", &ro, &be);
	om_tre_close(tre);
	char path[512];
	size_t len = 0;
	snprintf(path, sizeof(path), "%s/tpm.ctx", t.dir);
	uint8_t *ctx = check_slurp(path, &len);
	if (ctx && len > 11) {
		size_t name_len = om_be_get(ctx + 9, 2);
		ctx[9 + 2 + name_len - 1] ^= 1;
		put_file(t.dir, "tpm.ctx", ctx, len);
		open_refused_unchanged(t.dir, OM_ETRE_SEAL, &tpm);
	}
	free(ctx);
	fx_tre_free(&t);
}

/*
 * Review finding 6: an erase takes the next counter value, so the copy of
 * the directory from just before it (the erased file, a manifest that
 * lists it) is an older copy, refused.
 */
static void test_copy_from_before_an_erase_is_refused(void)
{
	char dir[] = "/tmp/om-seal-XXXXXX", snap[64];
	struct tre_sealer *s = fx_sealer(dir, &be);
	const uint8_t a[] = "a record", b[] = "another record";
	CHECK_INT(tre_seal_put(s, "a.mid", a, sizeof(a), 1), 0);
	CHECK_INT(tre_seal_put(s, "b.mid", b, sizeof(b), 1), 0);
	uint64_t c = s->counter;
	tre_seal_close(s);
	snapshot(dir, snap);
	s = NULL;
	CHECK_INT(tre_seal_open(&s, dir, &be, 0), 0);
	if (!s)
		FX_DIE("seal open");
	CHECK_INT(tre_seal_erase(s, "b.mid"), 0);
	CHECK_INT(s->counter, c + 1);
	CHECK_INT(nv_by_tools(&tpm, nv_index_of(dir)), c + 1);
	CHECK(!fx_has_file(dir, "b.mid"));
	tre_seal_close(s);
	/* the copy from before the erase */
	restore(snap, dir);
	uint8_t before[32], after[32];
	fx_dir_hash(dir, before);
	s = NULL;
	CHECK_INT(tre_seal_open(&s, dir, &be, 0), OM_ETRE_ROLLBACK);
	CHECK(s == NULL);
	fx_dir_hash(dir, after);
	CHECK_MEM(before, after, 32);
	CHECK_INT(nv_by_tools(&tpm, nv_index_of(dir)), c + 1);
	fx_rmdir(snap);
	fx_rmdir(dir);
}

static void test_tre_counter_is_the_tpm_nv_counter(void)
{
	struct fx_tre t;
	struct om_tre *tre = fx_tre_setup(&t, pva, "TRE-00000701", &ro, &be);
	struct om_tre_status st;

	/* no key file: the key is a TPM object */
	CHECK(fx_has_file(t.dir, "tpm.ctx") && fx_has_file(t.dir, "seal.manifest") && !fx_has_file(t.dir, "seal.key"));
	uint32_t idx = nv_index_of(t.dir);
	CHECK_INT(om_tre_status(tre, &st), 0);
	CHECK(st.counter > 0);
	uint64_t c0 = st.counter;
	CHECK_INT(aka_ok(tre, &t.pcid, 32), 0);
	CHECK_INT(om_tre_status(tre, &st), 0);
	CHECK_INT(st.counter, c0 + 1);
	/* tpm2-tools reads the same value the TRE reports (and signs), while the
	 * TRE is open: it holds no TPM connection between operations */
	CHECK_INT(nv_by_tools(&tpm, idx), c0 + 1);
	om_tre_close(tre);
	tre = NULL;
	CHECK_INT(om_tre_open_backend(&tre, t.dir, &be, 0), 0);
	CHECK_INT(om_tre_status(tre, &st), 0);
	CHECK_INT(st.counter, c0 + 1);
	CHECK_INT(aka_ok(tre, &t.pcid, 64), 0);
	om_tre_close(tre);
	fx_tre_free(&t);
}

static void test_directory_copied_to_another_device_is_refused(void)
{
	struct fx_tre t;
	struct om_tre *tre = fx_tre_setup(&t, pva, "TRE-00000702", &ro, &be);
	char snap[64];
	om_tre_close(tre);
	snapshot(t.dir, snap);
	/* the same directory on a device with another TPM (its configuration names its own) */
	struct om_tre_backend there = { .kind = OM_TRE_BACKEND_TPM, .tpm_tcti = other.tcti };
	struct om_tre *o = NULL;
	uint8_t before[32], after[32];
	fx_dir_hash(snap, before);
	CHECK_INT(om_tre_open_backend(&o, snap, &there, 0), OM_ETRE_SEAL);
	CHECK(o == NULL);
	fx_dir_hash(snap, after);
	CHECK_MEM(before, after, 32);
	/* and on a device whose TPM does not answer */
	there.tpm_tcti = "swtpm:path=/nonexistent/om-no-tpm";
	CHECK_INT(om_tre_open_backend(&o, snap, &there, 0), OM_ETRE_HW);
	/* at home it still opens */
	CHECK_INT(om_tre_open_backend(&o, t.dir, &be, 0), 0);
	om_tre_close(o);
	fx_rmdir(snap);
	fx_tre_free(&t);
}

/* An old challenge: the SQN state rolled back would accept its AUTN again. */
static void test_older_copy_after_aka_is_refused(void)
{
	struct fx_tre t;
	struct om_tre *tre = fx_tre_setup(&t, pva, "TRE-00000703", &ro, &be);
	char snap[64], mid_snap[64];
	om_tre_close(tre);
	snapshot(t.dir, snap);
	CHECK_INT(om_tre_open_backend(&tre, t.dir, &be, 0), 0);
	CHECK_INT(aka_ok(tre, &t.pcid, 32), 0);
	om_tre_close(tre);
	snapshot(t.dir, mid_snap);
	/* the whole directory as it was before the challenge */
	restore(snap, t.dir);
	open_refused_unchanged(t.dir, OM_ETRE_ROLLBACK, &tpm);
	/* only the MID file (its SQN state) as it was, the rest current */
	restore(mid_snap, t.dir);
	cp_into(snap, "mid-*", t.dir);
	open_refused_unchanged(t.dir, OM_ETRE_ROLLBACK, &tpm);
	/* only the state record as it was */
	restore(mid_snap, t.dir);
	cp_into(snap, "tre.state", t.dir);
	/* the state record was not written by the AKA: the same bytes, so it opens */
	CHECK_INT(om_tre_open_backend(&tre, t.dir, &be, 0), 0);
	CHECK_INT(aka_ok(tre, &t.pcid, 64), 0);
	om_tre_close(tre);
	fx_rmdir(snap);
	fx_rmdir(mid_snap);
	fx_tre_free(&t);
}

/* Open, provision m from `from` to `to`, activate, answer, confirm, close. */
static void change_operator(const struct fx_tre *t, const struct fx_sho *from, const struct fx_sho *to, uint32_t seq,
			    const struct om_mcim *m, uint8_t mid[16], time_t now)
{
	struct om_tre *tre = NULL;
	CHECK_INT(om_tre_open_backend(&tre, t->dir, &be, 0), 0);
	if (!tre)
		FX_DIE("open");
	provision(tre, t, from, to, seq, m, mid);
	CHECK_INT(om_tre_activate(tre, mid, now, 60), 0);
	CHECK_INT(aka_ok(tre, m, 32), 0);
	CHECK_INT(om_tre_confirm(tre, now + 1), 0);
	om_tre_close(tre);
}

/* The old trust root back (a bootstrap undone), and an erased MCIM back (a change of operator undone). */
static void test_older_copy_after_bootstrap_or_erase_is_refused(void)
{
	struct fx_tre t;
	struct om_tre *tre = fx_tre_setup(&t, pva, "TRE-00000704", &ro, &be);
	struct om_mcim m1, m2;
	uint8_t mid1[16], mid2[16];
	char before_boot[64], before_erase[64];
	time_t now = time(NULL);

	fx_pcid(&m1, "001020000000001", "m2m.sho1.example");
	fx_pcid(&m2, "001030000000001", "m2m.sho2.example");
	om_tre_close(tre);
	snapshot(t.dir, before_boot);
	change_operator(&t, &ro, &sho1, 1, &m1, mid1, now);
	snapshot(t.dir, before_erase);
	change_operator(&t, &sho1, &sho2, 2, &m2, mid2, now);
	char after[64];
	snapshot(t.dir, after);
	/* SHO1's MCIM, erased by the confirmation, and SHO1 as trust root: back */
	restore(before_erase, t.dir);
	open_refused_unchanged(t.dir, OM_ETRE_ROLLBACK, &tpm);
	/* the RO's trust root and the factory state: back */
	restore(before_boot, t.dir);
	open_refused_unchanged(t.dir, OM_ETRE_ROLLBACK, &tpm);
	/* the erased file alone, put back beside the current state, is never read */
	restore(after, t.dir);
	cp_into(before_erase, "mid-*", t.dir);
	CHECK_INT(om_tre_open_backend(&tre, t.dir, &be, 0), 0);
	struct om_tre_mid_info mi[4];
	CHECK_INT(om_tre_mid_list(tre, sho1.id, mi, 4), 0);
	CHECK_INT(aka_ok(tre, &m2, 64), 0);
	om_tre_close(tre);
	fx_rmdir(before_boot);
	fx_rmdir(before_erase);
	fx_rmdir(after);
	om_mcim_clear(&m1);
	om_mcim_clear(&m2);
	fx_tre_free(&t);
}

/* A BLOCKED verdict undone: the copy from before the integrity check blocked the MID. */
static void test_older_copy_undoing_a_block_is_refused(void)
{
	struct fx_tre t;
	struct om_tre *tre = fx_tre_setup(&t, pva, "TRE-00000705", &ro, &be);
	struct om_tre_status st;
	char clean[64];
	om_tre_close(tre);
	snapshot(t.dir, clean);
	fx_flip_mid(t.dir, 40);
	CHECK_INT(om_tre_open_backend(&tre, t.dir, &be, 0), 0);
	CHECK_INT(om_tre_status(tre, &st), 0);
	CHECK_INT(st.n_blocked, 1);
	om_tre_close(tre);
	restore(clean, t.dir);
	open_refused_unchanged(t.dir, OM_ETRE_ROLLBACK, &tpm);
	fx_rmdir(clean);
	fx_tre_free(&t);
}

/*
 * Load the object (pub, priv) under the SRK of the TCG ECC P-256 template
 * and ask the TPM to duplicate it, in a policy session allowing
 * TPM2_Duplicate: the TPM must refuse (fixedParent).
 */
static void try_duplicate(const TPM2B_PUBLIC *pub_in, const TPM2B_PRIVATE *priv_in)
{
	TPM2B_PUBLIC pub = *pub_in;
	TPM2B_PRIVATE priv = *priv_in;
	TSS2_TCTI_CONTEXT *tcti = NULL;
	ESYS_CONTEXT *es = NULL;
	CHECK(Tss2_TctiLdr_Initialize(tpm.tcti, &tcti) == TSS2_RC_SUCCESS);
	CHECK(tcti && Esys_Initialize(&es, tcti, NULL) == TSS2_RC_SUCCESS);
	if (es) {
		TPM2B_SENSITIVE_CREATE sens = { 0 };
		TPM2B_PUBLIC tpl = {
			.publicArea = {
				.type = TPM2_ALG_ECC, .nameAlg = TPM2_ALG_SHA256,
				.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
						    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
						    TPMA_OBJECT_NODA | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT,
				.parameters.eccDetail = {
					.symmetric = { .algorithm = TPM2_ALG_AES, .keyBits.aes = 128, .mode.aes = TPM2_ALG_CFB },
					.scheme = { .scheme = TPM2_ALG_NULL }, .curveID = TPM2_ECC_NIST_P256,
					.kdf = { .scheme = TPM2_ALG_NULL },
				},
				.unique.ecc = { .x = { .size = 32 }, .y = { .size = 32 } },
			},
		};
		TPM2B_DATA outside = { 0 };
		TPML_PCR_SELECTION pcrs = { 0 };
		ESYS_TR srk = ESYS_TR_NONE, obj = ESYS_TR_NONE, pol = ESYS_TR_NONE;
		/* the parent: the TCG SRK template (the sealing backend's), or the same with an empty
		 * unique and without noDA (tpm2-openssl's, for the TSS2 keys' parent 0x40000001) */
		for (int v = 0; v < 4 && obj == ESYS_TR_NONE; v++) {
			tpl.publicArea.unique.ecc.x.size = tpl.publicArea.unique.ecc.y.size = (v & 1) ? 0 : 32;
			if (v & 2)
				tpl.publicArea.objectAttributes &= ~TPMA_OBJECT_NODA;
			if (Esys_CreatePrimary(es, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sens,
					       &tpl, &outside, &pcrs, &srk, NULL, NULL, NULL, NULL) != TSS2_RC_SUCCESS)
				break;
			if (Esys_Load(es, srk, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &priv, &pub, &obj) !=
			    TSS2_RC_SUCCESS) {
				obj = ESYS_TR_NONE;
				Esys_FlushContext(es, srk);
				srk = ESYS_TR_NONE;
			}
		}
		CHECK_MSG(obj != ESYS_TR_NONE, "the object does not load under any SRK template");
		TPMT_SYM_DEF none = { .algorithm = TPM2_ALG_NULL };
		CHECK(Esys_StartAuthSession(es, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
					    NULL, TPM2_SE_POLICY, &none, TPM2_ALG_SHA256, &pol) == TSS2_RC_SUCCESS);
		CHECK(Esys_PolicyCommandCode(es, pol, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CC_Duplicate) ==
		      TSS2_RC_SUCCESS);
		TPM2B_DATA key = { 0 };
		TPMT_SYM_DEF_OBJECT sym = { .algorithm = TPM2_ALG_NULL };
		TPM2B_DATA *ek = NULL;
		TPM2B_PRIVATE *dup = NULL;
		TPM2B_ENCRYPTED_SECRET *seed = NULL;
		TSS2_RC r = Esys_Duplicate(es, obj, ESYS_TR_RH_NULL, pol, ESYS_TR_NONE, ESYS_TR_NONE, &key, &sym, &ek,
					   &dup, &seed);
		CHECK_MSG(r != TSS2_RC_SUCCESS, "TPM2_Duplicate of a TRE object succeeded");
		CHECK_MSG((r & 0x3f) == (TPM2_RC_ATTRIBUTES & 0x3f) || (r & 0xfff) == TPM2_RC_POLICY_FAIL ||
				  (r & 0xbf) == (TPM2_RC_POLICY_FAIL & 0xbf),
			  "TPM2_Duplicate: 0x%x", r);
		Esys_Free(ek);
		Esys_Free(dup);
		Esys_Free(seed);
		if (pol != ESYS_TR_NONE)
			Esys_FlushContext(es, pol);
		if (obj != ESYS_TR_NONE)
			Esys_FlushContext(es, obj);
		if (srk != ESYS_TR_NONE)
			Esys_FlushContext(es, srk);
		Esys_Finalize(&es);
	}
	if (tcti)
		Tss2_TctiLdr_Finalize(&tcti);
}

/*
 * The sealed key object is fixedTPM and fixedParent (TPM 2.0 Part 1, 27.2:
 * it cannot be duplicated to another TPM or parent), and the TPM refuses
 * TPM2_Duplicate of it.
 */
static void test_sealed_key_object_cannot_leave_the_tpm(void)
{
	struct fx_tre t;
	struct om_tre *tre = fx_tre_setup(&t, pva, "TRE-00000706", &ro, &be);
	char path[512];
	size_t len = 0, off;
	om_tre_close(tre);
	snprintf(path, sizeof(path), "%s/tpm.ctx", t.dir);
	uint8_t *b = check_slurp(path, &len);
	TPM2B_PUBLIC pub = { 0 };
	TPM2B_PRIVATE priv = { 0 };
	TPM2B_NAME srk_name = { 0 };
	CHECK(b && len > 10);
	off = 9; /* tpm.ctx: magic, version, NV index, then the SRK's name */
	CHECK(Tss2_MU_TPM2B_NAME_Unmarshal(b, len, &off, &srk_name) == TSS2_RC_SUCCESS);
	CHECK(Tss2_MU_TPM2B_PUBLIC_Unmarshal(b, len, &off, &pub) == TSS2_RC_SUCCESS);
	CHECK(Tss2_MU_TPM2B_PRIVATE_Unmarshal(b, len, &off, &priv) == TSS2_RC_SUCCESS);
	TPMA_OBJECT a = pub.publicArea.objectAttributes;
	CHECK((a & TPMA_OBJECT_FIXEDTPM) && (a & TPMA_OBJECT_FIXEDPARENT));
	CHECK(!(a & TPMA_OBJECT_ENCRYPTEDDUPLICATION) || (a & TPMA_OBJECT_FIXEDTPM));
	/* the private area is not the key: the TPM encrypted it under its storage seed */
	CHECK(priv.size > 32);
	try_duplicate(&pub, &priv);
	free(b);
	fx_tre_free(&t);
}


/* The TPM's blob of a key made by om_tre_key_generate: its public area, and whether the object may leave. */
static void tss2_public(const struct tre_blob *b, TPM2B_PUBLIC *pub, TPM2B_PRIVATE *priv)
{
	/* TPMKey ::= SEQUENCE { type OID, emptyAuth [0] BOOLEAN, parent INTEGER, pubkey OCTET STRING, privkey OCTET STRING } */
	const unsigned char *p = b->p + 1, *end = b->p + b->len;
	long n;
	int tag, cls, seen = 0;
	memset(pub, 0, sizeof(*pub));
	memset(priv, 0, sizeof(*priv));
	CHECK(!(ASN1_get_object(&p, &n, &tag, &cls, end - p) & 0x80) && tag == V_ASN1_SEQUENCE);
	while (p < end) {
		const unsigned char *v = p;
		if (ASN1_get_object(&v, &n, &tag, &cls, end - p) & 0x80)
			break;
		if (cls == V_ASN1_UNIVERSAL && tag == V_ASN1_OCTET_STRING) {
			size_t off = 0;
			if (seen++ == 0)
				CHECK(Tss2_MU_TPM2B_PUBLIC_Unmarshal(v, (size_t)n, &off, pub) == TSS2_RC_SUCCESS);
			else
				CHECK(Tss2_MU_TPM2B_PRIVATE_Unmarshal(v, (size_t)n, &off, priv) == TSS2_RC_SUCCESS);
		}
		p = v + n;
	}
	CHECK_INT(seen, 2);
}

/*
 * PrK_TRE (signing and decryption) made inside the TPM at personalisation
 * (issue 18): the CSR is signed by TPM2_Sign, the object is fixedTPM,
 * fixedParent and sensitiveDataOrigin (TPM 2.0 Part 1, 27.2: the TPM made
 * the private part and it cannot be duplicated), TPM2_Duplicate of it is
 * refused, no private half can be read out through OpenSSL, another TPM
 * cannot load it, and the TRE keeps only the TPM's blob. The whole B.2.3.3-4
 * path then runs with it: the bootstrap's credentials and the MCIM are
 * opened by TPM2_ECDH_ZGen, the M2MMobj is signed by the TPM and verifies
 * with Cert_TRE.
 */
static void test_prk_tre_is_made_in_the_tpm_and_cannot_leave(void)
{
	struct fx_tre t;
	struct tre_blob blob = { 0 };
	TPM2B_PUBLIC pub;
	TPM2B_PRIVATE priv;
	uint8_t mid[16];
	EVP_PKEY *k = NULL;
	/* the TPM's objects flushed: the TRE keeps their blobs (a TPM holds three loaded objects) */
	fx_hw_keys_released(&t, pva, "TRE-00000710", &ro, &be);
	/* what the TRE keeps: the TPM's object, made there, bound to this TPM and its SRK */
	for (int i = 0; i < 2; i++) {
		CHECK_INT(tre_key_encode(i ? t.enc_key : t.sign_key, &blob), 0);
		CHECK(blob.len > 1 && blob.p[0] == TRE_KEY_TPM);
		tss2_public(&blob, &pub, &priv);
		TPMA_OBJECT a = pub.publicArea.objectAttributes;
		CHECK((a & TPMA_OBJECT_FIXEDTPM) && (a & TPMA_OBJECT_FIXEDPARENT) && (a & TPMA_OBJECT_SENSITIVEDATAORIGIN));
		CHECK(pub.publicArea.type == TPM2_ALG_ECC && pub.publicArea.parameters.eccDetail.curveID == TPM2_ECC_NIST_P256);
		CHECK(priv.size > 32);
		/* another TPM cannot load it */
		CHECK_INT(tre_tpm_key_load(other.tcti, &blob, &k), OM_ETRE_SEAL);
		CHECK(!k);
		/* this one can */
		CHECK_INT(tre_tpm_key_load(tpm.tcti, &blob, &k), 0);
		EVP_PKEY_free(k);
		k = NULL;
		tre_blob_free(&blob);
	}
	/* TPM2_Duplicate of the signing key, with a policy session that allows it: refused */
	CHECK_INT(tre_key_encode(t.sign_key, &blob), 0);
	tss2_public(&blob, &pub, &priv);
	try_duplicate(&pub, &priv);
	tre_blob_free(&blob);
	/* a TRE whose keys are the TPM's, through the whole provisioning path */
	t.p.backend = &be;
	int rc = om_tre_personalise(t.dir, &t.p, 0);
	CHECK_MSG(rc == 0, "personalise with TPM keys: %s", om_errname(rc));
	/* the state record holds the blob, not a key: as a software TRE it does not open */
	struct om_tre *tre = NULL;
	rc = om_tre_open_backend(&tre, t.dir, &be, 0);
	CHECK_MSG(rc == 0, "open: %s", om_errname(rc));
	if (tre) {
		CHECK(!tre->sign_key && !tre->enc_key && tre->st.sign_key.p[0] == TRE_KEY_TPM &&
		      tre->st.enc_key.p[0] == TRE_KEY_TPM);
		struct om_tre_status st;
		CHECK(om_tre_status(tre, &st) == 0 && st.keys_in_tpm == 1);
		struct om_mcim m;
		fx_pcid(&m, "001010000007101", "m2m.sho1.example");
		provision(tre, &t, &ro, &sho1, 1, &m, mid);
		CHECK_INT(om_tre_activate(tre, mid, time(NULL), 0), 0);
		CHECK_INT(aka_ok(tre, &m, 32), 0);
		om_mcim_clear(&m);
	}
	om_tre_close(tre);
	/* the same keys refused for a software TRE: they would not load there */
	struct fx_tre s2;
	fx_tre_init(&s2, pva, "TRE-00000710", &ro, OM_KEY_EC_P256);
	t.p.backend = NULL;
	char soft_dir[64];
	snprintf(soft_dir, sizeof(soft_dir), "%s", s2.dir);
	CHECK_INT(om_tre_personalise(soft_dir, &t.p, 0), OM_ETRE_BACKEND);
	CHECK(!fx_has_file(soft_dir, "tre.state"));
	fx_tre_free(&s2);
	fx_tre_free(&t);
}

/* PCR TRE_PCR_TRE of the SHA-256 bank on that TPM, as the TPM reads it. */
static void pcr_now(const struct t_swtpm *on, uint8_t out[32])
{
	TSS2_TCTI_CONTEXT *tc = NULL;
	ESYS_CONTEXT *es = esys_on(on, &tc);
	TPML_PCR_SELECTION sel = { .count = 1, .pcrSelections[0] = { .hash = TPM2_ALG_SHA256, .sizeofSelect = 3 } };
	sel.pcrSelections[0].pcrSelect[TRE_PCR_TRE / 8] = (uint8_t)(1u << (TRE_PCR_TRE % 8));
	TPML_DIGEST *v = NULL;
	CHECK(Esys_PCR_Read(es, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &sel, NULL, NULL, &v) == TSS2_RC_SUCCESS &&
	      v->count == 1 && v->digests[0].size == 32);
	if (v && v->count == 1)
		memcpy(out, v->digests[0].buffer, 32);
	Esys_Free(v);
	esys_off(es, tc);
}

/*
 * The sealing key bound to the measured TRE (issue 18, docs/decisions.md
 * "PCR policy"): personalised with the value PCR 15 holds on the genuine
 * device, the sealed object carries TPM2_PolicyPCR of PCR 15 at that value
 * and no userWithAuth. The TRE opens while PCR 15 holds it; once anything
 * else is measured into PCR 15 (other software on the device), the TPM
 * refuses to unseal: OM_ETRE_PCR, not one byte of the directory nor the NV
 * counter moved. Editing tpm.ctx to drop the policy leaves an object the
 * TPM does not load (OM_ETRE_SEAL).
 */
static void test_sealing_key_is_bound_to_the_measured_pcr(void)
{
	struct fx_tre t;
	uint8_t genuine[32], junk[32];
	/* the state the genuine program leaves: whatever opening a TRE on this TPM measures */
	struct om_tre *tre = fx_tre_setup(&t, pva, "TRE-00000720", &ro, &be);
	om_tre_close(tre);
	fx_tre_free(&t);
	pcr_now(&tpm, genuine);
	struct om_tre_backend bound = be;
	bound.tpm_pcr_policy = genuine;
	tre = fx_tre_setup(&t, pva, "TRE-00000721", &ro, &bound);
	CHECK_INT(aka_ok(tre, &t.pcid, 32), 0);
	om_tre_close(tre);
	/* the object's policy is there, and the password (userWithAuth) does not stand in for it */
	TPM2B_PUBLIC pub;
	size_t len = 0, off = 9;
	char path[600];
	snprintf(path, sizeof(path), "%s/tpm.ctx", t.dir);
	uint8_t *ctx = check_slurp(path, &len);
	TPM2B_NAME srk;
	/* the TSS unmarshals a TPM2B only into one of size 0 */
	memset(&srk, 0, sizeof(srk));
	memset(&pub, 0, sizeof(pub));
	CHECK(ctx && Tss2_MU_TPM2B_NAME_Unmarshal(ctx, len, &off, &srk) == TSS2_RC_SUCCESS &&
	      Tss2_MU_TPM2B_PUBLIC_Unmarshal(ctx, len, &off, &pub) == TSS2_RC_SUCCESS);
	CHECK(pub.publicArea.authPolicy.size == 32 && !(pub.publicArea.objectAttributes & TPMA_OBJECT_USERWITHAUTH));
	tre = NULL;
	CHECK_INT(om_tre_open_backend(&tre, t.dir, &be, 0), 0);
	CHECK_INT(aka_ok(tre, &t.pcid, 64), 0);
	om_tre_close(tre);
	/* other software measured into PCR 15: the TPM keeps the key */
	check_random(junk, sizeof(junk));
	CHECK_INT(tre_tpm_measure(tpm.tcti, TRE_PCR_TRE, junk), 0);
	open_refused_unchanged(t.dir, OM_ETRE_PCR, &tpm);
	/* the policy cut out of tpm.ctx (userWithAuth back): the TPM does not load that object */
	if (ctx) {
		uint8_t edited[4096];
		size_t at = 9;
		TPM2B_PRIVATE priv;
		memset(&priv, 0, sizeof(priv));
		CHECK(Tss2_MU_TPM2B_PRIVATE_Unmarshal(ctx, len, &off, &priv) == TSS2_RC_SUCCESS);
		memcpy(edited, ctx, 9);
		pub.publicArea.authPolicy.size = 0;
		pub.publicArea.objectAttributes |= TPMA_OBJECT_USERWITHAUTH;
		CHECK(Tss2_MU_TPM2B_NAME_Marshal(&srk, edited, sizeof(edited), &at) == TSS2_RC_SUCCESS &&
		      Tss2_MU_TPM2B_PUBLIC_Marshal(&pub, edited, sizeof(edited), &at) == TSS2_RC_SUCCESS &&
		      Tss2_MU_TPM2B_PRIVATE_Marshal(&priv, edited, sizeof(edited), &at) == TSS2_RC_SUCCESS);
		put_file(t.dir, "tpm.ctx", edited, at);
		open_refused_unchanged(t.dir, OM_ETRE_SEAL, &tpm);
	}
	free(ctx);
	fx_tre_free(&t);
}

int main(void)
{
	setenv("TSS2_LOG", "all+NONE", 1);
	if (t_swtpm_start(&tpm) || t_swtpm_start(&other)) {
		CHECK_MSG(0, "swtpm could not be started (scripts/deps.sh test installs it)");
		return check_done();
	}
	be = (struct om_tre_backend){ .kind = OM_TRE_BACKEND_TPM, .tpm_tcti = tpm.tcti };
	fx_pva_init(&pva, &pva_key);
	fx_sho_init(&ro, "RO-1");
	fx_sho_init(&sho1, "SHO-1");
	fx_sho_init(&sho2, "SHO-2");
	test_tre_counter_is_the_tpm_nv_counter();
	test_directory_copied_to_another_device_is_refused();
	test_older_copy_after_aka_is_refused();
	test_older_copy_after_bootstrap_or_erase_is_refused();
	test_older_copy_undoing_a_block_is_refused();
	test_sealed_key_object_cannot_leave_the_tpm();
	test_backend_and_tcti_come_from_the_configuration();
	test_replaced_nv_index_or_srk_is_refused();
	test_copy_from_before_an_erase_is_refused();
	test_prk_tre_is_made_in_the_tpm_and_cannot_leave();
	test_sealing_key_is_bound_to_the_measured_pcr(); /* last: it extends PCR 15 of tpm */
	fx_sho_free(&ro);
	fx_sho_free(&sho1);
	fx_sho_free(&sho2);
	om_ca_free(pva);
	EVP_PKEY_free(pva_key);
	t_swtpm_stop(&tpm);
	t_swtpm_stop(&other);
	return check_done();
}
