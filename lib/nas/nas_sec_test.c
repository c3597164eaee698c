/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NAS security: 128-EEA2 and 128-EIA2 against TS 33.401 Annex C
 * (vectors/3gpp-nas-sec.json), both and the A.7 key derivation against the
 * openssl command line, the NAS-MAC of a protected message (altered, wrong
 * direction, replayed) and the NAS COUNT replay check.
 */
#include <stdlib.h>
#include <unistd.h>

#include <openmcim/hex.h>
#include <openmcim/nas_sec.h>

#include "check.h"
#include "vectors.h"

#define NAS_VECTORS "3gpp-nas-sec.json"

static struct om_nas_sec sec;
static struct om_kdf kdf;
static char dir[] = "/tmp/om-nas-sec-XXXXXX";

static uint32_t hex32(const cJSON *v, const char *name)
{
	return (uint32_t)strtoul(vectors_str(v, name), NULL, 16);
}

static int num(const cJSON *v, const char *name)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(v, name);
	CHECK_MSG(cJSON_IsNumber(f), "field %s", name);
	return cJSON_IsNumber(f) ? f->valueint : -1;
}

static void eea2_passes_annex_c1(void)
{
	const cJSON *v;
	int sets = 0;
	cJSON_ArrayForEach(v, vectors_file_list(NAS_VECTORS, "eea2_TS33401_C1", "test_sets"))
	{
		uint8_t key[16], pt[512], ct[512], got[512];
		size_t bits = (size_t)num(v, "length");
		vectors_hex(v, "key", key, 16);
		size_t n = vectors_hex_any(v, "plaintext", pt, sizeof(pt));
		CHECK_INT(vectors_hex_any(v, "ciphertext", ct, sizeof(ct)), n);
		CHECK_INT(n, (bits + 7) / 8);
		memset(got, 0xff, sizeof(got));
		CHECK_INT(om_eea2(&sec, got, key, hex32(v, "count"), (uint8_t)num(v, "bearer"),
				  (uint8_t)num(v, "direction"), pt, bits), 0);
		CHECK_MSG(memcmp(got, ct, n) == 0, "EEA2 test set %d", num(v, "set"));
		/* deciphering is the same operation, in place */
		CHECK_INT(om_eea2(&sec, got, key, hex32(v, "count"), (uint8_t)num(v, "bearer"),
				  (uint8_t)num(v, "direction"), got, bits), 0);
		CHECK_MSG(memcmp(got, pt, n) == 0, "EEA2 test set %d back", num(v, "set"));
		sets++;
	}
	CHECK_INT(sets, 6);
}

static void eia2_passes_annex_c2(void)
{
	const cJSON *v;
	int sets = 0, partial = 0;
	cJSON_ArrayForEach(v, vectors_file_list(NAS_VECTORS, "eia2_TS33401_C2", "test_sets"))
	{
		uint8_t key[16], msg[512], want[4], got[4];
		size_t bits = (size_t)num(v, "length");
		vectors_hex(v, "key", key, 16);
		size_t n = vectors_hex_any(v, "message", msg, sizeof(msg));
		vectors_hex(v, "mac", want, 4);
		CHECK_INT(n, (bits + 7) / 8);
		CHECK_INT(om_eia2(&sec, got, key, hex32(v, "count"), (uint8_t)num(v, "bearer"),
				  (uint8_t)num(v, "direction"), msg, bits), 0);
		CHECK_MSG(memcmp(got, want, 4) == 0, "EIA2 test set %d", num(v, "set"));
		/* a changed bit inside LENGTH changes the MAC */
		msg[0] ^= 0x80;
		CHECK_INT(om_eia2(&sec, got, key, hex32(v, "count"), (uint8_t)num(v, "bearer"),
				  (uint8_t)num(v, "direction"), msg, bits), 0);
		CHECK_MSG(memcmp(got, want, 4) != 0, "EIA2 test set %d altered", num(v, "set"));
		msg[0] ^= 0x80;
		partial += bits % 8 != 0;
		sets++;
	}
	CHECK_INT(sets, 7);
	CHECK_INT(partial, 5); /* sets 1, 3, 4, 6, 7 are not whole octets */
}

