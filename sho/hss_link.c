/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The provisioning protocol from the client's side (svc/admin_call.h): one
 * command line, then "data ..." lines and "ok" or "error <code> <reason>",
 * read by the code. The import's rows travel through a FIFO (hss_link.h
 * says why).
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

#include "admin_call.h"
#include "hss_link.h"
#include "log.h"
#include "sho_int.h"

#define ANSWER_TIMEOUT_MS 60000 /* an import of 100,000 rows takes seconds */
#define OPEN_TIMEOUT_MS 10000

/* Connect within OPEN_TIMEOUT_MS. 0 or OM_ESHO_HSS with the reason. */
static int conn_open(struct om_admin_conn *c, const char *path, char *why, size_t wl)
{
	int rc = om_admin_connect(c, path, OPEN_TIMEOUT_MS);
	if (rc == OM_EINVAL)
		return om_reason(why, wl, OM_ESHO_HSS, "HSS socket path missing or too long");
	if (rc < 0)
		return om_reason(why, wl, OM_ESHO_HSS, "HSS socket %s: %s", path, om_strerror(rc));
	return 0;
}

static int send_line(struct om_admin_conn *c, const char *line, char *why, size_t wl)
{
	int rc = om_admin_send(c, line, OPEN_TIMEOUT_MS);
	return rc < 0 ? om_reason(why, wl, OM_ESHO_HSS, "HSS socket: send: %s", om_strerror(rc)) : 0;
}

/*
 * Read one answer: 0 on "ok", OM_ESHO_HSS with the reason and the HSS's
 * code otherwise. *code (may be NULL) gets the HSS's code (0 for ok), or
 * the transport's when there was no answer.
 */
static int read_answer(struct om_admin_conn *c, int *code, char *why, size_t wl)
{
	struct om_admin_result res;
	int rc = om_admin_answer(c, ANSWER_TIMEOUT_MS, NULL, NULL, &res);
	if (code)
		*code = rc < 0 ? rc : res.code;
	if (rc < 0)
		return om_reason(why, wl, OM_ESHO_HSS, "HSS socket: %s", om_strerror(rc));
	if (res.code < 0)
		return om_reason(why, wl, OM_ESHO_HSS, "HSS: %.200s (%s)", res.reason, res.name);
	return 0;
}

/* Open the FIFO for writing once the HSS opened it for reading; give up if it answers first. */
static int open_writer(struct om_admin_conn *c, const char *fifo, char *why, size_t wl)
{
	for (int waited = 0; waited < OPEN_TIMEOUT_MS; waited += 5) {
		int fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0) {
			int fl = fcntl(fd, F_GETFL);
			if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
				close(fd);
				return om_reason(why, wl, OM_ESHO_HSS, "import FIFO: %s", strerror(errno));
			}
			return fd;
		}
		if (errno != ENXIO)
			return om_reason(why, wl, OM_ESHO_HSS, "import FIFO: %s", strerror(errno));
		struct pollfd pf = { .fd = c->fd, .events = POLLIN };
		if (poll(&pf, 1, 5) > 0) {
			int rc = read_answer(c, NULL, why, wl);
			return rc < 0 ? rc : om_reason(why, wl, OM_ESHO_HSS, "HSS answered before reading the rows");
		}
	}
	return om_reason(why, wl, OM_ESHO_HSS, "HSS did not open the import file");
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

