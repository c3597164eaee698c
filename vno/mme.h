/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The VNO's MME: one EMM state machine per device connection (TS 24.301
 * 5.5.1 attach, 5.4.2 authentication, 5.4.3 security mode control, 5.5.2
 * detach) with the NAS security context of its attach, the shared registry of
 * IMSIs with an attach in progress or a bearer, the IPv4 pool, and the
 * routing of an IMSI to its home network's Diameter realm.
 *
 * The state machine is driven by its caller (vno/radio_srv.c, or a test):
 * mme_ue_input() for each NAS PDU from the device, mme_ue_timer() when the
 * deadline mme_ue_deadline() passes, mme_ue_release() when the link goes.
 * What it sends goes out through the ue's send callback. The S6a calls go
 * through struct mme_s6a_ops so that main.c wires them to svc/s6a.h; they
 * block, which is why radio_srv.c runs the state machines on a pool of
 * workers, never on its loop. What another thread decides for a connection
 * (a Cancel-Location, a newer attach taking its context) reaches it through
 * its wake callback.
 */
#pragma once

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>
#include <stddef.h>
#include <stdint.h>

#include <openmcim/nas.h>
#include <openmcim/nas_sec.h>
#include <openmcim/radio.h>
#include <openmcim/vector.h>

#include "log.h"
#include "s6a.h"
#include "vno_conf.h"

struct vno_bearer;

/* The S6a client as the MME uses it (svc/s6a.h semantics: -1 transport failure). */
struct mme_s6a_ops {
	void *arg;
	int (*air)(void *arg, const char *realm, const char *imsi, const uint8_t visited_plmn[static 3],
		   const uint8_t *resync, struct om_eutran_vector *out, struct om_s6a_answer *ans);
	int (*ulr)(void *arg, const char *realm, const char *imsi, const uint8_t visited_plmn[static 3],
		   struct om_s6a_subscription *sub, struct om_s6a_answer *ans);
	int (*pur)(void *arg, const char *realm, const char *imsi, struct om_s6a_answer *ans);
};

/* Shared by every connection. */
struct mme {
	const struct vno_conf *conf;
	struct mme_s6a_ops s6a;
	uint8_t visited_plmn[3]; /* our PLMN, TS 24.008 10.5.1.13 */
	pthread_mutex_t lock;    /* guards what follows */
	pthread_cond_t released; /* a slot's PUR is done (registry_take waits for it), or a push's send */
	/*
	 * One slot per IMSI whose device has passed AKA here: the EMM context.
	 * An attach that has not authenticated holds none, so it can neither
	 * lock out nor displace anyone (TS 24.301 5.5.1.2.7 f).
	 */
	char (*busy_imsi)[OM_NAS_IMSI_MAX + 1]; /* conf->max_devices slots, "" = free */
	struct mme_ue **owner;                  /* per slot: the connection holding the context */
	struct mme_ue **attached;               /* per slot: the owner once attached, else NULL */
	/*
	 * Found without walking the slots (issue 14: an attach storm of 100,000
	 * made every registry_take, push and cancel a walk of max_devices): the
	 * busy slots hashed by IMSI, chained through imsi_next; the free slots on
	 * a stack. The pool's returned addresses on a min-heap, so the lowest
	 * free address still goes first, and pool_next the first never handed out.
	 */
	int *imsi_head;                         /* imsi_buckets chains of slots, -1 ends */
	int *imsi_next;                         /* per slot */
	uint32_t imsi_buckets;                  /* a power of two */
	int *free_slot;                         /* max_devices entries, n_free of them free */
	unsigned n_free;
	uint32_t *pool_heap;                    /* returned addresses' indexes, a min-heap */
	uint32_t pool_heap_len, pool_heap_cap;
	uint32_t pool_next;                     /* indexes from here on were never handed out */
	/* Lines about frames of links that have not passed AKA (anyone's): at most 10 a second each. */
	pthread_mutex_t log_lock;               /* guards what follows */
	struct om_log_limit lim_ignored, lim_malformed;
	/* Attach and authentication rejects: one line per link address and IMSI per reject_log_ms (10 s), the
	 * next naming how many were suppressed; 16 followed at once, any other sharing a line a second. */
	struct om_log_keyed lim_reject;
	long long reject_log_ms;
};

enum mme_state {
	MME_IDLE,           /* no procedure; waits for Attach Request */
	MME_AUTH,           /* Authentication Request sent, T3460 running */
	MME_SMC,            /* Security Mode Command sent, T3460 running */
	MME_WAIT_COMPLETE,  /* Attach Accept sent, T3450 running */
	MME_ATTACHED,       /* default bearer up */
	MME_DEAD,           /* the connection must be closed */
};

/* How the state machine hands a frame to the transport: 0 or negative. */
typedef int (*mme_send_fn)(void *arg, uint8_t radio_type, const uint8_t *payload, size_t len);