/* Write len bytes to dir/name and return the path. */
static const char *put(const char *name, const uint8_t *b, size_t len)
{
	static char path[2][256];
	static int k;
	char *p = path[k++ % 2];
	snprintf(p, sizeof(path[0]), "%s/%s", dir, name);
	FILE *f = fopen(p, "wb");
	CHECK(f != NULL);
	if (f) {
		CHECK_INT(fwrite(b, 1, len, f), len);
		fclose(f);
	}
	return p;
}

/* Run cmd; its stdout (hex, any case) decoded into out. Returns the length or -1. */
static int run_hex(const char *cmd, uint8_t *out, size_t cap)
{
	char line[1024] = "";
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	char *got = fgets(line, sizeof(line), p);
	int st = pclose(p);
	if (!got || st != 0)
		return -1;
	line[strcspn(line, "\r\n")] = 0;
	char *hex = strrchr(line, ' '); /* "HMAC-SHA2-256(file)= ab.." ends in the value */
	hex = hex ? hex + 1 : line;
	return om_hex_decode_any(out, cap, hex);
}

static int run_file(const char *cmd, const char *path, uint8_t *out, size_t cap)
{
	FILE *p = popen(cmd, "r");
	if (!p || pclose(p) != 0)
		return -1;
	size_t n = 0;
	unsigned char *b = check_slurp(path, &n);
	if (!b || n > cap) {
		free(b);
		return -1;
	}
	memcpy(out, b, n);
	free(b);
	return (int)n;
}

static void eea2_and_eia2_match_the_openssl_command(void)
{
	for (int round = 0; round < 4; round++) {
		uint8_t key[16], msg[300], hdr_msg[8 + 300], mac[4], want[16], ct[300], ref[300];
		uint8_t iv[16] = { 0 }, r[4];
		char k[33], ivh[33], cmd[1024];
		size_t len = 1 + (size_t)round * 97;
		check_random(key, 16);
		check_random(msg, len);
		check_random(r, 4);
		uint32_t count = (uint32_t)r[0] << 24 | (uint32_t)r[1] << 16 | (uint32_t)r[2] << 8 | r[3];
		uint8_t bearer = r[1] & 0x1f, d = r[2] & 1;
		om_hex_encode(k, key, 16);
		/* the B.2.3 and B.1.3 input block, written out here from the annex */
		memcpy(iv, r, 4);
		iv[0] = (uint8_t)(count >> 24);
		iv[4] = (uint8_t)(bearer << 3 | d << 2);
		om_hex_encode(ivh, iv, 16);
		memcpy(hdr_msg, iv, 8);
		memcpy(hdr_msg + 8, msg, len);

		snprintf(cmd, sizeof(cmd), "openssl mac -cipher AES-128-CBC -macopt hexkey:%s -in %s CMAC", k,
			 put("m", hdr_msg, 8 + len));
		CHECK_INT(run_hex(cmd, want, sizeof(want)), 16);
		CHECK_INT(om_eia2(&sec, mac, key, count, bearer, d, msg, len * 8), 0);
		CHECK_MSG(memcmp(mac, want, 4) == 0, "EIA2 vs openssl mac, %zu octets", len);

		char out[256];
		snprintf(out, sizeof(out), "%s/c", dir);
		snprintf(cmd, sizeof(cmd), "openssl enc -aes-128-ctr -K %s -iv %s -in %s -out %s", k, ivh,
			 put("p", msg, len), out);
		CHECK_INT(run_file(cmd, out, ref, sizeof(ref)), len);
		CHECK_INT(om_eea2(&sec, ct, key, count, bearer, d, msg, len * 8), 0);
		CHECK_MSG(memcmp(ct, ref, len) == 0, "EEA2 vs openssl enc, %zu octets", len);
	}
}

