/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The device agent: the client side of TR 33.812 B.2.3 on top of the TRE
 * (spec/002 B.2.3.3-B.2.3.5, spec/004 5.2.2.6.1 steps 1-14). One call runs
 * one device from power-on to a resting state, reading the TRE's durable
 * state first so that a run killed at any point resumes where it stopped:
 *
 *   TRE state at start                     what the agent does
 *   an activation pending (Note Y)         attach with the new MCIM until the
 *                                          deadline; report; confirm (or fall back)
 *   an installed MCIM of the session       activate it, then as above
 *   a bootstrap session, nothing installed attach with the active MID, run the
 *                                          DM session with the bootstrap's DPF
 *   otherwise                              attach with the active MID and wait
 *                                          for a bootstrap pushed by the VNO
 *
 * agent/agent.c reads top to bottom with the step numbers of B.2.3. Every
 * network exchange is retried with exponential backoff; the TRE is the only
 * durable state (the agent keeps none of its own).
 *
 * Threads: one om_agent_run() per device; different devices may run in
 * parallel threads (the lab does), each with its own TRE directory. The
 * agent writes to sockets: a program should ignore SIGPIPE (openmcim-agent
 * does).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openmcim/err.h>
#include <openmcim/mcim.h>
#include <openmcim/radio.h>
#include <openmcim/tre.h>

#include "agent_err.h"

enum om_agent_outcome {
	OM_AGENT_IDLE = 1,        /* attached with the active MID; no bootstrap came within wait_push_ms */
	OM_AGENT_PROVISIONED = 2, /* a new MCIM attached, was reported to the DPF and confirmed */
	OM_AGENT_FELL_BACK = 3,   /* the new MCIM did not attach before its deadline: the previous
				     MID is active again and attached (Note Y) */
	OM_AGENT_REFUSED = 4,     /* the TRE refused the M2MMCIMMobj, or the DPF refused the device:
				     code and reason say which; the TRE is as before the bootstrap
				     (session aborted) and the device attached. A refused bootstrap
				     never ends a run: it is logged and the wait goes on */
};

/* "IDLE", "PROVISIONED", ...; "?" for another value. */
const char *om_agent_outcome_name(int outcome);

/*
 * Called at each step (from the thread that runs the agent). step is a
 * stable short name: "power-on", "attached", "attach-failed", "bootstrap",
 * "bootstrap-refused", "dm-open", "dm-authenticated", "m2mmobj-sent",
 * "dm-restart", "dm-lost", "installed", "install-reported", "activated",
 * "detached", "attached-new", "reported", "report-lost", "report-refused",
 * "confirmed", "fell-back", "refused", "link-lost", "aas-open", "aas-request", "aas-lost",
 * "aas-refused", "app-params", "app-params-refused", "app-params-reported",
 * "rest" (docs/agent.md
 * lists them with their B.2.3 step numbers; detail carries clause=...);
 * detail is key=value text (never a secret). The lab times phases with it.
 */
typedef void (*om_agent_event_fn)(void *arg, const char *tre_id, const char *step, const char *detail);

/*
 * One visited network the device may try (spec/000 5.2.4.6.3 step 6: "the
 * M2M terminal tries to access all available networks with the credential
 * ... Eventually it will succeed"; 5.2.2.3.2 step 1's allowed networks).
 */
#define OM_AGENT_NETWORKS_MAX 8
#define OM_AGENT_NETWORK_NAME_MAX 31
struct om_agent_network {
	const char *name; /* reported in events and the result, e.g. "VNO-2" (at most 31 characters) */
	const char *host; /* its radio listener, IPv4 */
	uint16_t port;
};

