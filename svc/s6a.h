/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Diameter S6a (TS 29.272) on freeDiameter: the dictionary that Debian's
 * freeDiameter 1.2.1 lacks, and the MME side of AIR/AIA, ULR/ULA and
 * PUR/PUA as blocking calls for the VNO. The HSS side lives in
 * hss/s6a_server.c and uses om_s6a_dict_init() from here.
 *
 * freeDiameter keeps one core per process: call om_s6a_start() once.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <openmcim/vector.h>

#define OM_S6A_APP_ID 16777251u
#define OM_S6A_VENDOR_3GPP 10415u
#define OM_S6A_REALM_MAX 96

/* TS 29.272 7.4 / RFC 6733 result codes we use. */
enum om_s6a_result_code {
	OM_S6A_SUCCESS = 2001,
	OM_S6A_AUTHENTICATION_DATA_UNAVAILABLE = 4181,
	OM_S6A_UNABLE_TO_COMPLY = 5012,
	OM_S6A_INVALID_AVP_VALUE = 5004,
	OM_S6A_ERROR_USER_UNKNOWN = 5001,           /* Experimental-Result */
	OM_S6A_ERROR_ROAMING_NOT_ALLOWED = 5004,    /* Experimental-Result */
	OM_S6A_ERROR_UNKNOWN_EPS_SUBSCRIPTION = 5420, /* Experimental-Result */
};

/* What the VNO learns from an answer. */
struct om_s6a_answer {
	uint32_t result_code;  /* Result-Code or Experimental-Result-Code */
	int experimental;      /* 1 when it came as Experimental-Result */
};

/*
 * The realm of a home network from its PLMN (TS 23.003 19.2):
 * "epc.mnc<MNC 3 digits>.mcc<MCC>.3gppnetwork.org". Returns 0 or OM_EINVAL.
 */
int om_s6a_realm(char out[static OM_S6A_REALM_MAX], const char *mcc, const char *mnc);

/*
 * Start freeDiameter with conf (a freeDiameter configuration file that loads
 * dict_nasreq, dict_dcca and dict_dcca_3gpp), register the S6a application,
 * commands and rules, and wait until the core runs. Returns 0 or -1 with a
 * message in err.
 */
int om_s6a_start(const char *fd_conf, char *err, size_t err_len);

/*
 * What a daemon's generated freeDiameter configuration says (svc/s6a_conf.c,
 * docs/s6a.md "Transport security"). port is where we listen: TLS (SecPort),
 * or clear TCP when tls_off; 0 listens nowhere (an MME only connects out).
 * listen is ListenOn and so the Host-IP-Address of our CER/CEA.
 */
struct om_s6a_fdconf {
	const char *identity, *realm, *listen, *dict_dir;
	unsigned port, app_threads; /* app_threads 0: 4 */
	int tls_off;                /* 1 only when the configuration says tls = off */
	const char *tls_cert, *tls_key, *tls_ca, *tls_crl; /* PEM files; crl optional */
	/* 1: load no dictionary extension; om_s6a_dict_init defines the S6a AVPs itself (s6a_dict_own.c:
	 * freeDiameter's lookups walk 42 3GPP AVPs instead of dict_dcca_3gpp's 732; issue 14, the VNO) */
	int dicts_own;
};

/* Write the configuration's common part to f. Returns 0, or -1 (TLS files missing, write error). */
int om_s6a_conf_write(FILE *f, const struct om_s6a_fdconf *c);

/* [diameter] tls: 0 for "on" or absent (the default), 1 for "off", -1 for anything else. */
int om_s6a_conf_tls(const char *v);

/* A peer we connect to: TLS with its certificate checked against identity, unless tls_off. */
void om_s6a_conf_peer(FILE *f, const char *identity, const char *host, unsigned port, int tls_off);

/*
 * Accept incoming connections from these Diameter identities only (the
 * HSS's MMEs; configure them in no ConnectPeer, so that every one comes
 * through this check). With TLS, the peer's certificate (already verified
 * against TLS_CA by the handshake) must name the identity its CER claims
 * (DNS subjectAltName, or CN without one); with tls_off, clear TCP is
 * allowed. Call between om_s6a_core_init() and om_s6a_core_start().
 * Returns 0 or -1.
 */