static void nas_keys_match_hmac_by_the_openssl_command(void)
{
	uint8_t kasme[32], key[16], want[32];
	char k[65], cmd[1024];
	check_random(kasme, 32);
	om_hex_encode(k, kasme, 32);
	const struct {
		enum om_nas_alg_type type;
		uint8_t alg;
	} cases[] = { { OM_NAS_ALG_ENC, OM_NAS_EEA2 }, { OM_NAS_ALG_INT, OM_NAS_EIA2 }, { OM_NAS_ALG_INT, 1 } };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* A.7: S = FC || P0 || L0 || P1 || L1, written out from the annex */
		const uint8_t s[] = { 0x15, (uint8_t)cases[i].type, 0x00, 0x01, cases[i].alg, 0x00, 0x01 };
		snprintf(cmd, sizeof(cmd), "openssl dgst -sha256 -mac HMAC -macopt hexkey:%s %s", k,
			 put("s", s, sizeof(s)));
		CHECK_INT(run_hex(cmd, want, sizeof(want)), 32);
		CHECK_INT(om_nas_alg_key(&kdf, key, kasme, cases[i].type, cases[i].alg), 0);
		CHECK_MSG(memcmp(key, want + 16, 16) == 0, "A.7 case %zu: the 128 least significant bits", i);
	}
	CHECK_INT(om_nas_alg_key(&kdf, key, kasme, (enum om_nas_alg_type)3, 2), OM_EINVAL);
	CHECK_HEX(key, 16, "00000000000000000000000000000000");
}

/* A protected Attach Complete-like PDU: header type 2, PD 7, MAC, SQN, message. */
static size_t make_pdu(uint8_t *pdu, uint8_t sqn)
{
	const uint8_t plain[] = { 0x07, 0x43, 0x00, 0x03, 0x52, 0x00, 0xc2 };
	pdu[0] = 0x27;
	memset(pdu + 1, 0, 4);
	pdu[5] = sqn;
	memcpy(pdu + 6, plain, sizeof(plain));
	return 6 + sizeof(plain);
}

static void protected_nas_mac_refuses_alteration_direction_and_replay(void)
{
	uint8_t k[16], pdu[32], before[32], want[16], hdr[8 + 32];
	char kh[33], cmd[512];
	struct om_nas_count_state st = { 0 };
	check_random(k, 16);
	size_t len = make_pdu(pdu, 0x05);
	uint32_t count = om_nas_count(0x0001, 0x05);
	CHECK_INT(om_nas_mac_seal(&sec, pdu, len, k, count, OM_NAS_SEC_UPLINK), 0);

	/* the MAC is EIA2 over SQN || message with COUNT, bearer 0, uplink (TS 24.301 4.4.3.3, 9.5) */
	const uint8_t h[8] = { 0x00, 0x00, 0x01, 0x05, 0x00, 0, 0, 0 };
	memcpy(hdr, h, 8);
	memcpy(hdr + 8, pdu + 5, len - 5);
	om_hex_encode(kh, k, 16);
	snprintf(cmd, sizeof(cmd), "openssl mac -cipher AES-128-CBC -macopt hexkey:%s -in %s CMAC", kh,
		 put("n", hdr, 8 + len - 5));
	CHECK_INT(run_hex(cmd, want, sizeof(want)), 16);
	CHECK_MEM(pdu + 1, want, 4);

	st.last = om_nas_count(0x0001, 0x04);
	st.accepted_any = 1;
	uint32_t est = om_nas_count_estimate(&st, pdu[5]);
	CHECK_INT(est, count);
	CHECK_INT(om_nas_mac_verify(&sec, pdu, len, k, est, OM_NAS_SEC_UPLINK), 0);
	CHECK_INT(om_nas_count_accept(&st, est), 0);
	memcpy(before, pdu, len);

	/* an altered octet of the message, of the SQN, of the MAC */
	const size_t where[] = { 8, 5, 2 };
	for (size_t i = 0; i < 3; i++) {
		pdu[where[i]] ^= 0x01;
		CHECK_INT(om_nas_mac_verify(&sec, pdu, len, k, count, OM_NAS_SEC_UPLINK), OM_ENAS_MAC);
		pdu[where[i]] ^= 0x01;
	}
	/* reflected: an uplink message presented as downlink */
	CHECK_INT(om_nas_mac_verify(&sec, pdu, len, k, count, OM_NAS_SEC_DOWNLINK), OM_ENAS_MAC);
	/* another key */
	k[0] ^= 1;
	CHECK_INT(om_nas_mac_verify(&sec, pdu, len, k, count, OM_NAS_SEC_UPLINK), OM_ENAS_MAC);
	k[0] ^= 1;
	CHECK_INT(om_nas_mac_verify(&sec, pdu, 5, k, count, OM_NAS_SEC_UPLINK), OM_ENAS_TRUNCATED);

	/* replayed: its SQN now stands for COUNT + 256, so the MAC fails ... */
	struct om_nas_count_state saved = st;
	est = om_nas_count_estimate(&st, pdu[5]);
	CHECK_INT(est, count + 0x100);
	CHECK_INT(om_nas_mac_verify(&sec, pdu, len, k, est, OM_NAS_SEC_UPLINK), OM_ENAS_MAC);
	/* ... and the COUNT it carried is refused by the window */
	CHECK_INT(om_nas_count_accept(&st, count), OM_ENAS_REPLAY);
	CHECK_MEM(&st, &saved, sizeof(st));
	CHECK_MEM(pdu, before, len); /* verify never writes */
}

