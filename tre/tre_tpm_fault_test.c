/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A put on the TPM backend that fails after its sealed file was written
 * (review finding 2, mended in 4a47d70): the TRE is built here with its
 * fault points (tre/tests.cmake, OM_TRE_FAULTS), so the manifest write or
 * TPM2_NV_Increment fails once, as a full disk or a TPM that stopped
 * answering would. Then no further put runs (OM_ETRE_HW, nothing written,
 * the NV counter unchanged) until the TRE is opened again; that open
 * reconciles the files with the NV counter, the challenge whose answer was
 * withheld is not answered later, and no copy of the directory taken on the
 * way opens once the TRE has moved on (OM_ETRE_ROLLBACK).
 */
#define OM_TRE_FAULTS 1
#include <stdio.h>
#include <time.h>

#include <openmcim/be.h>

#include "hw_token.h"
#include "tre_fixture.h"

static struct om_ca *pva;
static EVP_PKEY *pva_key;
static struct fx_sho ro;
static struct t_swtpm tpm;
static struct om_tre_backend be;

/* The NV counter as tpm2-tools reads it; the index from tpm.ctx (bytes 5-8). */
static uint64_t nv_now(const char *dir)
{
	char path[512], cmd[600];
	size_t len = 0;
	uint8_t b[8];
	snprintf(path, sizeof(path), "%s/tpm.ctx", dir);
	uint8_t *ctx = check_slurp(path, &len);
	if (!ctx || len < 9)
		FX_DIE("tpm.ctx");
	snprintf(cmd, sizeof(cmd), "tpm2_nvread -T '%s' -s 8 0x%08x 2>/dev/null", tpm.tcti,
		 (unsigned)om_be_get(ctx + 5, 4));
	free(ctx);
	FILE *p = popen(cmd, "r");
	size_t n = p ? fread(b, 1, sizeof(b), p) : 0;
	int st = p ? pclose(p) : -1;
	CHECK_MSG(n == 8 && st == 0, "tpm2_nvread: %zu bytes, status %d", n, st);
	return n == 8 ? om_be_get(b, 8) : 0;
}

static void copy_dir(const char *from, char to[64])
{
	char cmd[300];
	snprintf(to, 64, "/tmp/om-snap-XXXXXX");
	if (!mkdtemp(to))
		FX_DIE("mkdtemp");
	snprintf(cmd, sizeof(cmd), "cp -a '%s'/. '%s'/", from, to);
	if (system(cmd) != 0)
		FX_DIE(cmd);
}

static void put_back(const char *snap, const char *dir)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -f '%s'/* && cp -a '%s'/. '%s'/", dir, snap, dir);
	if (system(cmd) != 0)
		FX_DIE(cmd);
}

/* The TRE in dir does not open (code), and neither its bytes nor the NV counter moved. */
static void refused_unchanged(const char *dir, int code)
{
	uint64_t nv = nv_now(dir);
	fx_open_refused(dir, &be, code);
	CHECK_INT(nv_now(dir), nv);
}

/*
 * One AKA whose put fails at fault, then the checks above. The AKA answers
 * challenge 32 of the PCID; the MID file with the new SQN state is on disk
 * (counter c0 + 1) whichever step failed.
 */
