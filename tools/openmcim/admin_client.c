/* SPDX-License-Identifier: Apache-2.0 */
/* The admin socket client (admin_client.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <openmcim/err.h>
#include <openmcim/isotime.h>

#include "admin_call.h"
#include "admin_client.h"
#include "commands.h"

static int json_out; /* --json: the answer as one JSON object on stdout */

int admin_client_socket_arg(int argc, char **argv, const char **sock)
{
	int i = 1;
	*sock = NULL;
	json_out = 0;
	while (i < argc) {
		if (!strcmp(argv[i], "--json")) {
			json_out = 1;
			i++;
		} else if (i + 1 < argc && !strcmp(argv[i], "--socket")) {
			*sock = argv[i + 1];
			i += 2;
		} else if (!strncmp(argv[i], "--socket=", 9)) {
			*sock = argv[i] + 9;
			i++;
		} else {
			break;
		}
	}
	return *sock ? i : 0;
}

int admin_client_append(const char *prog, char *line, size_t *len, const char *w)
{
	size_t n = strlen(w);
	if (strpbrk(w, " \t\r\n") || n == 0) {
		fprintf(stderr, "openmcim %s: arguments may not be empty or contain white space\n", prog);
		return CLI_EUSAGE;
	}
	if (*len + n + 2 > ADMIN_LINE_CAP) {
		fprintf(stderr, "openmcim %s: command longer than %d bytes\n", prog, ADMIN_LINE_CAP);
		return CLI_EUSAGE;
	}
	if (*len)
		line[(*len)++] = ' ';
	memcpy(line + *len, w, n + 1);
	*len += n;
	return 0;
}

static void print_data(void *ctx, const char *text)
{
	(void)ctx;
	puts(text);
}

/* Keys whose value is a time in epoch seconds (the daemons' data lines); any key ending in "_at" too. */
static int time_key(const char *k)
{
	static const char *const keys[] = { "since", "at",	  "until",   "lock_until", "left",    "accepted",
					    "expires", "issued", "added",  "due",	   "completed", "removal_due",
					    "created", "updated" };
	size_t n = strlen(k);
	if (n > 3 && !strcmp(k + n - 3, "_at"))
		return 1;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(k, keys[i]))
			return 1;
	return 0;
}

/* v as JSON: a time key's epoch seconds as ISO 8601 UTC (0: null), anything else a string. */
static cJSON *value_json(const char *k, const char *v)
{
	if (time_key(k) && *v && strspn(v, "0123456789") == strlen(v) && strlen(v) <= 12) {
		int64_t t = strtoll(v, NULL, 10);
		char iso[OM_ISOTIME_LEN + 1];
		if (t == 0)
			return cJSON_CreateNull();
		om_isotime_format(t, iso);
		return cJSON_CreateString(iso);
	}
	return cJSON_CreateString(v);
}

/*
 * One data line ("imsi=001010000000001 status=active ...", values perhaps in
 * double quotes) as an object: each key=value a string member, words
 * without '=' in "words" in order. Values stay strings (an IMSI is not a
 * number), times become ISO 8601 (value_json).
 */
static cJSON *line_object(const char *text)
{
	cJSON *o = cJSON_CreateObject(), *words = NULL;
	char *copy = strdup(text);
	if (!o || !copy) {
		free(copy);
		cJSON_Delete(o);
		return NULL;
	}
	for (char *p = copy; *p;) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		char *w = p, *eq = NULL;
		for (; *p && *p != ' '; p++) {
			if (*p == '=' && !eq) {
				eq = p;
				if (p[1] == '"') { /* key="a value with spaces" */
					char *close = strchr(p + 2, '"');
					p = close ? close : p + strlen(p) - 1;
				}
			}
		}
		if (*p)
			*p++ = '\0';
		if (eq) {
			*eq = '\0';
			char *v = eq + 1;
			size_t vl = strlen(v);
			if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
				v[vl - 1] = '\0';
				v++;
			}
			cJSON_AddItemToObject(o, w, value_json(w, v));
		} else {
			if (!words)
				cJSON_AddItemToObject(o, "words", words = cJSON_CreateArray());
			cJSON_AddItemToArray(words, cJSON_CreateString(w));
		}
	}
	free(copy);
	return o;
}