static void count_window_accepts_only_increasing_counts(void)
{
	struct om_nas_count_state st = { 0 }, saved;
	CHECK_INT(om_nas_count_estimate(&st, 0x00), 0);
	CHECK_INT(om_nas_count_accept(&st, 0), 0);
	saved = st;
	CHECK_INT(om_nas_count_accept(&st, 0), OM_ENAS_REPLAY);
	CHECK_MEM(&st, &saved, sizeof(st));
	CHECK_INT(om_nas_count_accept(&st, 0x1ff), 0);
	CHECK_INT(om_nas_count_estimate(&st, 0x00), 0x200); /* SQN wrapped: overflow + 1 */
	CHECK_INT(om_nas_count_estimate(&st, 0xff), 0x2ff); /* the same SQN again: next overflow */
	CHECK_INT(om_nas_count_accept(&st, 0x1fe), OM_ENAS_REPLAY);
	CHECK_INT(om_nas_count_accept(&st, 0x1000000), OM_ENAS_REPLAY); /* beyond 24 bits */
	CHECK_INT(st.last, 0x1ff);
	CHECK_INT(om_nas_count(0xabcd, 0x12), 0xabcd12);
}

/*
 * Two ends of one context (nas_protect.c): what the MME protects the device
 * opens, built from the same parts the test checks one by one: 128-EEA2 of
 * the plain message with the downlink COUNT, then 128-EIA2 over SQN and
 * ciphertext. Altered, reflected, replayed and plain messages are refused
 * with the receiver's state unchanged.
 */