int om_s6a_accept_peers(const char *const *ids, size_t n, int tls_off);

/* Register the S6a dictionary objects (called by om_s6a_start; idempotent). */
int om_s6a_dict_init(void);

/*
 * Close the capture. freeDiameter itself is left running, on purpose: its
 * teardown (fd_core_shutdown) deletes the routing and dispatch queues
 * while their threads still wait on them, and fd_fifo_del() gives those
 * threads 20 x 1 ms to leave before it asserts, which a loaded machine does
 * not guarantee (the lab_crash_test abort, docs/s6a.md "Shutdown"). A
 * process that used S6a saves its own state, then leaves with
 * om_s6a_exit(); its peers see the connection close.
 */
void om_s6a_stop(void);

/* Close the capture, flush stdio and _exit(status): no destructor runs beside freeDiameter's threads. */
__attribute__((noreturn)) void om_s6a_exit(int status);

/*
 * Wait until the peer diamid (any peer when NULL) is in the open state.
 * Returns 0, or -1 after timeout_ms. (Added by hD: a caller that sends
 * before CER/CEA has completed gets DIAMETER_UNABLE_TO_DELIVER.)
 */
int om_s6a_wait_peer(const char *diamid, unsigned timeout_ms);

/*
 * Capture every Diameter message this process sends or receives (CER/CEA
 * and DWR/DWA included) into a classic pcap file at path, each as one
 * IPv4 + TCP segment to or from port 3868 (OM_PCAP_LINKTYPE_IPV4), so that
 * tshark decodes it as Diameter (docs/s6a.md). Call after om_s6a_start()
 * (or om_s6a_core_init()). Returns 0 or -1. (Added by hD.)
 */
int om_s6a_pcap_open(const char *path);

/* Stop capturing and close the file (om_s6a_stop() does it too). */
void om_s6a_pcap_close(void);

/*
 * AIR/AIA towards dest_realm: up to n E-UTRAN vectors for imsi, for serving
 * network visited_plmn; resync = RAND || AUTS (30 octets) or NULL. Blocks up
 * to timeout_ms. Returns the number of vectors (>= 0) with ans filled, or -1
 * on a transport failure or timeout.
 */
int om_s6a_air(const char *dest_realm, const char *imsi, const uint8_t visited_plmn[static 3], unsigned n,
	       const uint8_t *resync, unsigned timeout_ms, struct om_eutran_vector *out,
	       struct om_s6a_answer *ans);

/* The APN configuration a ULA carries, as the VNO uses it. */
struct om_s6a_subscription {
	uint32_t default_context_id;
	size_t n_apns;
	struct {
		uint32_t context_id;
		char name[101];
	} apns[4];
};

/* ULR/ULA. Returns 0 with ans filled (sub valid on success), or -1. */
int om_s6a_ulr(const char *dest_realm, const char *imsi, const uint8_t visited_plmn[static 3],
	       unsigned timeout_ms, struct om_s6a_subscription *sub, struct om_s6a_answer *ans);

/*
 * What the MME does with the requests the HSS starts (svc/s6a_mme.c):
 * Cancel-Location (TS 29.272 5.2.1.2, cancellation_type as 7.3.24) and
 * Insert-Subscriber-Data (5.2.2.1.2). Each returns the Result-Code to
 * answer: 2001, 5003 DIAMETER_AUTHORIZATION_REJECTED when origin does not
 * serve imsi, 5001 (Experimental) not used here. origin is the request's
 * Origin-Host, already checked to be the peer it came over.
 */
#define OM_S6A_AUTHORIZATION_REJECTED 5003u
struct om_s6a_mme_handlers {
	void *arg;
	uint32_t (*cancel)(void *arg, const char *origin, const char *imsi, int32_t cancellation_type);
	uint32_t (*insert)(void *arg, const char *origin, const char *imsi, const struct om_s6a_subscription *sub);
};

/* Serve CLR and IDR with h (copied), after om_s6a_start(). 0 or -1. */
int om_s6a_mme_serve(const struct om_s6a_mme_handlers *h);

/* PUR/PUA. Returns 0 with ans filled, or -1. */
int om_s6a_pur(const char *dest_realm, const char *imsi, unsigned timeout_ms, struct om_s6a_answer *ans);
