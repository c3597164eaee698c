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

unsigned ik_port(const unsigned (*map)[2], size_t n, unsigned old)
{
	for (size_t i = 0; i < n; i++)
		if (map[i][0] == old)
			return map[i][1];
	return old;
}

/* The port at p (digits up to a non-digit), or 0 when it is none: 1..5 digits, 1..65535. */
static unsigned port_at(const char *p, size_t *len)
{
	size_t k = strspn(p, "0123456789");
	unsigned long v = k && k <= 5 ? strtoul(p, NULL, 10) : 0;
	*len = k;
	return v <= 65535 ? (unsigned)v : 0;
}

/* Each port of text (a `port = N` line, or `:N`) through fn; with out, text rewritten by map into it. */
static void each_port(const char *text, unsigned (*map)[2], size_t n, void (*fn)(void *, unsigned), void *ctx,
		      FILE *out)
{
	for (const char *p = text; *p;) {
		size_t len = 0;
		unsigned port = 0;
		const char *line = p;
		while (*line == ' ' || *line == '\t')
			line++;
		int line_start = p == text || p[-1] == '\n';
		if (line_start && !strncmp(line, "port", 4)) {
			const char *v = line + 4;
			v += strspn(v, " \t");
			if (*v == '=') {
				v++;
				v += strspn(v, " \t");
				if ((port = port_at(v, &len)) != 0) {
					if (out)
						fprintf(out, "%.*s%u", (int)(v - p), p, ik_port((const unsigned(*)[2])map, n, port));
					if (fn)
						fn(ctx, port);
					p = v + len;
					continue;
				}
			}
		}
		if (*p == ':' && (port = port_at(p + 1, &len)) != 0 && p > text && p[-1] != ':') {
			if (out)
				fprintf(out, ":%u", ik_port((const unsigned(*)[2])map, n, port));
			if (fn)
				fn(ctx, port);
			p += 1 + len;
			continue;
		}
		if (out)
			fputc(*p, out);
		p++;
	}
}

struct port_set {
	unsigned (*map)[2];
	size_t cap, n;
	int full;
};

static void add_port(void *ctx, unsigned port)
{
	struct port_set *ps = ctx;
	if (ik_port((const unsigned(*)[2])ps->map, ps->n, port) != port || port < 1024)
		return; /* known already, or no fixed port of ours */
	if (ps->n == ps->cap) {
		ps->full = 1;
		return;
	}
	unsigned fresh = 0;
	for (int tries = 0; !fresh && tries < 50; tries++) {
		fresh = du_free_port();
		for (size_t i = 0; fresh && i < ps->n; i++)
			if (ps->map[i][1] == fresh || ps->map[i][0] == fresh)
				fresh = 0;
	}
	ps->map[ps->n][0] = port;
	ps->map[ps->n][1] = fresh;
	ps->full |= !fresh;
	ps->n++;
}

int ik_move_ports(const char *const *files, size_t n_files, unsigned (*map)[2], size_t cap, size_t *n)
{
	struct port_set ps = { map, cap, 0, 0 };
	char *texts[16] = { 0 };
	int rc = n_files <= 16 ? 0 : -1;
	for (size_t i = 0; rc == 0 && i < n_files; i++) {
		size_t len = 0;
		if (!(texts[i] = (char *)check_slurp(files[i], &len)))
			rc = -1;
		else
			each_port(texts[i], NULL, 0, add_port, &ps, NULL);
	}
	rc = rc == 0 && !ps.full ? 0 : -1;
	for (size_t i = 0; rc == 0 && i < n_files; i++) {
		char *buf = NULL;
		size_t blen = 0;
		FILE *m = open_memstream(&buf, &blen);
		if (!m) {
			rc = -1;
			break;
		}
		each_port(texts[i], map, ps.n, NULL, NULL, m);
		rc = fclose(m) == 0 && du_write_file(files[i], buf) == 0 ? 0 : -1;
		free(buf);
	}
	for (size_t i = 0; i < n_files && i < 16; i++)
		free(texts[i]);
	*n = ps.n;
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