static void context_protects_and_opens(void)
{
	uint8_t kasme[OM_KASME_LEN], k_enc[16], k_int[16], mac[4];
	static const uint8_t plain[] = { 0x07, 0x46 }; /* Detach accept */
	uint8_t pdu[64], out[64], again[64], want[8], sht = 0xff;
	struct om_nas_ctx net, ue, before;
	memset(&net, 0, sizeof(net));
	memset(&ue, 0, sizeof(ue));
	check_random(kasme, sizeof(kasme));
	CHECK_INT(om_nas_ctx_init(&net, kasme, OM_NAS_EEA2, OM_NAS_EIA2, 3, OM_NAS_SEC_DOWNLINK), 0);
	CHECK_INT(om_nas_ctx_init(&ue, kasme, OM_NAS_EEA2, OM_NAS_EIA2, 3, OM_NAS_SEC_UPLINK), 0);
	/* A.7 keys, and the message built from EEA2 and EIA2 directly. */
	CHECK_INT(om_nas_alg_key(&kdf, k_enc, kasme, OM_NAS_ALG_ENC, 2), 0);
	CHECK_INT(om_nas_alg_key(&kdf, k_int, kasme, OM_NAS_ALG_INT, 2), 0);
	CHECK_MEM(net.k_enc, k_enc, 16);
	CHECK_MEM(ue.k_int, k_int, 16);
	int n = om_nas_protect(&net, pdu, sizeof(pdu), OM_NAS_SHT_INT_ENC, plain, sizeof(plain));
	CHECK_INT(n, 8);
	CHECK_INT(pdu[0], 0x27);
	CHECK_INT(pdu[5], 0);
	CHECK_INT(om_eea2(&sec, want, k_enc, 0, 0, OM_NAS_SEC_DOWNLINK, plain, 16), 0);
	CHECK_MEM(pdu + 6, want, 2);
	CHECK(memcmp(pdu + 6, plain, 2) != 0);
	CHECK_INT(om_eia2(&sec, mac, k_int, 0, 0, OM_NAS_SEC_DOWNLINK, pdu + 5, 24), 0);
	CHECK_MEM(pdu + 1, mac, 4);
	CHECK_INT(net.tx_count, 1);
	CHECK_INT(om_nas_unprotect(&ue, out, sizeof(out), &sht, pdu, (size_t)n), 2);
	CHECK_INT(sht, OM_NAS_SHT_INT_ENC);
	CHECK_MEM(out, plain, 2);

	before = ue;
	/* replayed, altered (each octet), reflected (an uplink of the device's own back to it), plain */
	CHECK_INT(om_nas_unprotect(&ue, out, sizeof(out), &sht, pdu, (size_t)n), OM_ENAS_MAC);
	CHECK_INT(om_nas_protect(&net, pdu, sizeof(pdu), OM_NAS_SHT_INT_ENC, plain, sizeof(plain)), 8);
	for (int i = 1; i < n; i++) {
		memcpy(again, pdu, (size_t)n);
		again[i] ^= 0x80;
		CHECK_INT(om_nas_unprotect(&ue, out, sizeof(out), &sht, again, (size_t)n), OM_ENAS_MAC);
	}
	CHECK_INT(om_nas_protect(&ue, again, sizeof(again), OM_NAS_SHT_INT_ENC, plain, sizeof(plain)), 8);
	CHECK_INT(om_nas_unprotect(&ue, out, sizeof(out), &sht, again, 8), OM_ENAS_MAC);
	CHECK_INT(om_nas_unprotect(&ue, out, sizeof(out), &sht, plain, 2), OM_ENAS_UNPROTECTED);
	CHECK_INT(om_nas_unprotect(&ue, out, sizeof(out), &sht, pdu, 7), OM_ENAS_TRUNCATED);
	pdu[0] = 0xc7;
	CHECK_INT(om_nas_unprotect(&ue, out, sizeof(out), &sht, pdu, (size_t)n), OM_ENAS_SECURITY);
	pdu[0] = 0x27;
	CHECK_MEM(&ue.rx, &before.rx, sizeof(ue.rx));
	/* The untouched one still opens: COUNT 1 after 0. */
	CHECK_INT(om_nas_unprotect(&ue, out, sizeof(out), &sht, pdu, (size_t)n), 2);
	CHECK_INT(ue.rx.last, 1);
	/* A replay whose COUNT is the last accepted one, MAC recomputed by whoever has the key: the window. */
	before = ue;
	net.tx_count = 1;
	CHECK_INT(om_nas_protect(&net, again, sizeof(again), OM_NAS_SHT_INT_ENC, plain, sizeof(plain)), 8);
	CHECK_INT(om_nas_unprotect(&ue, out, sizeof(out), &sht, again, 8), OM_ENAS_MAC); /* SQN 1 read as 257 */
	CHECK_MEM(&ue.rx, &before.rx, sizeof(ue.rx));

	/* Type 3 (the SMC) is integrity protected only: the message stays readable. */
	CHECK_INT(om_nas_protect(&net, pdu, sizeof(pdu), OM_NAS_SHT_INT_NEW, plain, sizeof(plain)), 8);
	CHECK_INT(pdu[0], 0x37);
	CHECK_MEM(pdu + 6, plain, 2);
	/* EEA0: ciphered types carry the message as it is, still under EIA2. */
	struct om_nas_ctx null_enc;
	memset(&null_enc, 0, sizeof(null_enc));
	CHECK_INT(om_nas_ctx_init(&null_enc, kasme, OM_NAS_EEA0, OM_NAS_EIA2, 3, OM_NAS_SEC_DOWNLINK), 0);
	CHECK_INT(om_nas_protect(&null_enc, pdu, sizeof(pdu), OM_NAS_SHT_INT_ENC, plain, sizeof(plain)), 8);
	CHECK_MEM(pdu + 6, plain, 2);
	om_nas_ctx_clear(&null_enc);
	/* EIA0 (emergency only) and algorithms we do not have: refused, nothing set. */
	CHECK_INT(om_nas_ctx_init(&null_enc, kasme, OM_NAS_EEA2, OM_NAS_EIA0, 3, OM_NAS_SEC_DOWNLINK), OM_ENAS_SMC);
	CHECK_INT(om_nas_ctx_init(&null_enc, kasme, 1, OM_NAS_EIA2, 3, OM_NAS_SEC_DOWNLINK), OM_ENAS_SMC);
	CHECK_INT(om_nas_ctx_init(&null_enc, kasme, OM_NAS_EEA2, 1, 3, OM_NAS_SEC_DOWNLINK), OM_ENAS_SMC);
	CHECK_INT(null_enc.active, 0);
	CHECK_INT(om_nas_protect(&null_enc, pdu, sizeof(pdu), OM_NAS_SHT_INT, plain, 2), OM_EINVAL);
	CHECK_INT(om_nas_protect(&net, pdu, sizeof(pdu), 5, plain, 2), OM_EINVAL);
	CHECK_INT(om_nas_protect(&net, pdu, 7, OM_NAS_SHT_INT, plain, 2), OM_ENOSPC);
	om_nas_ctx_clear(&net);
	om_nas_ctx_clear(&ue);
	CHECK_INT(ue.active, 0);
	CHECK_INT(ue.k_int[0] | ue.k_enc[0], 0);
}

