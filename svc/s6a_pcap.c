/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A capture of this process's Diameter traffic, from freeDiameter's
 * HOOK_MESSAGE_SENT / HOOK_MESSAGE_RECEIVED: each message is bufferized and
 * written as one IPv4 + TCP segment. We are 127.0.0.1 on an ephemeral-
 * looking port; peer i (in the order first seen) is 127.0.0.(2+i) on 3868,
 * tshark's Diameter port. Sequence and acknowledgement numbers run per
 * peer and per direction, so tshark's TCP analysis finds no gap.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openmcim/pcap.h>
#include <openmcim/private_file.h>

#include "s6a.h"
#include "fd_wrap.h"

#define FLOWS_MAX 64

struct flow {
	char peer[256];
	uint32_t seq_out, seq_in; /* next sequence number each way */
};

static pthread_mutex_t cap_lock = PTHREAD_MUTEX_INITIALIZER;
static struct om_pcap cap;
static FILE *cap_file;
static struct fd_hook_hdl *cap_hook;
static struct flow flows[FLOWS_MAX];
static size_t n_flows;
/*
 * Which block of FLOWS_MAX client ports this run uses: a capture continued
 * after a restart must not put the new run's segments in the old run's TCP
 * streams, where tshark would see them as retransmissions.
 */
static uint16_t run_ports;

/* The Origin-Host of a raw Diameter message (RFC 6733 3, 4.1), for a peer not yet identified. */
static void origin_host(const uint8_t *b, size_t len, char *out, size_t cap_len)
{
	size_t off = 20;
	snprintf(out, cap_len, "unknown");
	while (off + 8 <= len) {
		uint32_t code = (uint32_t)b[off] << 24 | (uint32_t)b[off + 1] << 16 | (uint32_t)b[off + 2] << 8 | b[off + 3];
		uint32_t alen = (uint32_t)b[off + 5] << 16 | (uint32_t)b[off + 6] << 8 | b[off + 7];
		size_t hdr = (b[off + 4] & 0x80) ? 12 : 8;
		if (alen < hdr || off + alen > len)
			return;
		if (code == 264 && !(b[off + 4] & 0x80)) {
			size_t n = alen - hdr < cap_len - 1 ? alen - hdr : cap_len - 1;
			memcpy(out, b + off + hdr, n);
			out[n] = 0;
			return;
		}
		off += (alen + 3u) & ~3u;
	}
}

static struct flow *flow_for(const char *peer, size_t *index)
{
	for (size_t i = 0; i < n_flows; i++)
		if (!strcasecmp(flows[i].peer, peer))
			return *index = i, &flows[i];
	if (n_flows == FLOWS_MAX)
		return NULL;
	struct flow *f = &flows[n_flows];
	snprintf(f->peer, sizeof(f->peer), "%s", peer);
	/* arbitrary but distinct initial sequence numbers */
	f->seq_out = 0x10000000u + (uint32_t)n_flows * 0x01000000u;
	f->seq_in = 0x80000000u + (uint32_t)n_flows * 0x01000000u;
	*index = n_flows++;
	return f;
}

static void on_message(enum fd_hook_type type, struct msg *msg, struct peer_hdr *peer, void *other,
		       struct fd_hook_permsgdata *pmd, void *regdata)
{
	uint8_t *buf = NULL;
	size_t len = 0, i = 0;
	char name[256];
	int cancel_state;
	(void)other;
	(void)pmd;
	(void)regdata;

	/*
	 * freeDiameter ends its peer threads with pthread_cancel (fd_thr_term),
	 * also while traffic flows, when a connection drops. The file write
	 * below is a cancellation point: cancelled there, a thread would leave
	 * cap_lock held (every later message, in every thread, and
	 * om_s6a_pcap_close() at SIGTERM would wait on it forever) and a record
	 * half written. So this hook cannot be cancelled; a pending cancel acts
	 * at the thread's next cancellation point after it.
	 */
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel_state);
	if (!msg || fd_msg_bufferize(msg, &buf, &len)) {
		pthread_setcancelstate(cancel_state, NULL);
		return;
	}
	if (peer)
		snprintf(name, sizeof(name), "%s", peer->info.pi_diamid);
	else if (type == HOOK_MESSAGE_RECEIVED)
		origin_host(buf, len, name, sizeof(name));
	else
		snprintf(name, sizeof(name), "unknown");

	pthread_mutex_lock(&cap_lock);
	struct flow *f = cap_file ? flow_for(name, &i) : NULL;
	if (f) {
		int out = type == HOOK_MESSAGE_SENT;
		struct om_pcap_tcp t = {
			.src = { 127, 0, 0, 1 },
			.dst = { 127, 0, 0, (uint8_t)(2 + i) },
			.sport = (uint16_t)(40000 + run_ports * FLOWS_MAX + i),
			.dport = 3868,
			.seq = out ? f->seq_out : f->seq_in,
			.ack = out ? f->seq_in : f->seq_out,
			.flags = OM_PCAP_TCP_PSH | OM_PCAP_TCP_ACK,
		};
		if (!out) {
			uint8_t a[4];
			uint16_t p = t.sport;
			memcpy(a, t.src, 4);
			memcpy(t.src, t.dst, 4);
			memcpy(t.dst, a, 4);
			t.sport = t.dport;
			t.dport = p;
		}
		if (!om_pcap_write_ipv4_tcp(&cap, om_pcap_now_usec(), &t, buf, len)) {
			if (out)
				f->seq_out += (uint32_t)len;
			else
				f->seq_in += (uint32_t)len;
		}
	}
	pthread_mutex_unlock(&cap_lock);
	free(buf);
	pthread_setcancelstate(cancel_state, NULL);
}

int om_s6a_pcap_open(const char *path)
{
	int rc = -1;
	if (!path)
		return -1;
	pthread_mutex_lock(&cap_lock);
	if (cap_file)
		goto out;
	/* The capture holds RAND, XRES, CK/IK and KASME: its user's alone (private_file.h).
	 * A restart continues it (the lab's first CERs stay in it). */
	char why[512];
	if (om_pcap_open_path(&cap, &cap_file, path, OM_PCAP_LINKTYPE_IPV4, why, sizeof(why)))
		goto out;
	n_flows = 0;
	run_ports = (uint16_t)(getpid() % 300);
	rc = 0;
out:
	pthread_mutex_unlock(&cap_lock);
	/* HOOK_MASK() is a GNU variadic macro; the mask is one bit per hook type. */
	if (!rc && !cap_hook &&
	    fd_hook_register((1u << HOOK_MESSAGE_SENT) | (1u << HOOK_MESSAGE_RECEIVED), on_message, NULL, NULL,
			     &cap_hook)) {
		om_s6a_pcap_close();
		rc = -1;
	}
	return rc;
}

void om_s6a_pcap_close(void)
{
	if (cap_hook) {
		fd_hook_unregister(cap_hook);
		cap_hook = NULL;
	}
	pthread_mutex_lock(&cap_lock);
	if (cap_file) {
		fclose(cap_file);
		cap_file = NULL;
	}
	pthread_mutex_unlock(&cap_lock);
}
