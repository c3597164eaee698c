/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"

struct entry {
	char *section, *key, *value;
	int line;
};

struct om_conf {
	char *path;
	struct entry *e;
	size_t n, cap;
};

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static const struct entry *find(const struct om_conf *c, const char *section, const char *key)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->e[i].section, section) && !strcmp(c->e[i].key, key))
			return &c->e[i];
	return NULL;
}

static int known_key(const struct om_conf_key *known, size_t n, const char *section, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(known[i].section, section) && !strcmp(known[i].key, key))
			return 1;
	return 0;
}

static int known_section(const struct om_conf_key *known, size_t n, const char *section)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(known[i].section, section))
			return 1;
	return 0;
}

static int add(struct om_conf *c, const char *section, const char *key, const char *value, int line)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 16;
		struct entry *e = realloc(c->e, cap * sizeof(*e));
		if (!e)
			return -1;
		c->e = e;
		c->cap = cap;
	}
	struct entry *e = &c->e[c->n];
	e->section = strdup(section);
	e->key = strdup(key);
	e->value = strdup(value);
	e->line = line;
	if (!e->section || !e->key || !e->value) {
		free(e->section);
		free(e->key);
		free(e->value);
		return -1;
	}
	c->n++;
	return 0;
}

/* Set by a daemon's om_daemon_args() (conf.h): check the files its configuration names. */
static int check_files;

void om_conf_check_files_at_load(int on)
{
	check_files = on;
}

/* Does the key name a file read at start (conf.h)? */
static int names_file(const char *key)
{
	static const char *const ends[] = { "_cert", "_key", "_ca", "_crl" };
	size_t n = strlen(key);
	if (!strcmp(key, "ca"))
		return 1;
	for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
		size_t m = strlen(ends[i]);
		if (n > m && !strcmp(key + n - m, ends[i]))
			return 1;
	}
	return 0;
}

/* Issue 15: a missing file is named with the system's reason here, not as "I/O error" later. */
static int check_file(const struct om_conf *c, const struct entry *e, char *err, size_t err_len)
{
	struct stat st;
	int fd = open(e->value, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	const char *why = NULL;
	if (fd < 0)
		why = strerror(errno);
	else if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode))
		why = "not a regular file";
	if (fd >= 0)
		close(fd);
	if (!why)
		return 0;
	snprintf(err, err_len, "%s:%d: %s%s%s%s: %s: %s", c->path, e->line, *e->section ? "[" : "", e->section,
		 *e->section ? "] " : "", e->key, e->value, why);
	return -1;
}

struct om_conf *om_conf_load(const char *path, const struct om_conf_key *known, size_t n, char *err,
			     size_t err_len)
{
	char buf[1024], section[128] = "";
	int line = 0;
	struct om_conf *c = calloc(1, sizeof(*c));
	FILE *f = NULL;
	if (!c || !(c->path = strdup(path))) {
		snprintf(err, err_len, "%s: out of memory", path);
		goto fail;
	}
	if (!(f = fopen(path, "r"))) {
		snprintf(err, err_len, "%s: cannot open: %s", path, strerror(errno));
		goto fail;
	}
	while (fgets(buf, sizeof(buf), f)) {
		line++;
		if (!strchr(buf, '\n') && !feof(f)) {
			snprintf(err, err_len, "%s:%d: line too long", path, line);
			goto fail;
		}
		char *s = trim(buf);
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *close = strchr(s, ']');
			if (!close || trim(close + 1)[0] != '\0' || close - s - 1 >= (long)sizeof(section)) {
				snprintf(err, err_len, "%s:%d: malformed section header", path, line);
				goto fail;
			}
			*close = '\0';
			snprintf(section, sizeof(section), "%s", trim(s + 1));
			if (known && !known_section(known, n, section)) {
				snprintf(err, err_len, "%s:%d: unknown section [%s]", path, line, section);
				goto fail;
			}
			continue;
		}
		char *eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, err_len, "%s:%d: expected 'key = value'", path, line);
			goto fail;
		}
		*eq = '\0';
		char *key = trim(s), *value = trim(eq + 1);
		if (!*key) {
			snprintf(err, err_len, "%s:%d: empty key", path, line);
			goto fail;
		}
		if (known && !known_key(known, n, section, key)) {
			snprintf(err, err_len, "%s:%d: unknown key '%s'%s%s%s", path, line, key,
				 *section ? " in [" : "", section, *section ? "]" : "");
			goto fail;
		}
		const struct entry *dup = find(c, section, key);
		if (dup) {
			snprintf(err, err_len, "%s:%d: '%s' already set on line %d", path, line, key, dup->line);
			goto fail;
		}
		if (add(c, section, key, value, line) < 0) {
			snprintf(err, err_len, "%s: out of memory", path);
			goto fail;
		}
	}
	if (ferror(f)) {
		snprintf(err, err_len, "%s: read error", path);
		goto fail;
	}
	fclose(f);
	f = NULL;
	for (size_t i = 0; i < c->n; i++)
		if (check_files && names_file(c->e[i].key) && check_file(c, &c->e[i], err, err_len))
			goto fail;
	for (size_t i = 0; i < n; i++)
		if (known[i].required && !find(c, known[i].section, known[i].key)) {
			snprintf(err, err_len, "%s: missing required key '%s'%s%s%s", path, known[i].key,
				 *known[i].section ? " in [" : "", known[i].section,
				 *known[i].section ? "]" : "");
			goto fail;
		}
	return c;
