/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SHO's client of its HSS's provisioning socket (docs/hss.md
 * "Provisioning") on the shared client (svc/admin_call.h), which
 * `openmcim hss-admin` and the DRF's removals use too.
 *
 * A registration's subscribers go in with one `import`, i.e. one HSS
 * transaction for the whole call (all or nothing on the HSS's side). The
 * file it reads is a FIFO in a fresh 0700 directory: K and OPc go from this
 * process's memory to the HSS's through the kernel and never reach a disk.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openmcim/mcim.h>

struct om_admin_link;

/*
 * Is the HSS answering? Its "status" within timeout_ms (issue 14: a stopped
 * HSS fails the registration that needs it, fast, and holds nothing).
 * 0, or OM_ESHO_HSS with a reason for the owner in why (the details, the
 * socket's path among them, go to the log only; so for the import).
 */
OM_NODISCARD int sho_hss_probe(const char *socket_path, unsigned timeout_ms, char *why, size_t wl);

/* One subscriber for the HSS. Secret (K, OPc): cleanse after use. */
struct sho_hss_row {
	char imsi[OM_MCIM_IMSI_MAX + 1];
	uint8_t k[16], opc[16], amf[2];
};

/*
 * Create rows[0..n) in the HSS behind socket_path with one `import ... apn=
 * roaming= ind_bits= status=suspended`: suspended, because a registration
 * is not yet a live subscription (spec/000 5.2.2.1 requirement A; it goes
 * live when its MCIM is released, sho_activate). Returns 0, or OM_ESHO_HSS
 * with the HSS's reason (or the local failure) in why: the HSS then
 * created none of them.
 */
int sho_hss_import(const char *socket_path, const struct sho_hss_row *rows, size_t n, const char *apn,
		   const char *roaming, unsigned ind_bits, char *why, size_t why_len);

/*
 * One command line (ending in a newline) and its answer: 0, or OM_ESHO_HSS
 * with the reason in why and the HSS's own code in *hss_code (the transport's
 * when there was no answer). The line may hold K: the caller cleanses it.
 */
int sho_hss_command(const char *socket_path, const char *line, int *hss_code, char *why, size_t why_len);

/*
 * Delete the subscribers imsis[0..n) (undoing an import whose registration
 * could not be committed). Deletes what it can; one already gone
 * (OM_EHSS_NOT_FOUND) counts as deleted. Returns 0 or OM_ESHO_HSS with the
 * first failure in why.
 */
int sho_hss_delete(const char *socket_path, const char (*imsis)[OM_MCIM_IMSI_MAX + 1], size_t n, char *why,
		   size_t why_len);

/*
 * Suspend one subscriber (the HSS answers no vector for it and cancels its
 * location at the serving MME): a fallback left it unused (issue 20).
 * Returns 0 or OM_ESHO_HSS with the reason in why.
 */
int sho_hss_suspend(const char *socket_path, const char imsi[static OM_MCIM_IMSI_MAX + 1], char *why, size_t why_len);

/*
 * Resume one subscriber (requirement A: the subscription goes live). An
 * active one stays active. Returns 0 or OM_ESHO_HSS with the reason in why;
 * *answered (may be NULL) is 1 when the HSS answered at all, 0 when it
 * could not be reached in time.
 */
int sho_hss_resume(const char *socket_path, const char imsi[static OM_MCIM_IMSI_MAX + 1], int *answered, char *why,
		   size_t why_len);

/*
 * The same over link (svc/admin_call.h: kept-open connections, reused call after
 * call; NULL: a connection of its own), within OPEN_TIMEOUT_MS for the whole call
 * (issue 14: the release's resume made a connection, and the HSS a peer check and a
 * close, per device).
 */
int sho_hss_resume_link(struct om_admin_link *link, const char *socket_path, const char imsi[static OM_MCIM_IMSI_MAX + 1],
			int *answered, char *why, size_t why_len);
