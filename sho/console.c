/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The web console's files (docs/owner.md "Console"): plain HTML, JavaScript
 * modules and CSS from [console] dir (installed as share/openmcim/console),
 * no build step. Only names of letters, digits, '-', '_' and one '.' under
 * the directory are served; the page may load nothing from elsewhere (CSP).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "log.h"

#define FILE_MAX (1u << 20)

static const char *content_type(const char *name)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ ".html", "text/html; charset=utf-8" },    { ".js", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },      { ".svg", "image/svg+xml" },
		{ ".png", "image/png" },                    { ".json", "application/json" },
		{ ".yaml", "application/yaml" },
	};
	const char *dot = strrchr(name, '.');
	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(dot, types[i].ext))
			return types[i].type;
	return NULL;
}

static int name_ok(const char *n)
{
	size_t len = strlen(n), dots = 0;
	if (len == 0 || len > 64 || n[0] == '.')
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = n[i];
		if (c == '.')
			dots++;
		else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
			   c == '_'))
			return 0;
	}
	return dots == 1;
}

static void not_found(struct om_http_req *r)
{
	static const char t[] = "not found\n";
	om_http_reply_header(r, "X-Content-Type-Options", "nosniff");
	om_http_reply(r, 404, "text/plain", t, sizeof(t) - 1);
}

void api_console(struct om_http_req *r, void *arg)
{
	struct sho_api *a = arg;
	const char *path = om_http_req_path(r);
	const char *name = !strcmp(path, "/") ? "index.html" : path + strlen("/console/");
	char file[1024];
	struct stat sb;
	if (!a->console_dir || !name_ok(name) || !content_type(name))
		return not_found(r);
	snprintf(file, sizeof(file), "%s/%s", a->console_dir, name);
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size > FILE_MAX) {
		if (fd >= 0)
			close(fd);
		return not_found(r);
	}
	char *buf = malloc((size_t)sb.st_size + 1);
	ssize_t got = buf ? read(fd, buf, (size_t)sb.st_size) : -1;
	close(fd);
	if (got != sb.st_size) {
		free(buf);
		om_notice("sho-console", "file=%s result=unreadable", file);
		return not_found(r);
	}
	/* the console's own files only: no inline script, no other origin, no framing */
	om_http_reply_header(r, "Content-Security-Policy",
			     "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
			     " connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
	om_http_reply_header(r, "X-Content-Type-Options", "nosniff");
	om_http_reply_header(r, "Referrer-Policy", "no-referrer");
	om_http_reply_header(r, "Cache-Control", "no-cache");
	om_http_reply(r, 200, content_type(name), buf, (size_t)got);
	free(buf);
}