fail:
	if (f)
		fclose(f);
	om_conf_free(c);
	return NULL;
}

struct om_conf *om_conf_load_any(const char *path, char *err, size_t err_len)
{
	return om_conf_load(path, NULL, 0, err, err_len);
}

void om_conf_free(struct om_conf *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->e[i].section);
		free(c->e[i].key);
		free(c->e[i].value);
	}
	free(c->e);
	free(c->path);
	free(c);
}

const char *om_conf_get(const struct om_conf *c, const char *section, const char *key)
{
	const struct entry *e = find(c, section, key);
	return e ? e->value : NULL;
}

int om_conf_line(const struct om_conf *c, const char *section, const char *key)
{
	const struct entry *e = find(c, section, key);
	return e ? e->line : 0;
}

const char *om_conf_str(const struct om_conf *c, const char *section, const char *key, const char *def)
{
	const char *v = om_conf_get(c, section, key);
	return v ? v : def;
}

int om_conf_uint(const struct om_conf *c, const char *section, const char *key, uint64_t def,
		 uint64_t min, uint64_t max, uint64_t *out, char *err, size_t err_len)
{
	const struct entry *e = find(c, section, key);
	if (!e) {
		*out = def;
		return 0;
	}
	char *end;
	errno = 0;
	unsigned long long v = strtoull(e->value, &end, 10);
	if (errno || end == e->value || *end || e->value[0] == '-' || v < min || v > max) {
		snprintf(err, err_len, "%s:%d: '%s' must be a whole number from %llu to %llu", c->path,
			 e->line, key, (unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	*out = v;
	return 0;
}

/* Append "section.key" to out (comma-separated); the count either way. */
static void diff_add(char *out, size_t len, size_t *used, const struct entry *e)
{
	int w = snprintf(out + *used, len - *used, "%s%s%s%s", *used ? "," : "", e->section, *e->section ? "." : "",
			 e->key);
	if (w > 0 && (size_t)w < len - *used)
		*used += (size_t)w;
}

int om_conf_diff(const struct om_conf *a, const struct om_conf *b, const char *skip_section, const char *skip_key,
		 char *out, size_t len)
{
	size_t used = 0;
	int n = 0;
	if (len)
		out[0] = '\0';
	for (int pass = 0; pass < 2; pass++) {
		const struct om_conf *x = pass ? b : a, *y = pass ? a : b;
		for (size_t i = 0; i < x->n; i++) {
			const struct entry *e = &x->e[i], *f = find(y, e->section, e->key);
			if (!strcmp(e->section, skip_section) && !strcmp(e->key, skip_key))
				continue;
			/* a changed value is counted once, from a; a key set on one side only, from its side */
			if (f && (pass || !strcmp(e->value, f->value)))
				continue;
			n++;
			if (len)
				diff_add(out, len, &used, e);
		}
	}
	return n;
}

const char *om_conf_path(const struct om_conf *c)
{
	return c->path;
}
