/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Note Z of B.2.3.2: the old SHO keeps the device's old subscription for a
 * grace period after the change (to resolve error scenarios), then removes
 * it from its HSS through the provisioning socket (docs/hss.md
 * "Provisioning": "delete IMSI" answered by "ok" or "error <reason>").
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "admin_socket.h"
#include "drf_int.h"
#include "log.h"

#define HSS_LINE_MAX 4096
#define HSS_TIMEOUT_S 10

/* Send "delete imsi" and read the final line. 0 (deleted or already gone) or OM_EDRF_HSS. */
static int hss_delete(const char *sock_path, const char *imsi)
{
	struct sockaddr_un sa;
	struct timeval tv = { HSS_TIMEOUT_S, 0 };
	char line[64], buf[HSS_LINE_MAX + 1], *ans;
	struct om_admin_reader rd = { .buf = buf, .cap = HSS_LINE_MAX };
	int fd = -1, r = OM_EDRF_HSS;
	if (om_admin_client_addr(&sa, sock_path) < 0)
		return OM_EDRF_HSS;
	int n = snprintf(line, sizeof(line), "delete %s\n", imsi);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    send(fd, line, (size_t)n, MSG_NOSIGNAL) != n) {
		om_error("drf-removal-hss", "imsi=%s reason=unreachable", imsi);
		goto out;
	}
	shutdown(fd, SHUT_WR);
	rd.fd = fd;
	while (om_admin_read_line(&rd, &ans)) {
		if (!strcmp(ans, "ok") || !strcmp(ans, "error no such subscriber")) {
			r = 0;
			goto out;
		}
		if (strncmp(ans, "data ", 5) != 0) {
			om_error("drf-removal-hss", "imsi=%s reason=refused answer=\"%.200s\"", imsi, ans);
			goto out;
		}
	}
	om_error("drf-removal-hss", "imsi=%s reason=no-answer", imsi);
out:
	if (fd >= 0)
		close(fd);
	return r;
}

static int mark_done(struct drf *d, const char *imsi, int64_t now)
{
	struct om_stmt *st = NULL;
	int r;
	if ((r = om_store_begin(d->db, OM_STORE_DURABLE)) < 0)
		return r;
	if ((r = om_stmt_prepare(d->db, "UPDATE removal SET done = ?2 WHERE imsi = ?1", &st)) < 0 ||
	    (r = om_stmt_bind_text(st, 1, imsi)) < 0 || (r = om_stmt_bind_int64(st, 2, now)) < 0 ||
	    (r = drf_step_done(st)) < 0) {
		om_stmt_finalize(st);
		om_store_rollback(d->db);
		return r;
	}
	om_stmt_finalize(st);
	return om_store_commit(d->db);
}

int drf_removals_run(struct drf *d, int64_t now)
{
	struct om_stmt *st = NULL;
	char imsi[16][DRF_IMSI_MAX + 1];
	int r, n, removed = 0;
	if (!d)
		return OM_EINVAL;
	if (!d->hss_socket)
		return OM_EDRF_CONFIG;
	do { /* in batches, so no statement stays open across the HSS round trips */
		n = 0;
		if ((r = om_stmt_prepare(d->db, "SELECT imsi FROM removal WHERE done IS NULL AND due <= ?1"
						" ORDER BY due, imsi LIMIT 16", &st)) < 0 ||
		    (r = om_stmt_bind_int64(st, 1, now)) < 0) {
			om_stmt_finalize(st);
			return r;
		}
		while ((r = om_stmt_step(st)) == OM_STORE_ROW)
			snprintf(imsi[n++], sizeof(imsi[0]), "%s", om_stmt_col_text(st, 0));
		om_stmt_finalize(st);
		if (r < 0)
			return r;
		for (int i = 0; i < n; i++) {
			if ((r = hss_delete(d->hss_socket, imsi[i])) < 0 || (r = mark_done(d, imsi[i], now)) < 0)
				return r;
			om_info("drf-removal", "imsi=%s", imsi[i]);
			removed++;
		}
	} while (n == 16);
	return removed;
}

int drf_removals_due(struct drf *d, int64_t now, int *not_yet_due)
{
	struct om_stmt *st = NULL;
	int r, due = 0, later = 0;
	if (!d)
		return OM_EINVAL;
	if ((r = om_stmt_prepare(d->db, "SELECT due <= ?1 FROM removal WHERE done IS NULL", &st)) < 0 ||
	    (r = om_stmt_bind_int64(st, 1, now)) < 0) {
		om_stmt_finalize(st);
		return r;
	}
	while ((r = om_stmt_step(st)) == OM_STORE_ROW) {
		if (om_stmt_col_int64(st, 0))
			due++;
		else
			later++;
	}
	om_stmt_finalize(st);
	if (not_yet_due)
		*not_yet_due = later;
	return r < 0 ? r : due;
}