static void put_fails_at(int fault, const char *tre_id)
{
	struct fx_tre t;
	struct om_tre *tre = fx_tre_setup(&t, pva, tre_id, &ro, &be);
	struct om_tre_status st;
	char before[64], after_fail[64];
	uint8_t h1[32], h2[32];

	CHECK_INT(om_tre_status(tre, &st), 0);
	uint64_t c0 = st.counter;
	CHECK_INT(nv_now(t.dir), c0);
	copy_dir(t.dir, before);

	tre_tpm_fault = fault;
	CHECK_INT(aka_ok(tre, &t.pcid, 32), OM_ETRE_HW);
	CHECK_INT(tre_tpm_fault, TRE_FAULT_NONE); /* the fault point was reached */
	CHECK_INT(nv_now(t.dir), c0);
	copy_dir(t.dir, after_fail);

	/* no further put: another challenge, and the same one again, get no answer and write nothing */
	fx_dir_hash(t.dir, h1);
	CHECK_INT(aka_ok(tre, &t.pcid, 64), OM_ETRE_HW);
	CHECK_INT(aka_ok(tre, &t.pcid, 32), OM_ETRE_HW);
	fx_dir_hash(t.dir, h2);
	CHECK_MEM(h1, h2, 32);
	CHECK_INT(nv_now(t.dir), c0);
	CHECK_INT(om_tre_status(tre, &st), 0);
	CHECK_INT(st.counter, c0);
	om_tre_close(tre);

	/* opened again: the write cut short is finished, at c0 + 1, the NV counter with it */
	tre = NULL;
	CHECK_INT(om_tre_open_backend(&tre, t.dir, &be, 0), 0);
	if (!tre)
		FX_DIE("reopen");
	CHECK_INT(om_tre_status(tre, &st), 0);
	CHECK_INT(st.counter, c0 + 1);
	CHECK_INT(nv_now(t.dir), c0 + 1);
	/* the SQN state of the withheld answer stands: challenge 32 is not answered now either */
	CHECK_INT(aka_ok(tre, &t.pcid, 32), OM_EAUTH_SYNC);
	CHECK_INT(aka_ok(tre, &t.pcid, 64), 0);
	CHECK_INT(om_tre_status(tre, &st), 0);
	CHECK_INT(st.counter, c0 + 2);
	om_tre_close(tre);

	/* no copy taken on the way opens: not the one from before, not the one from just after the failure */
	put_back(after_fail, t.dir);
	refused_unchanged(t.dir, OM_ETRE_ROLLBACK);
	put_back(before, t.dir);
	refused_unchanged(t.dir, OM_ETRE_ROLLBACK);
	fx_rmdir(before);
	fx_rmdir(after_fail);
	fx_tre_free(&t);
}

static void test_failed_nv_increment_refuses_puts_until_reopened(void)
{
	put_fails_at(TRE_FAULT_NV_INCREMENT, "TRE-00000901");
}

static void test_failed_manifest_write_refuses_puts_until_reopened(void)
{
	put_fails_at(TRE_FAULT_MANIFEST, "TRE-00000902");
}

/* An erase cut the same way: the erase and every put after it are refused until the TRE is opened again. */
static void test_failed_erase_refuses_puts_until_reopened(void)
{
	char dir[] = "/tmp/om-seal-XXXXXX";
	struct tre_sealer *s = fx_sealer(dir, &be);
	const uint8_t a[] = "a record";
	CHECK_INT(tre_seal_put(s, "a.mid", a, sizeof(a), 1), 0);
	uint64_t c = s->counter;
	tre_tpm_fault = TRE_FAULT_NV_INCREMENT;
	CHECK_INT(tre_seal_erase(s, "a.mid"), OM_ETRE_HW);
	CHECK(fx_has_file(dir, "a.mid"));
	CHECK_INT(tre_seal_put(s, "b.mid", a, sizeof(a), 1), OM_ETRE_HW);
	CHECK(!fx_has_file(dir, "b.mid"));
	CHECK_INT(tre_seal_erase(s, "a.mid"), OM_ETRE_HW);
	CHECK_INT(nv_now(dir), c);
	tre_seal_close(s);
	/* reopened: the manifest without a.mid is the current one */
	s = NULL;
	CHECK_INT(tre_seal_open(&s, dir, &be, 0), 0);
	if (!s)
		FX_DIE("seal open");
	CHECK_INT(s->counter, c + 1);
	uint8_t *pt = NULL;
	size_t len = 0;
	CHECK_INT(tre_seal_get(s, "a.mid", &pt, &len), OM_ETRE_ROLLBACK);
	CHECK(pt == NULL);
	CHECK_INT(tre_seal_put(s, "b.mid", a, sizeof(a), 1), 0);
	tre_seal_close(s);
	fx_rmdir(dir);
}

int main(void)
{
	setenv("TSS2_LOG", "all+NONE", 1);
	if (t_swtpm_start(&tpm)) {
		CHECK_MSG(0, "swtpm could not be started (scripts/deps.sh test installs it)");
		return check_done();
	}
	be = (struct om_tre_backend){ .kind = OM_TRE_BACKEND_TPM, .tpm_tcti = tpm.tcti };
	fx_pva_init(&pva, &pva_key);
	fx_sho_init(&ro, "RO-1");
	test_failed_nv_increment_refuses_puts_until_reopened();
	test_failed_manifest_write_refuses_puts_until_reopened();
	test_failed_erase_refuses_puts_until_reopened();
	fx_sho_free(&ro);
	om_ca_free(pva);
	EVP_PKEY_free(pva_key);
	t_swtpm_stop(&tpm);
	return check_done();
}
