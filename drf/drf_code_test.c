/* SPDX-License-Identifier: Apache-2.0 */
/* Transfer codes: format, entropy shape, typing folds, salted hash; and drf-admin end to end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "check.h"
#include "drf_int.h"

static void test_code_is_four_groups_of_crockford(void)
{
	char a[DRF_CODE_TEXT_LEN + 1], b[DRF_CODE_TEXT_LEN + 1], canon[DRF_CODE_CHARS + 1];
	CHECK_INT(drf_code_generate(a), 0);
	CHECK_INT(drf_code_generate(b), 0);
	CHECK_INT(strlen(a), DRF_CODE_TEXT_LEN);
	CHECK(a[4] == '-' && a[9] == '-' && a[14] == '-');
	CHECK(strcmp(a, b) != 0);
	CHECK_INT(drf_code_normalise(a, canon), 0);
	CHECK(strpbrk(canon, "ILOU-") == NULL);
}

static void test_typing_folds_case_dashes_and_lookalikes(void)
{
	char c1[DRF_CODE_CHARS + 1], c2[DRF_CODE_CHARS + 1];
	CHECK_INT(drf_code_normalise("ABCD-EF01-2345-6789", c1), 0);
	CHECK_INT(drf_code_normalise("abcdefOl23456789", c2), 0);
	CHECK(!strcmp(c1, c2));
	CHECK_INT(drf_code_normalise("ABCD-EF01-2345-678", c1), OM_EDRF_CODE);   /* short */
	CHECK_INT(drf_code_normalise("ABCD-EF01-2345-67890", c1), OM_EDRF_CODE); /* long */
	CHECK_INT(drf_code_normalise("ABCD-EF01-2345-678U", c1), OM_EDRF_CODE);  /* U is not in the alphabet */
	CHECK_INT(drf_code_normalise("ABCD EF01 2345 6789", c1), OM_EDRF_CODE);
}

static void test_hash_depends_on_salt_and_code(void)
{
	uint8_t s1[DRF_SALT_LEN] = { 1 }, s2[DRF_SALT_LEN] = { 2 }, h1[DRF_HASH_LEN], h2[DRF_HASH_LEN], h3[DRF_HASH_LEN];
	char c[DRF_CODE_CHARS + 1] = "ABCDEF0123456789", d[DRF_CODE_CHARS + 1] = "ABCDEF0123456788";
	CHECK_INT(drf_code_hash(s1, c, h1), 0);
	CHECK_INT(drf_code_hash(s2, c, h2), 0);
	CHECK_INT(drf_code_hash(s1, d, h3), 0);
	CHECK(memcmp(h1, h2, DRF_HASH_LEN) != 0);
	CHECK(memcmp(h1, h3, DRF_HASH_LEN) != 0);
}

/* drf-admin: a code is printed once; a refusal exits 1; usage exits 2. */
static void test_cli(void)
{
	const char *cli = getenv("OM_CLI");
	char tmp[] = "/tmp/drf_code_test.XXXXXX", cmd[1024], out[256];
	CHECK(cli != NULL);
	if (!cli || !mkdtemp(tmp))
		return;
	snprintf(cmd, sizeof(cmd), "'%s' drf-admin --db %s/drf.db status TRE-1 2>/dev/null", cli, tmp);
	CHECK_INT(WEXITSTATUS(system(cmd)), 1);
	snprintf(cmd, sizeof(cmd), "'%s' drf-admin --db %s/drf.db frobnicate 2>/dev/null", cli, tmp);
	CHECK_INT(WEXITSTATUS(system(cmd)), 2);
	snprintf(cmd, sizeof(cmd), "'%s' drf-admin --db %s/drf.db transfer-code TRE-1 2>/dev/null", cli, tmp);
	FILE *p = popen(cmd, "r");
	out[0] = 0;
	CHECK(p && fgets(out, sizeof(out), p) == NULL); /* unknown device: no code */
	CHECK(p && WEXITSTATUS(pclose(p)) == 1);
	snprintf(cmd, sizeof(cmd), "'%s' drf-admin --db %s/drf.db pending", cli, tmp);
	CHECK_INT(WEXITSTATUS(system(cmd)), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	CHECK_INT(system(cmd), 0);
}

int main(void)
{
	test_code_is_four_groups_of_crockford();
	test_typing_folds_case_dashes_and_lookalikes();
	test_hash_depends_on_salt_and_code();
	test_cli();
	return check_done();
}
