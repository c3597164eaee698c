/* SPDX-License-Identifier: Apache-2.0 */
/* Transfer codes: format, entropy shape, typing folds, the proof and its salted hash; and drf-admin end to end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <openmcim/base32.h>

#include "check.h"
#include "drf_admin.h"
#include "drf_int.h"

static void test_code_is_four_groups_of_crockford(void)
{
	char a[DRF_CODE_TEXT_LEN + 1], b[DRF_CODE_TEXT_LEN + 1], canon[DRF_CODE_CHARS + 1];
	CHECK_INT(drf_code_generate(a), 0);
	CHECK_INT(drf_code_generate(b), 0);
	CHECK_INT(strlen(a), DRF_CODE_TEXT_LEN);
	CHECK(a[4] == '-' && a[9] == '-' && a[14] == '-');
	CHECK(strcmp(a, b) != 0);
	CHECK_INT(om_base32_normalise(a, canon, DRF_CODE_CHARS), 0);
	CHECK(strpbrk(canon, "ILOU-") == NULL);
}

static void test_typing_folds_case_dashes_and_lookalikes(void)
{
	uint8_t p1[OM_HANDOVER_PROOF_LEN], p2[OM_HANDOVER_PROOF_LEN], p3[OM_HANDOVER_PROOF_LEN];
	CHECK_INT(om_handover_code_proof("TRE-1", "ABCD-EF01-2345-6789", p1), 0);
	CHECK_INT(om_handover_code_proof("TRE-1", "abcdefOl23456789", p2), 0);
	CHECK_MEM(p1, p2, sizeof(p1));
	/* the proof is bound to the device: the same code for another proves nothing there */
	CHECK_INT(om_handover_code_proof("TRE-2", "ABCD-EF01-2345-6789", p3), 0);
	CHECK(memcmp(p1, p3, sizeof(p1)) != 0);
	CHECK_INT(om_handover_code_proof("TRE-1", "ABCD-EF01-2345-678", p1), OM_EINVAL);   /* short */
	CHECK_INT(om_handover_code_proof("TRE-1", "ABCD-EF01-2345-67890", p1), OM_EINVAL); /* long */
	CHECK_INT(om_handover_code_proof("TRE-1", "ABCD-EF01-2345-678U", p1), OM_EINVAL);  /* U is not in the alphabet */
	CHECK_INT(om_handover_code_proof("TRE-1", "ABCD EF01 2345 6789", p1), OM_EINVAL);
}

static void test_hash_depends_on_salt_and_proof(void)
{
	uint8_t s1[DRF_SALT_LEN] = { 1 }, s2[DRF_SALT_LEN] = { 2 }, h1[DRF_HASH_LEN], h2[DRF_HASH_LEN], h3[DRF_HASH_LEN];
	uint8_t c[OM_HANDOVER_PROOF_LEN] = { 0xab }, d[OM_HANDOVER_PROOF_LEN] = { 0xab, 1 };
	CHECK_INT(drf_code_hash(s1, c, h1), 0);
	CHECK_INT(drf_code_hash(s2, c, h2), 0);
	CHECK_INT(drf_code_hash(s1, d, h3), 0);
	CHECK(memcmp(h1, h2, DRF_HASH_LEN) != 0);
	CHECK(memcmp(h1, h3, DRF_HASH_LEN) != 0);
}

/*
 * drf-admin speaks to the DRF's admin socket (served here by the DRF's own
 * code, as openmcim-drf serves it): a refusal exits 1; usage (and the old
 * --db) exits 2; a DRF that is not running exits 1; pending answers.
 */
static void test_cli(void)
{
	const char *cli = getenv("OM_CLI");
	char tmp[] = "/tmp/drf_code_test.XXXXXX", cmd[1024], out[256], db[128], sock[128], err[256];
	struct drf *d = NULL;
	struct drf_admin a = { 0 };
	CHECK(cli != NULL);
	if (!cli || !mkdtemp(tmp))
		return;
	snprintf(db, sizeof(db), "%s/drf.db", tmp);
	snprintf(sock, sizeof(sock), "%s/admin/drf.sock", tmp);
	struct drf_config cfg = { .db_path = db };
	CHECK_MSG(drf_open(&d, &cfg, err, sizeof(err)) == 0, "%s", err);
	a.drf = d;
	CHECK_MSG(drf_admin_start(&a, sock, err, sizeof(err)) == 0, "%s", err);
	snprintf(cmd, sizeof(cmd), "'%s' drf-admin --socket %s status TRE-1 2>/dev/null", cli, sock);
	CHECK_INT(WEXITSTATUS(system(cmd)), 1);
	snprintf(cmd, sizeof(cmd), "'%s' drf-admin --socket %s frobnicate 2>/dev/null", cli, sock);
	CHECK_INT(WEXITSTATUS(system(cmd)), 2);
	snprintf(cmd, sizeof(cmd), "'%s' drf-admin --db %s status TRE-1 2>/dev/null", cli, db);
	CHECK_INT(WEXITSTATUS(system(cmd)), 2);
	snprintf(cmd, sizeof(cmd), "'%s' drf-admin --socket %s transfer-code TRE-1 2>/dev/null", cli, sock);
	FILE *p = popen(cmd, "r");
	out[0] = 0;
	CHECK(p && fgets(out, sizeof(out), p) == NULL); /* unknown device: no code */
	CHECK(p && WEXITSTATUS(pclose(p)) == 1);
	snprintf(cmd, sizeof(cmd), "'%s' drf-admin --socket %s pending", cli, sock);
	CHECK_INT(WEXITSTATUS(system(cmd)), 0);
	drf_admin_stop(&a);
	drf_close(d);
	snprintf(cmd, sizeof(cmd), "'%s' drf-admin --socket %s pending 2>/dev/null", cli, sock);
	CHECK_INT(WEXITSTATUS(system(cmd)), 1); /* no DRF running */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	CHECK_INT(system(cmd), 0);
}

int main(void)
{
	test_code_is_four_groups_of_crockford();
	test_typing_folds_case_dashes_and_lookalikes();
	test_hash_depends_on_salt_and_proof();
	test_cli();
	return check_done();
}
