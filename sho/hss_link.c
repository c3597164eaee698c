/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The provisioning protocol from the client's side: one command line, then
 * "data ..." lines and "ok" or "error <reason>". The import's rows travel
 * through a FIFO (hss_link.h says why).
 */
#define _DEFAULT_SOURCE /* mkdtemp */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <openmcim/hex.h>

#include "hss_link.h"
#include "sho_int.h"

#define LINE_CAP 4096
#define ANSWER_TIMEOUT_MS 60000 /* an import of 100,000 rows takes seconds */
#define OPEN_TIMEOUT_MS 10000

struct conn {
	int fd;
	char buf[LINE_CAP + 1];
	size_t have;
};

static int conn_open(struct conn *c, const char *path, char *why, size_t wl)
{
	struct sockaddr_un sa;
	memset(c, 0, sizeof(*c));
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	c->fd = -1;
	if (!path || strlen(path) >= sizeof(sa.sun_path))
		return sho_say(why, wl, OM_ESHO_HSS, "HSS socket path missing or too long");
	memcpy(sa.sun_path, path, strlen(path) + 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return sho_say(why, wl, OM_ESHO_HSS, "HSS socket %s: %s", path, strerror(errno));
	return 0;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static int send_line(struct conn *c, const char *line, char *why, size_t wl)
{
	size_t len = strlen(line);
	for (size_t off = 0; off < len;) {
		ssize_t w = send(c->fd, line + off, len - off, MSG_NOSIGNAL);
		if (w <= 0)
			return sho_say(why, wl, OM_ESHO_HSS, "HSS socket: send: %s", strerror(errno));
		off += (size_t)w;
	}
	return 0;
}

/* Read up to the final line of one answer: 0 on "ok", OM_ESHO_HSS with the reason otherwise. */
static int read_answer(struct conn *c, char *why, size_t wl)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->have);
		if (!nl) {
			struct pollfd pf = { .fd = c->fd, .events = POLLIN };
			if (c->have == LINE_CAP || poll(&pf, 1, ANSWER_TIMEOUT_MS) <= 0)
				return sho_say(why, wl, OM_ESHO_HSS, "HSS socket: no answer");
			ssize_t r = recv(c->fd, c->buf + c->have, LINE_CAP - c->have, 0);
			if (r <= 0)
				return sho_say(why, wl, OM_ESHO_HSS, "HSS closed the connection without an answer");
			c->have += (size_t)r;
			continue;
		}
		*nl = '\0';
		int rc = 1;
		if (!strcmp(c->buf, "ok"))
			rc = 0;
		else if (strncmp(c->buf, "data ", 5))
			rc = sho_say(why, wl, OM_ESHO_HSS, "HSS: %.200s",
				     strncmp(c->buf, "error ", 6) ? c->buf : c->buf + 6);
		size_t used = (size_t)(nl - c->buf) + 1;
		memmove(c->buf, c->buf + used, c->have - used);
		c->have -= used;
		if (rc <= 0)
			return rc;
	}
}

/* Open the FIFO for writing once the HSS opened it for reading; give up if it answers first. */
static int open_writer(struct conn *c, const char *fifo, char *why, size_t wl)
{
	for (int waited = 0; waited < OPEN_TIMEOUT_MS; waited += 5) {
		int fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0) {
			int fl = fcntl(fd, F_GETFL);
			if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
				close(fd);
				return sho_say(why, wl, OM_ESHO_HSS, "import FIFO: %s", strerror(errno));
			}
			return fd;
		}
		if (errno != ENXIO)
			return sho_say(why, wl, OM_ESHO_HSS, "import FIFO: %s", strerror(errno));
		struct pollfd pf = { .fd = c->fd, .events = POLLIN };
		if (poll(&pf, 1, 5) > 0) {
			int rc = read_answer(c, why, wl);
			return rc < 0 ? rc : sho_say(why, wl, OM_ESHO_HSS, "HSS answered before reading the rows");
		}
	}
	return sho_say(why, wl, OM_ESHO_HSS, "HSS did not open the import file");
}

/*
 * Write all of buf to the FIFO. A reader that stops early (the HSS refused a
 * row) gives EPIPE: SIGPIPE is blocked for this thread and a pending one
 * consumed, so the process is not killed.
 */