struct om_agent_config {
	const char *tre_dir;       /* the TRE's directory (required) */
	unsigned tre_flags;        /* om_tre_open() flags, normally 0 */
	struct om_tre_backend tre; /* the TRE's backend, TCTI, module, token and PIN: from the
				      configuration only, never from tre_dir (zero: software) */
	const char *vno_host;      /* the VNO's radio listener, IPv4 (required without networks) */
	uint16_t vno_port;
	/* Ordered networks: each attach tries them in this order and stays with the
	 * first that accepts (docs/agent.md "Networks"); n_networks 0 means the one
	 * network vno_host:vno_port, named "vno". */
	const struct om_agent_network *networks;
	size_t n_networks;
	const char *dm_ca_file;    /* PEM: the CA(s) the DPFs' TLS certificates chain to (required) */
	int net_timeout_ms;        /* one radio wait or one HTTP exchange; 0: 10000 */
	unsigned retry_min_ms;     /* first backoff after a lost message; 0: 200 */
	unsigned retry_max_ms;     /* backoff doubles up to this; 0: 5000 */
	unsigned retries;          /* tries of one exchange before giving up; 0: 8 */
	int wait_push_ms;          /* attached and idle: how long to wait for a bootstrap;
				      0 returns IDLE at once, < 0 waits forever */
	uint32_t fallback_s;       /* om_tre_activate() timeout; 0: the MCIM's REVERT_AFTER */
	const char *app_params_path; /* where the application parameters a DPF sets go (the object as received,
					app_params.h, 0600; docs/agent.md); NULL: kept in the result only */
	/* The application activation server the factory configured (spec/000 5.2.4.6.3 steps 1, 7-8; docs/agent.md
	 * "Application activation"): an https URL; after each attach while the device holds no application
	 * parameters at app_params_path, one DM session with it, trusted only if its key is aas_pin's. NULL: none. */
	const char *aas_url;
	/* Required with aas_url: "sha256:" and the hex of the SHA-256 of the AAS's SubjectPublicKeyInfo DER,
	 * written by the factory; never the TRE's trust root (docs/aas.md "Whom the device talks to"). */
	const char *aas_pin;
	uint32_t signer_status_max_age_s; /* > 0: every bootstrap must staple its signer's status (om_tre_require_signer_status) */
	om_agent_event_fn on_event; /* may be NULL */
	void *event_arg;
};

struct om_agent_result {
	int outcome;                          /* enum om_agent_outcome, 0 on error */
	int code;                             /* REFUSED or error: the om_err code */
	char reason[160];                     /* REFUSED or error: one line, no secret */
	char tre_id[OM_TRE_ID_MAX + 1];
	char imsi[OM_MCIM_IMSI_MAX + 1];      /* the identity attached with at the end */
	char owner[OM_TRE_STAKEHOLDER_MAX + 1]; /* that MID's owner: RO_id or SHO_id */
	char network[OM_AGENT_NETWORK_NAME_MAX + 1]; /* the network that accepted the last attach; "" if none did */
	unsigned attaches;                    /* attach procedures run (successful or not) */
	unsigned dm_messages;                 /* SyncML messages sent */
	unsigned dm_tls_full, dm_tls_resumed; /* TLS connections to the DPF: full handshakes, resumed ones */
	unsigned retries;                     /* exchanges repeated after a loss */
	char app_server[256];                 /* the application server a DPF or the AAS set ("" if none) */
	int aas_code;                         /* the activation session: 0 (parameters kept, or none needed),
						 else why nothing was kept (OM_EAGENT_AAS_IDENTITY, OM_EAGENT_REFUSED,
						 the codec's OM_EOBJ_*, OM_EAGENT_NETWORK); not an error of the run */
};

/*
 * Run the device in cfg->tre_dir until it rests (see the table above) and
 * detach. Returns 0 with res->outcome set, or an error with res->code and
 * res->reason: OM_EAGENT_CONFIG, OM_EAGENT_NETWORK (the VNO or the DPF could
 * not be reached after every retry: the TRE's state is durable and a later
 * run resumes), OM_EAGENT_DM, a TRE code (om_tre_open: the device cannot
 * boot). REFUSED is an outcome (0), not an error.
 */
OM_NODISCARD int om_agent_run(const struct om_agent_config *cfg, struct om_agent_result *res);

/*
 * The om_radio_aka_fn of a device (TS 33.401 6.1.1 in the TRE): tre is the
 * struct om_tre whose active MID attaches. RES and KASME (from the TRE's CK
 * and IK, for NAS security), or AUTS on a sync failure
 * (OM_EAUTH_SYNC: the VNO then resynchronises with the HSS); the TRE's code
 * otherwise. Any om_radio_ue_attach() caller with a TRE can pass it.
 */
int om_agent_tre_aka(void *tre, const uint8_t rand[static OM_RAND_LEN], const uint8_t autn[static OM_AUTN_LEN],
		     const uint8_t snid[static OM_SNID_LEN], uint8_t res[static OM_NAS_RES_MAX], size_t *res_len,
		     uint8_t auts[static OM_AUTS_LEN], uint8_t kasme[static OM_KASME_LEN]);
