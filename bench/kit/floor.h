/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The protocol floor of one provisioning (issue 14): the public-key work
 * the B.2.3 flow cannot do without, timed with OpenSSL on this machine in the
 * same run as the benchmark it is compared with. The count is taken from the
 * flow as the lab runs it (floor.c's table names each operation and who does
 * it), assuming what a deployment can have: persistent links between the
 * operators' functions (no handshake per call there) and, for the device,
 * one full TLS 1.3 handshake (its first DM session) and one resumed (its
 * outcome report). Hashes, AES, MILENAGE and the KDF are left out: each is
 * microseconds or less.
 */
#pragma once

#include <stdio.h>

struct bench_floor {
	/* CPU microseconds per operation, both ends of a handshake together */
	double sign_us, verify_us, x25519_us, tls_full_us, tls_resumed_us;
	/* operations per device outside the two handshakes (floor.c's table) */
	unsigned n_sign, n_verify, n_x25519;
	double per_device_us; /* the floor: the sum of count x time */
	/* the same with each handshake counted by its public-key operations alone (full: a
	 * signature, a verification, 4 X25519; resumed: 4 X25519), without OpenSSL's other work */
	double pk_only_us;
};

/*
 * Time the primitives with the DM server's certificate and key (PEM files:
 * an ECDSA P-256 key as the lab's DPFs have): ECDSA sign and verify, X25519
 * (key generation or shared secret), a full and a resumed TLS 1.3 handshake
 * in memory under the daemons' TLS policy. Each for at least min_ms of CPU.
 * 0, or -1 with the reason in why.
 */
int bench_floor_measure(const char *cert_file, const char *key_file, unsigned min_ms, struct bench_floor *f,
			char *why, size_t why_len);

/* The table and the figures, one line each, then the floor per device. */
void bench_floor_print(FILE *out, const struct bench_floor *f);