/* KASME on the device (TS 33.401 A.2) is the network's (om_kdf_kasme, which the HSS uses). */
static void ue_kasme_is_the_networks(void)
{
	uint8_t ck[16], ik[16], autn[16], a[32], b[32];
	static const uint8_t snid[3] = { 0x00, 0xf1, 0x10 };
	check_random(ck, 16);
	check_random(ik, 16);
	check_random(autn, 16);
	CHECK_INT(om_nas_ue_kasme(a, ck, ik, snid, autn), 0);
	CHECK_INT(om_kdf_kasme(&kdf, b, ck, ik, snid, autn), 0);
	CHECK_MEM(a, b, 32);
}

static void bad_arguments_are_refused(void)
{
	uint8_t k[16] = { 0 }, mac[4], out[4] = { 0 }, pdu[16];
	CHECK_INT(om_eia2(NULL, mac, k, 0, 0, 0, out, 8), OM_EINVAL);
	CHECK_INT(om_eia2(&sec, mac, k, 0, 0, 0, NULL, 8), OM_EINVAL);
	CHECK_INT(om_eea2(&sec, out, k, 0, 0, 0, NULL, 8), OM_EINVAL);
	CHECK_INT(om_eia2(&sec, mac, k, 0, 0, 0, NULL, 0), 0); /* the empty message has a MAC */
	size_t len = make_pdu(pdu, 7);
	CHECK_INT(om_nas_mac_seal(&sec, pdu, len, k, 8, 0), OM_EINVAL); /* SQN is not COUNT's low octet */
	CHECK_INT(om_nas_mac_seal(&sec, pdu, len, k, 0x1000007, 0), OM_EINVAL);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	CHECK_INT(om_nas_sec_init(&sec), 0);
	CHECK_INT(om_kdf_init(&kdf), 0);
	eea2_passes_annex_c1();
	eia2_passes_annex_c2();
	eea2_and_eia2_match_the_openssl_command();
	nas_keys_match_hmac_by_the_openssl_command();
	protected_nas_mac_refuses_alteration_direction_and_replay();
	count_window_accepts_only_increasing_counts();
	context_protects_and_opens();
	ue_kasme_is_the_networks();
	bad_arguments_are_refused();
	om_nas_sec_clear(&sec);
	om_nas_sec_clear(&sec);
	om_kdf_clear(&kdf);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return check_done();
}