/* One device connection. Holds a vector and NAS keys (secret): released with mme_ue_release(). */
struct mme_ue {
	struct mme *mme;
	mme_send_fn send;
	void *send_arg;
	void (*wake)(void *send_arg);   /* run this connection soon (under mme->lock); NULL: its caller polls */
	enum mme_state state;
	char imsi[OM_NAS_IMSI_MAX + 1]; /* the identity of the attach, "" when none */
	struct timespec attach_t0;      /* the Attach Request's arrival (openmcim_vno_attach_seconds) */
	int slot;                       /* registry slot once authenticated, -1 when none */
	bool authenticated;             /* RES = XRES once on this connection (vno/radio_admit.h) */
	bool releasing;                 /* under mme->lock: PUR in flight, slot still held */
	unsigned pushing;               /* under mme->lock: mme_push() sends meanwhile (release waits) */
	uint32_t source;                /* the link's IPv4 address (network order), 0 when none: log limits */
	atomic_bool displaced;          /* a newer authenticated attach took the context */
	atomic_int cancelled;           /* mme_cancel(): 0, MME_CANCEL_DELETE or MME_CANCEL_DETACH */
	const struct vno_home *home;
	struct om_nas_pdn_connectivity_request pdn;
	struct om_eutran_vector vec;
	uint8_t ksi;
	bool resynced;                  /* one resync per attach (TS 33.102 6.3.5) */
	bool registered;                /* ULA received: a PUR is owed on release */
	unsigned retransmits;
	long long deadline_ms;          /* CLOCK_MONOTONIC; 0 when no timer runs */
	uint8_t last_pdu[OM_NAS_MAX_LEN]; /* the plain message, for T3460 / T3450 retransmission */
	size_t last_len;
	uint8_t last_sht;               /* its security header type (protected anew with the next COUNT) */
	uint8_t ue_sec_cap[2];          /* the Attach Request's EEA and EIA octets, replayed in the SMC */
	struct om_nas_ctx nas;          /* secret: the EPS security context, active from the SMC on */
	unsigned nas_dropped;           /* uplink messages dropped: plain after the SMC, bad MAC, replay */
	int pool_index;                 /* -1 when no address */
	uint8_t ipv4[4];
	char apn[OM_NAS_APN_MAX];
	struct vno_bearer *bearer;
	uint16_t last_port;             /* the bearer's proxy port */
	uint8_t bearer_key[OM_RADIO_BEARER_KEY_LEN]; /* secret: for the LAB frame, then cleansed */
};

/*
 * Set up the shared part from conf (which must outlive m) and the S6a
 * client. Returns 0, OM_EINVAL (our PLMN does not encode) or OM_ENOMEM.
 */
int mme_init(struct mme *m, const struct vno_conf *conf, const struct mme_s6a_ops *s6a);
void mme_free(struct mme *m);

/* A fresh connection's state machine in MME_IDLE. */
void mme_ue_init(struct mme_ue *ue, struct mme *m, mme_send_fn send, void *send_arg);

/*
 * One NAS PDU from the device. Bad input gets its NAS answer and a log line,
 * never an abort. Once the SMC is sent, a protected PDU whose MAC or COUNT
 * fails, and any plain PDU but an Attach Request (or Security Mode Reject
 * while the SMC runs), is dropped and counted in ue->nas_dropped (TS 24.301
 * 4.4.4.3). Returns 0; a negative code only when the send callback
 * failed (the caller closes the link). ue->state MME_DEAD means: close.
 */
int mme_ue_input(struct mme_ue *ue, const uint8_t *pdu, size_t len);

/* When the running timer expires (T3460 / T3450): retransmit or abort. */
int mme_ue_timer(struct mme_ue *ue);

/* The timer's deadline (CLOCK_MONOTONIC milliseconds), 0 when none runs. */
long long mme_ue_deadline(const struct mme_ue *ue);

/* The link is gone: release bearer, address and registry slot (PUR if attached). */
void mme_ue_release(struct mme_ue *ue);

/*
 * Send doc (len octets) to the device attached as imsi, as one OM_RADIO_PUSH
 * frame on its link (vno/push.c, TR 33.812 B.2.3.3). Sends without the
 * registry lock (a slow link stalls no attach): the connection counts the
 * push (ue->pushing) and its release waits for it; the send is bounded by
 * the link's send timeout. Returns 0, OM_ERADIO_NOT_ATTACHED (no device
 * attached as imsi: the sender retries later), OM_EINVAL, or the send
 * callback's error.
 */
int mme_push(struct mme *m, const char *imsi, const uint8_t *doc, size_t len);

/*
 * Cancel-Location from the IMSI's home HSS (TS 29.272 5.2.1.2; the caller
 * checked the sender): the connection holding imsi's context is woken
 * (its wake callback) and acts at once. With detach (subscription withdrawn, TS 23.401 5.3.8.3)
 * the device gets a Detach Request, re-attach not required; without (another
 * MME took it) the context is only deleted. Bearer, address and slot go, no
 * PUR follows (the HSS already let go), the link closes. Returns 1 when a
 * context was found, 0 otherwise.
 */
enum { MME_CANCEL_DELETE = 1, MME_CANCEL_DETACH = 2 };
int mme_cancel(struct mme *m, const char *imsi, bool detach);

/* The connection holding imsi's context, NULL when none. Under m->lock. */
struct mme_ue *mme_context_of(const struct mme *m, const char *imsi);

/* CLOCK_MONOTONIC in milliseconds. */
long long mme_now_ms(void);
