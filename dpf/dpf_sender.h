/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DPF's completion sender (Note Z; docs/dpf.md "Completion reports"):
 * one thread that takes the due reports from the DPF's record
 * (dpf_completion_next) and POSTs each to the previous SHO's DRF over
 * mutual TLS (sho_peer_completed), until it answers 200 result=completed;
 * no answer is retried after 1 s doubling up to 60 s, a refusal (4xx) is
 * kept for the next start. A restart resumes the queue.
 *
 * Threads: the sender's thread takes *lock around every use of the struct
 * dpf, never during the POST; whoever else uses the struct dpf takes it too.
 */
#pragma once

#include <pthread.h>

#include <openmcim/err.h>

#include "dpf.h"
#include "sho_peer.h"

struct dpf_sender;

struct dpf_sender_config {
	struct dpf *dpf;              /* borrowed */
	pthread_mutex_t *lock;        /* borrowed: serialises the use of dpf */
	const struct sho_peers *peers; /* borrowed: [peer.<SHO_ID>] and our client identity */
};

/* Start the thread (the queue is resumed first: everything not done is due now). 0, OM_EINVAL, OM_ENOMEM, OM_EIO. */
OM_NODISCARD int dpf_sender_start(struct dpf_sender **out, const struct dpf_sender_config *cfg);

/* A report was queued: look now rather than at the next due time. */
void dpf_sender_wake(struct dpf_sender *s);

/* Stop and join the thread (a POST in flight finishes first), free. NULL is a no-op. */
void dpf_sender_stop(struct dpf_sender *s);
