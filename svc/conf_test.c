/* SPDX-License-Identifier: Apache-2.0 */
/* Configuration files: accepted forms, and each mistake named with its line. */
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "conf.h"

static const struct om_conf_key keys[] = {
	{ "", "name", 1 },
	{ "diameter", "realm", 0 },
	{ "diameter", "port", 0 },
};

static char path[] = "/tmp/om_conf_test_XXXXXX";

static struct om_conf *load(const char *text, char *err, size_t len)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return om_conf_load(path, keys, 3, err, len);
}

static void reads_sections_keys_and_numbers(void)
{
	char err[256] = "";
	struct om_conf *c = load("# c\nname = hss\n\n[diameter]\n realm = epc.lab ; x\nport=3868\n", err, sizeof(err));
	CHECK_MSG(c != NULL, "%s", err);
	if (!c)
		return;
	CHECK(!strcmp(om_conf_get(c, "", "name"), "hss"));
	CHECK(!strcmp(om_conf_get(c, "diameter", "realm"), "epc.lab ; x"));
	uint64_t port = 0;
	CHECK_INT(om_conf_uint(c, "diameter", "port", 1, 1, 65535, &port, err, sizeof(err)), 0);
	CHECK_INT(port, 3868);
	CHECK(om_conf_get(c, "", "realm") == NULL);
	CHECK(!strcmp(om_conf_str(c, "x", "y", "dflt"), "dflt"));
	om_conf_free(c);
}

static void refuses(const char *text, const char *want)
{
	char err[256] = "";
	struct om_conf *c = load(text, err, sizeof(err));
	CHECK_MSG(c == NULL && strstr(err, want) != NULL, "text %s: got '%s', want '%s'", text, err, want);
	om_conf_free(c);
}

static void names_each_mistake_with_its_line(void)
{
	refuses("name = a\n[diameter]\nrealmm = x\n", ":3: unknown key 'realmm' in [diameter]");
	refuses("name = a\n[diam]\n", ":2: unknown section [diam]");
	refuses("name = a\nname = b\n", ":2: 'name' already set on line 1");
	refuses("name = a\njunk\n", ":2: expected 'key = value'");
	refuses("[diameter]\nrealm = x\n", "missing required key 'name'");
	refuses("name = a\n[diameter\n", ":2: malformed section header");
}

static void refuses_numbers_out_of_range(void)
{
	char err[256];
	uint64_t v = 7;
	const char *bad[] = { "0", "65536", "-1", "12x", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[64];
		snprintf(text, sizeof(text), "name=a\n[diameter]\nport=%s\n", bad[i]);
		struct om_conf *c = load(text, err, sizeof(err));
		CHECK(c != NULL);
		if (!c)
			continue;
		err[0] = 0;
		CHECK_INT(om_conf_uint(c, "diameter", "port", 1, 1, 65535, &v, err, sizeof(err)), -1);
		CHECK(strstr(err, ":3: 'port' must be a whole number from 1 to 65535") != NULL);
		CHECK_INT(v, 7);
		om_conf_free(c);
	}
}

int main(void)
{
	int fd = mkstemp(path);
	if (fd < 0)
		return 1;
	close(fd);
	reads_sections_keys_and_numbers();
	names_each_mistake_with_its_line();
	refuses_numbers_out_of_range();
	char err[128];
	CHECK(om_conf_load("/nonexistent/x.conf", keys, 3, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "cannot open") != NULL);
	unlink(path);
	return check_done();
}