static void collect_data(void *ctx, const char *text)
{
	cJSON *o = line_object(text);
	if (o)
		cJSON_AddItemToArray(ctx, o);
}

/* {"ok": true, "items": [...]} or {"ok": false, "error": "OM_E...", "reason": "..."} on stdout. */
static void print_json(cJSON *items, int ok, const char *error, const char *reason)
{
	cJSON *top = cJSON_CreateObject();
	cJSON_AddBoolToObject(top, "ok", ok);
	if (ok) {
		cJSON_AddItemToObject(top, "items", items);
	} else {
		cJSON_Delete(items);
		cJSON_AddStringToObject(top, "error", error);
		cJSON_AddStringToObject(top, "reason", reason);
	}
	char *text = cJSON_PrintUnformatted(top);
	if (text)
		puts(text);
	free(text);
	cJSON_Delete(top);
}

int admin_client_talk(const char *prog, const char *peer, const char *sock, const char *line, size_t len)
{
	struct om_admin_result res;
	cJSON *items = json_out ? cJSON_CreateArray() : NULL;
	(void)len;
	int rc = om_admin_call(sock, line, ADMIN_CALL_TIMEOUT_MS, items ? collect_data : print_data, items, &res);
	if (rc == OM_EINVAL) {
		cJSON_Delete(items);
		fprintf(stderr, "openmcim %s: socket path too long\n", prog);
		return CLI_EUSAGE;
	}
	if (items) {
		print_json(items, rc == 0 && res.code == 0, rc < 0 ? om_errname(rc) : res.name,
			   rc < 0 ? om_strerror(rc) : res.reason);
		return rc == 0 && res.code == 0 ? 0 : 1;
	}
	if (rc < 0) {
		fprintf(stderr, "openmcim %s: the %s at %s: %s (%s)\n", prog, peer, sock, om_strerror(rc), om_errname(rc));
		return 1;
	}
	if (res.code == 0)
		return 0;
	fprintf(stderr, "openmcim %s: %s (%s)\n", prog, res.reason, res.name);
	return 1;
}

void *admin_client_items(void)
{
	return json_out ? cJSON_CreateArray() : NULL;
}

void admin_client_collect(void *items, const char *text)
{
	collect_data(items, text);
}

int admin_client_items_print(void *items, int ok, const char *error, const char *reason)
{
	print_json(items, ok, error, reason);
	return ok ? 0 : 1;
}

struct list_page {
	void *items; /* --json */
	unsigned n;
	char last[ADMIN_LINE_CAP];
};

static void list_row(void *ctx, const char *text)
{
	struct list_page *p = ctx;
	if (p->items)
		collect_data(p->items, text);
	else
		puts(text);
	size_t w = strcspn(text, " ");
	const char *eq = memchr(text, '=', w);
	const char *key = eq ? eq + 1 : text;
	snprintf(p->last, sizeof(p->last), "%.*s", (int)(text + w - key), key);
	p->n++;
}

int admin_client_list(const char *prog, const char *sock, const char *head, unsigned page)
{
	struct list_page p = { .items = admin_client_items() };
	char line[ADMIN_LINE_CAP];
	for (;;) {
		struct om_admin_result res;
		unsigned before = p.n;
		int n = snprintf(line, sizeof(line), "%s %s\n", head, p.n ? p.last : "-");
		if (n < 0 || (size_t)n >= sizeof(line)) {
			cJSON_Delete(p.items);
			return CLI_EUSAGE;
		}
		int rc = om_admin_call(sock, line, ADMIN_CALL_TIMEOUT_MS, list_row, &p, &res);
		if (rc < 0 || res.code < 0) {
			if (p.items)
				return admin_client_items_print(p.items, 0, rc < 0 ? om_errname(rc) : res.name,
								rc < 0 ? om_strerror(rc) : res.reason);
			fprintf(stderr, "openmcim %s: %s (%s)\n", prog, rc < 0 ? om_strerror(rc) : res.reason,
				rc < 0 ? om_errname(rc) : res.name);
			return 1;
		}
		if (p.n - before < page)
			return p.items ? admin_client_items_print(p.items, 1, NULL, NULL) : 0;
	}
}
