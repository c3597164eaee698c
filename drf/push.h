/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DRF daemon's delivery loop: the bootstrap of each accepted handover
 * is pushed to the device through the VNO (standing in for WAP push over
 * SMS, B.2.3.2 step 3): HTTP POST <push_url>/push/<IMSI>, body the signed
 * OMA CP document. 202 means delivered over the radio link; 404 means the
 * device is not attached, so the push is retried with exponential backoff;
 * 400/413 are final. The same thread runs the Note Z removals
 * periodically. docs/drf.md "Daemon".
 *
 * The DRF handle is shared with the HTTP handlers: every use of it holds
 * the lock given to drf_push_start.
 */
#pragma once

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "drf.h"

struct drf_push;

struct drf_push_config {
	const char *url;          /* the VNO's push base URL; NULL: no pushes (removals only) */
	const char *ca_file;      /* HTTPS to the VNO: trusted roots (PEM), or NULL for the system's */
	const char *cert_file;    /* our client certificate for the VNO (PEM), or NULL */
	const char *key_file;     /* its key, or NULL */
	unsigned retry_min_s;     /* first retry after this many seconds (>= 1) */
	unsigned retry_max_s;     /* backoff cap (>= retry_min_s) */
	unsigned removal_every_s; /* drf_removals_run period; 0: never (no HSS socket) */
};

/*
 * Start the loop on d, queueing every handover the register holds as
 * accepted (a restart pushes those again; the TRE refuses a sequence it
 * already has, so a second delivery is harmless). cfg's strings must
 * outlive the loop. Returns 0, or OM_EINVAL / OM_ENOMEM / OM_ESTORE* / OM_EIO
 * with a one-line reason in err.
 */
OM_NODISCARD int drf_push_start(struct drf_push **out, const struct drf_push_config *cfg, struct drf *d,
				pthread_mutex_t *lock, char *err, size_t err_len);

/*
 * Queue for delivery the handover drf_handover_id just accepted (its
 * sender and request id), read from the register by its key. One still
 * waiting in the queue is not queued twice; a delivered one has left the
 * queue (only what is still to deliver is held), so a retry of its request
 * pushes it again, which the TRE refuses as it refuses any sequence it
 * has. A handover completed since is not queued. Call with the lock held.
 * Returns 0, OM_EINVAL, OM_ENOMEM, OM_ESTORE*.
 */
OM_NODISCARD int drf_push_accepted(struct drf_push *p, const char *sender, const char *request_id);

/* How many bootstraps wait for delivery (memory held by the queue: issue 14's test of pruning). */
size_t drf_push_queued(struct drf_push *p);

/* Stop the loop (an attempt in flight ends first), free the queue. NULL is a no-op. */
void drf_push_stop(struct drf_push *p);