static int write_rows(int fd, const char *buf, size_t len)
{
	sigset_t pipe_set, old;
	int rc = 0;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, buf + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = -1;
			break;
		}
		off += (size_t)w;
	}
	if (rc < 0 && errno == EPIPE) {
		struct timespec zero = { 0, 0 };
		while (sigtimedwait(&pipe_set, NULL, &zero) == SIGPIPE)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* The import file: the header of docs/hss.md and one row per subscriber. Secret. */
static char *import_text(const struct sho_hss_row *rows, size_t n, size_t *len)
{
	size_t row = OM_MCIM_IMSI_MAX + 1 + 32 + 1 + 32 + 1 + 4 + 1;
	size_t cap = 16 + n * row + 1;
	char *t = malloc(cap);
	if (!t)
		return NULL;
	size_t o = (size_t)snprintf(t, cap, "imsi,k,opc,amf\n");
	for (size_t i = 0; i < n; i++) {
		char k[33], opc[33], amf[5];
		om_hex_encode(k, rows[i].k, 16);
		om_hex_encode(opc, rows[i].opc, 16);
		om_hex_encode(amf, rows[i].amf, 2);
		o += (size_t)snprintf(t + o, cap - o, "%s,%s,%s,%s\n", rows[i].imsi, k, opc, amf);
		OPENSSL_cleanse(k, sizeof(k));
		OPENSSL_cleanse(opc, sizeof(opc));
	}
	*len = o;
	return t;
}

int sho_hss_import(const char *socket_path, const struct sho_hss_row *rows, size_t n, const char *apn,
		   const char *roaming, unsigned ind_bits, char *why, size_t wl)
{
	char dir[] = "/tmp/openmcim-sho-XXXXXX", fifo[64], line[600];
	struct conn c = { .fd = -1 };
	char *text = NULL;
	size_t text_len = 0;
	int rc, wfd = -1, made_dir = 0, made_fifo = 0;
	if (!rows || !n || !apn || !roaming)
		return OM_EINVAL;
	if (!mkdtemp(dir)) {
		rc = sho_say(why, wl, OM_ESHO_HSS, "import FIFO directory: %s", strerror(errno));
		goto out;
	}
	made_dir = 1;
	snprintf(fifo, sizeof(fifo), "%s/import.csv", dir);
	if (mkfifo(fifo, 0600) < 0) {
		rc = sho_say(why, wl, OM_ESHO_HSS, "import FIFO: %s", strerror(errno));
		goto out;
	}
	made_fifo = 1;
	if (!(text = import_text(rows, n, &text_len))) {
		rc = OM_ENOMEM;
		goto out;
	}
	if ((rc = conn_open(&c, socket_path, why, wl)) < 0)
		goto out;
	snprintf(line, sizeof(line), "import %s apn=%s roaming=%s ind_bits=%u\n", fifo, apn, roaming, ind_bits);
	if ((rc = send_line(&c, line, why, wl)) < 0)
		goto out;
	if ((rc = wfd = open_writer(&c, fifo, why, wl)) < 0)
		goto out;
	/* a short write means the HSS stopped reading: its answer says why */
	(void)write_rows(wfd, text, text_len);
	close(wfd);
	wfd = -1;
	rc = read_answer(&c, why, wl);
out:
	if (wfd >= 0)
		close(wfd);
	conn_close(&c);
	if (text) {
		OPENSSL_cleanse(text, text_len);
		free(text);
	}
	if (made_fifo)
		unlink(fifo);
	if (made_dir)
		rmdir(dir);
	return rc;
}

int sho_hss_delete(const char *socket_path, const char (*imsis)[OM_MCIM_IMSI_MAX + 1], size_t n, char *why,
		   size_t wl)
{
	struct conn c;
	int rc = conn_open(&c, socket_path, why, wl), first = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		char line[64];
		snprintf(line, sizeof(line), "delete %s\n", imsis[i]);
		int r = send_line(&c, line, first ? NULL : why, first ? 0 : wl);
		if (r < 0) {
			first = first ? first : r;
			break;
		}
		r = read_answer(&c, first ? NULL : why, first ? 0 : wl);
		if (r < 0 && !first)
			first = r;
	}
	conn_close(&c);
	return rc < 0 ? rc : first;
}
