/* SPDX-License-Identifier: Apache-2.0 */
/* The installed tree for the tests that run it (install_kit.h). */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "daemon_util.h"
#include "install_kit.h"

/* The directory of the installed path that ends in suffix, without the stage. */
static void find_dir(const char *listing, const char *stage, const char *suffix, char *out, size_t cap)
{
	out[0] = '\0';
	for (const char *l = listing; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *end = strchr(l, '\n');
		size_t len = end ? (size_t)(end - l) : strlen(l), sl = strlen(suffix), st = strlen(stage);
		const char *path = strstr(l, stage);
		if (!path || path > l + len || len < sl || strncmp(l + len - sl, suffix, sl))
			continue;
		size_t dl = (size_t)(l + len - sl - path) - st;
		if (dl < cap) {
			memcpy(out, path + st, dl);
			out[dl] = '\0';
		}
		return;
	}
}

int ik_install(const char *build_dir, const char *stage, struct ik_tree *t, char *listing, size_t cap)
{
	const char *argv[] = { "cmake", "--install", build_dir, NULL };
	setenv("DESTDIR", stage, 1);
	int st = du_run(argv, 1, listing, cap);
	unsetenv("DESTDIR");
	if (st != 0)
		return -1;
	find_dir(listing, stage, "/openmcim-hss", t->bin, sizeof(t->bin));
	find_dir(listing, stage, "/hss.conf", t->conf, sizeof(t->conf));
	find_dir(listing, stage, "/openmcim-hss.service", t->unit, sizeof(t->unit));
	find_dir(listing, stage, "/openmcim-operator-pki", t->share, sizeof(t->share));
	return t->bin[0] && t->conf[0] && t->unit[0] && t->share[0] ? 0 : -1;
}

int ik_stage(char *stage, char *build_dir, size_t cap)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0 || !mkdtemp(stage))
		return -1;
	exe[n] = 0;
	snprintf(build_dir, cap, "%s", dirname(exe));
	return 0;
}

void ik_staged(char *out, size_t cap, const char *stage, const char *dir, const char *name)
{
	snprintf(out, cap, "%s%s/%s", stage, dir, name);
}

int ik_relocate(const char *src, const char *dst, const char *const pairs[][2], size_t n)
{
	size_t len = 0;
	char *text = (char *)check_slurp(src, &len);
	if (!text)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char *hit;
		size_t from = 0; /* past the last replacement, which may hold the pattern itself */
		while ((hit = strstr(text + from, pairs[i][0]))) {
			size_t fl = strlen(pairs[i][0]), tl = strlen(pairs[i][1]), cur = strlen(text);
			from = (size_t)(hit - text) + tl;
			char *next = malloc(cur - fl + tl + 1);
			if (!next) {
				free(text);
				return -1;
			}
			memcpy(next, text, (size_t)(hit - text));
			memcpy(next + (hit - text), pairs[i][1], tl);
			strcpy(next + (hit - text) + tl, hit + fl);
			free(text);
			text = next;
		}
	}
	int rc = du_write_file(dst, text);
	free(text);
	return rc;
}

int ik_state_dir(const char *conf, char *out, size_t cap)
{
	size_t len = 0;
	char *text = (char *)check_slurp(conf, &len);
	char *db = text ? strstr(text, "\ndb = ") : NULL;
	int rc = -1;
	if (db) {
		db += 6;
		/* <state>/openmcim/<nf>/<nf>.db: the directory up to "/openmcim" */
		char *end = strstr(db, "/openmcim/");
		size_t n = end ? (size_t)(end - db) + 9 : 0;
		if (end && end < db + strcspn(db, "\n") && n < cap) {
			snprintf(out, cap, "%.*s", (int)n, db);
			rc = 0;
		}
	}
	free(text);
	return rc;
}