static int import(const char *socket_path, const struct sho_hss_row *rows, size_t n, const char *apn,
		  const char *roaming, unsigned ind_bits, char *why, size_t wl)
{
	char dir[] = "/tmp/openmcim-sho-XXXXXX", fifo[64], line[600];
	struct om_admin_conn c = { .fd = -1 };
	char *text = NULL;
	size_t text_len = 0;
	int rc, wfd = -1, made_dir = 0, made_fifo = 0;
	if (!rows || !n || !apn || !roaming)
		return OM_EINVAL;
	if (!mkdtemp(dir)) {
		rc = om_reason(why, wl, OM_ESHO_HSS, "import FIFO directory: %s", strerror(errno));
		goto out;
	}
	made_dir = 1;
	snprintf(fifo, sizeof(fifo), "%s/import.csv", dir);
	if (mkfifo(fifo, 0600) < 0) {
		rc = om_reason(why, wl, OM_ESHO_HSS, "import FIFO: %s", strerror(errno));
		goto out;
	}
	made_fifo = 1;
	if (!(text = import_text(rows, n, &text_len))) {
		rc = OM_ENOMEM;
		goto out;
	}
	if ((rc = conn_open(&c, socket_path, why, wl)) < 0)
		goto out;
	/* requirement A (spec/000 5.2.2.1): created suspended, live when the MCIM is released (sho_activate) */
	snprintf(line, sizeof(line), "import %s apn=%s roaming=%s ind_bits=%u status=suspended\n", fifo, apn, roaming,
		 ind_bits);
	if ((rc = send_line(&c, line, why, wl)) < 0)
		goto out;
	if ((rc = wfd = open_writer(&c, fifo, why, wl)) < 0)
		goto out;
	/* a short write means the HSS stopped reading: its answer says why */
	(void)write_rows(wfd, text, text_len);
	close(wfd);
	wfd = -1;
	rc = read_answer(&c, NULL, why, wl);
out:
	if (wfd >= 0)
		close(wfd);
	om_admin_close(&c);
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

/*
 * What an owner is told of an HSS failure (review finding 7): the socket's
 * path, the FIFO's and the HSS's own reasons are the operator's business,
 * so they go to the log and the owner gets a generic reason. Returns rc.
 */
static int probe(const char *socket_path, unsigned timeout_ms, char *why, size_t wl);

static int for_owner(int rc, const char *call, char *why, size_t wl)
{
	if (rc >= 0)
		return rc;
	om_notice("sho-hss", "call=%s code=%s reason=\"%s\"", call, om_errname(rc), why && wl ? why : "");
	if (why && wl)
		snprintf(why, wl, "%s", call[0] == 'p' ? "this operator's HSS is not answering: try again later"
						      : "this operator's HSS could not take the subscribers");
	return rc;
}

int sho_hss_import(const char *socket_path, const struct sho_hss_row *rows, size_t n, const char *apn,
		   const char *roaming, unsigned ind_bits, char *why, size_t wl)
{
	return for_owner(import(socket_path, rows, n, apn, roaming, ind_bits, why, wl), "import", why, wl);
}

int sho_hss_probe(const char *socket_path, unsigned timeout_ms, char *why, size_t wl)
{
	return for_owner(probe(socket_path, timeout_ms, why, wl), "probe", why, wl);
}

static int probe(const char *socket_path, unsigned timeout_ms, char *why, size_t wl)
{
	struct om_admin_result res;
	int rc = om_admin_call(socket_path, "status\n", (int)timeout_ms, NULL, NULL, &res);
	if (rc < 0)
		return om_reason(why, wl, OM_ESHO_HSS, "HSS socket %s: %s (probe, %u ms)", socket_path, om_strerror(rc),
			       timeout_ms);
	if (res.code < 0)
		return om_reason(why, wl, OM_ESHO_HSS, "HSS: %.200s (%s)", res.reason, res.name);
	return 0;
}

/* verb (delete, suspend) for each IMSI; gone_ok: a subscriber already gone counts as done. */
static int each_imsi(const char *socket_path, const char *verb, int gone_ok,
		     const char (*imsis)[OM_MCIM_IMSI_MAX + 1], size_t n, char *why, size_t wl)
{
	struct om_admin_conn c;
	int rc = conn_open(&c, socket_path, why, wl), first = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		char line[64];
		int code = 0;
		snprintf(line, sizeof(line), "%s %s\n", verb, imsis[i]);
		int r = send_line(&c, line, first ? NULL : why, first ? 0 : wl);
		if (r < 0) {
			first = first ? first : r;
			break;
		}
		r = read_answer(&c, &code, first ? NULL : why, first ? 0 : wl);
		if (r < 0 && !(gone_ok && code == OM_EHSS_NOT_FOUND) && !first) /* already gone is what a delete wants */
			first = r;
	}
	om_admin_close(&c);
	return rc < 0 ? rc : first;
}

int sho_hss_command(const char *socket_path, const char *line, int *hss_code, char *why, size_t wl)
{
	struct om_admin_conn c;
	int rc = conn_open(&c, socket_path, why, wl);
	if (hss_code)
		*hss_code = rc;
	if (rc == 0 && (rc = send_line(&c, line, why, wl)) == 0)
		rc = read_answer(&c, hss_code, why, wl);
	om_admin_close(&c);
	return rc;
}

int sho_hss_delete(const char *socket_path, const char (*imsis)[OM_MCIM_IMSI_MAX + 1], size_t n, char *why,
		   size_t wl)
{
	return each_imsi(socket_path, "delete", 1, imsis, n, why, wl);
}

int sho_hss_suspend(const char *socket_path, const char imsi[static OM_MCIM_IMSI_MAX + 1], char *why, size_t wl)
{
	return each_imsi(socket_path, "suspend", 0, (const char(*)[OM_MCIM_IMSI_MAX + 1])imsi, 1, why, wl);
}

int sho_hss_resume_link(struct om_admin_link *link, const char *socket_path, const char imsi[static OM_MCIM_IMSI_MAX + 1],
			int *answered, char *why, size_t wl)
{
	char line[64], r[OM_ADMIN_REASON_MAX + 1] = "";
	const struct om_admin_peer p = { .path = socket_path, .timeout_ms = OPEN_TIMEOUT_MS, .link = link };
	snprintf(line, sizeof(line), "resume %s\n", imsi);
	int rc = om_admin_peer_call(&p, line, NULL, NULL, r, sizeof(r));
	if (answered)
		*answered = rc != OM_EUNAVAILABLE;
	if (rc == OM_EUNAVAILABLE)
		return om_reason(why, wl, OM_ESHO_HSS, "HSS socket %s: %.200s", socket_path, r);
	if (rc < 0)
		return om_reason(why, wl, OM_ESHO_HSS, "HSS: %.200s (%s)", r, om_errname(rc));
	return 0;
}

int sho_hss_resume(const char *socket_path, const char imsi[static OM_MCIM_IMSI_MAX + 1], int *answered, char *why,
		   size_t wl)
{
	char line[64];
	int code = 0;
	snprintf(line, sizeof(line), "resume %s\n", imsi);
	int rc = sho_hss_command(socket_path, line, &code, why, wl);
	/* code: the HSS's own (its range) when it answered; the transport's, or conn_open's OM_ESHO_HSS, when not */
	if (answered)
		*answered = rc == 0 || (code <= -100 && code != OM_ESHO_HSS);
	return rc;
}
