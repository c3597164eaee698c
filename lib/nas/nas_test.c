/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NAS-EPS codec: encodings written by hand from TS 24.301 clause by clause,
 * round trips of every message, and each kind of bad input refused with its
 * own code. Octet values of RAND, AUTN, RES and AUTS come from TS 35.208
 * test set 1 (RAND 23553cbe..., SQN ff9bb4d0b607, AMF b9b9).
 */
#include <stdlib.h>

#include <openmcim/hex.h>
#include <openmcim/nas.h>

#include "check.h"

#define IMSI "001010123456789"
#define UL OM_NAS_UPLINK
#define DL OM_NAS_DOWNLINK

static const char rand_hex[] = "23553cbe9637a89d218ae64dae47bf35";
static const char autn_hex[] = "55f328b43577b9b94a9ffac354dfafb3"; /* SQN^AK | AMF | MAC-A */
static const char res_hex[] = "a54211d5e3ba50bf";
static const char auts_hex[] = "ba853f3c123c01cfaf9ec4e871e9";     /* SQN^AK* | MAC-S */

/* Bytes from a hex string; aborts the test on a typo. */
static size_t hx(uint8_t *out, size_t cap, const char *hex)
{
	int n = om_hex_decode_any(out, cap, hex);
	if (n < 0) {
		fprintf(stderr, "bad hex in test: %s\n", hex);
		abort();
	}
	return (size_t)n;
}

static int decode_hex(struct om_nas_msg *m, enum om_nas_dir dir, const char *hex)
{
	uint8_t b[512];
	size_t n = hx(b, sizeof(b), hex);
	return om_nas_decode(m, dir, b, n);
}

/* Encode m and compare with the hand-written octets. */
static void check_encodes_to(const struct om_nas_msg *m, const char *want, const char *what)
{
	uint8_t b[OM_NAS_MAX_LEN];
	int n = om_nas_encode(b, sizeof(b), m);
	CHECK_MSG(n > 0, "%s: encode returned %d", what, n);
	if (n > 0)
		check_hex_eq(b, (size_t)n, want, __FILE__, __LINE__, what);
}

/* ---- hand-written encodings ---- */

/* Attach Request, TS 24.301 8.2.4, with IMSI 001010123456789 and APN prov.m2m. */
static const char attach_request_hex[] =
	"07"                 /* 9.3.1 security header type 0 (plain) | 9.2 PD 7 (EMM) */
	"41"                 /* 9.8 message type: Attach request */
	"71"                 /* 9.9.3.21 NAS KSI 111 no key (bits 8-5) | 9.9.3.11 EPS attach (001) */
	"08"                 /* 9.9.3.12 EPS mobile identity: length 8 */
	"09"                 /* digit 1 '0' | odd/even 1 (odd: 15 digits) | type 001 IMSI */
	"10" "10" "10"       /* digits 3,2 = 1,0  5,4 = 1,0  7,6 = 1,0: high nibble is the later digit */
	"32" "54" "76" "98"  /* digits 9,8 = 3,2  11,10 = 5,4  13,12 = 7,6  15,14 = 9,8 */
	"02" "e0" "e0"       /* 9.9.3.34 UE network capability: length 2, EEA0/1/2, EIA0/1/2 */
	"000f"               /* 9.9.3.15 ESM message container: LV-E length 15 */
	"02"                 /* ESM: EPS bearer identity 0 (bits 8-5) | PD 2 (ESM) */
	"01"                 /* 9.4 procedure transaction identity 1 */
	"d0"                 /* 9.8 message type: PDN connectivity request (8.3.20) */
	"11"                 /* 9.9.4.10 PDN type IPv4 (bits 7-5) | 9.9.4.14 request type initial */
	"28" "09"            /* 9.9.4.1 Access point name IEI, length 9 */
	"0470726f76"         /* TS 23.003 9.1: label length 4, "prov" */
	"036d326d";          /* label length 3, "m2m" */

static void attach_request_encodes_as_the_clauses_say(void)
{
	struct om_nas_msg m;
	CHECK_INT(om_nas_attach_request_init(&m, IMSI, "prov.m2m"), 0);
	check_encodes_to(&m, attach_request_hex, "attach request");

	CHECK_INT(decode_hex(&m, UL, attach_request_hex), 0);
	const struct om_nas_attach_request *a = &m.u.attach_request;
	CHECK_INT(m.kind, OM_NAS_ATTACH_REQUEST);
	CHECK_INT(a->attach_type, 1);
	CHECK_INT(a->ksi, OM_NAS_KSI_NONE);
	CHECK_INT(a->id.type, OM_NAS_ID_IMSI);
	CHECK(strcmp(a->id.imsi, IMSI) == 0);
	CHECK_INT(a->ue_net_cap_len, 2);
	CHECK_INT(a->pdn.pti, 1);
	CHECK_INT(a->pdn.pdn_type, 1);
	CHECK_INT(a->pdn.request_type, 1);
	CHECK(strcmp(a->pdn.apn, "prov.m2m") == 0);
}

/* Authentication Request, 8.2.7. */
static const char auth_request_hex[] =
	"07" "52"                               /* plain EMM, Authentication request */
	"00"                                    /* spare half octet | 9.9.3.21 NAS KSI 0 (bits 4-1) */
	"23553cbe9637a89d218ae64dae47bf35"      /* 9.9.3.3 RAND, V 16 */
	"10"                                    /* 9.9.3.2 AUTN: length 16 (TS 24.008 10.5.3.1.1) */
	"55f328b43577b9b94a9ffac354dfafb3";     /* AUTN */

static void auth_request_encodes_as_the_clauses_say(void)
{
	struct om_nas_msg m = { .kind = OM_NAS_AUTH_REQUEST };
	m.u.auth_request.ksi = 0;
	hx(m.u.auth_request.rand, OM_NAS_RAND_LEN, rand_hex);
	hx(m.u.auth_request.autn, OM_NAS_AUTN_LEN, autn_hex);
	check_encodes_to(&m, auth_request_hex, "authentication request");

	CHECK_INT(decode_hex(&m, DL, auth_request_hex), 0);
	CHECK_INT(m.kind, OM_NAS_AUTH_REQUEST);
	CHECK_HEX(m.u.auth_request.rand, OM_NAS_RAND_LEN, rand_hex);
	CHECK_HEX(m.u.auth_request.autn, OM_NAS_AUTN_LEN, autn_hex);
}

/* Authentication Response, 8.2.8. */
static const char auth_response_hex[] =
	"07" "53"             /* plain EMM, Authentication response */
	"08"                  /* 9.9.3.4 RES: length 8 */
	"a54211d5e3ba50bf";   /* RES (f2) */

static void auth_response_encodes_as_the_clauses_say(void)
{
	struct om_nas_msg m = { .kind = OM_NAS_AUTH_RESPONSE };
	m.u.auth_response.res_len = (uint8_t)hx(m.u.auth_response.res, OM_NAS_RES_MAX, res_hex);
	check_encodes_to(&m, auth_response_hex, "authentication response");

	CHECK_INT(decode_hex(&m, UL, auth_response_hex), 0);
	CHECK_INT(m.u.auth_response.res_len, 8);
	CHECK_HEX(m.u.auth_response.res, 8, res_hex);
}

/* Authentication Failure #21 with AUTS, 8.2.5. */
static const char auth_failure_21_hex[] =
	"07" "5c"                          /* plain EMM, Authentication failure */
	"15"                               /* 9.9.3.9 EMM cause #21 synch failure */
	"30"                               /* 8.2.5: Authentication failure parameter IEI */
	"0e"                               /* 9.9.3.1 -> TS 24.008 10.5.3.2.2: length 14 */
	"ba853f3c123c01cfaf9ec4e871e9";    /* AUTS = SQN_MS ^ AK* | MAC-S */

static void auth_failure_synch_encodes_as_the_clauses_say(void)
{
	struct om_nas_msg m = { .kind = OM_NAS_AUTH_FAILURE };
	m.u.auth_failure.cause = OM_NAS_CAUSE_SYNCH_FAILURE;
	m.u.auth_failure.has_auts = true;
	hx(m.u.auth_failure.auts, OM_NAS_AUTS_LEN, auts_hex);
	check_encodes_to(&m, auth_failure_21_hex, "authentication failure #21");

	CHECK_INT(decode_hex(&m, UL, auth_failure_21_hex), 0);
	CHECK_INT(m.u.auth_failure.cause, 21);
	CHECK(m.u.auth_failure.has_auts);
	CHECK_HEX(m.u.auth_failure.auts, OM_NAS_AUTS_LEN, auts_hex);
}

/* Attach Reject #11, 8.2.3. */
static const char attach_reject_11_hex[] =
	"07" "44"   /* plain EMM, Attach reject */
	"0b";       /* 9.9.3.9 EMM cause #11 PLMN not allowed */

static void attach_reject_encodes_as_the_clauses_say(void)
{
	struct om_nas_msg m = { .kind = OM_NAS_ATTACH_REJECT };
	m.u.attach_reject.cause = OM_NAS_CAUSE_PLMN_NOT_ALLOWED;
	check_encodes_to(&m, attach_reject_11_hex, "attach reject #11");
	CHECK_INT(decode_hex(&m, DL, attach_reject_11_hex), 0);
	CHECK_INT(m.u.attach_reject.cause, 11);
	CHECK(strcmp(om_nas_emm_cause_name(11), "PLMN not allowed") == 0);
}

/* An even digit count ends with the filler 1111 (TS 24.008 10.5.1.4). */
static void even_imsi_ends_with_filler(void)
{
	static const char hex[] =
		"07" "45"         /* plain EMM, Detach request */
		"79"              /* NAS KSI 7 | switch off 1 | detach type 001 EPS detach */
		"08"              /* EPS mobile identity: length 8 */
		"01"              /* digit 1 '0' | odd/even 0 (14 digits) | type 001 IMSI */
		"10" "10" "10" "32" "54" "76"  /* digits 2..13 */
		"f8";             /* filler 1111 | digit 14 '8' */
	struct om_nas_msg m = { .kind = OM_NAS_DETACH_REQUEST_UE };
	struct om_nas_detach_request_ue *d = &m.u.detach_request_ue;
	d->detach_type = 1;
	d->switch_off = true;
	d->ksi = OM_NAS_KSI_NONE;
	d->id.type = OM_NAS_ID_IMSI;
	strcpy(d->id.imsi, "00101012345678");
	check_encodes_to(&m, hex, "detach request, 14-digit IMSI");
	CHECK_INT(decode_hex(&m, UL, hex), 0);
	CHECK(strcmp(m.u.detach_request_ue.id.imsi, "00101012345678") == 0);
	CHECK(m.u.detach_request_ue.switch_off);
}

/* Security mode control, TS 24.301 8.2.20-8.2.22. */
static void security_mode_messages(void)
{
	struct om_nas_msg m = { .kind = OM_NAS_SEC_MODE_COMMAND };
	static const char smc_hex[] =
		"07"         /* plain header: inside a type 3 protected message */
		"5d"         /* Security mode command */
		"22"         /* 9.9.3.23: spare | EEA 010 (128-EEA2) | spare | EIA 010 (128-EIA2) */
		"01"         /* spare half octet | 9.9.3.21 NAS KSI 1 */
		"02e0e0";    /* 9.9.3.36 replayed UE security capabilities: EEA0-2, EIA0-2 */
	m.u.sec_mode_command = (struct om_nas_sec_mode_command){ 2, 2, 1, { 0xe0, 0xe0 }, 2 };
	check_encodes_to(&m, smc_hex, "security mode command");
	CHECK_INT(decode_hex(&m, DL, smc_hex), 0);
	CHECK_INT(m.kind, OM_NAS_SEC_MODE_COMMAND);
	CHECK_INT(m.u.sec_mode_command.eea, 2);
	CHECK_INT(m.u.sec_mode_command.eia, 2);
	CHECK_INT(m.u.sec_mode_command.ksi, 1);
	CHECK_INT(m.u.sec_mode_command.ue_sec_cap_len, 2);
	/* Optional nonces (type 3, 5 octets) and an IMEISV request (type 1) are stepped over. */
	CHECK_INT(decode_hex(&m, DL, "075d220102e0e0c155010203045601020304"), 0);
	CHECK_INT(decode_hex(&m, DL, "075d220101e0"), OM_ENAS_IE_LENGTH);      /* one capability octet */
	CHECK_INT(decode_hex(&m, DL, "075d220106e0e0e0e0e0e0"), OM_ENAS_IE_LENGTH); /* six */
	CHECK_INT(decode_hex(&m, DL, "075d22"), OM_ENAS_MISSING_IE);
	CHECK_INT(decode_hex(&m, UL, smc_hex), OM_ENAS_DIRECTION);
	m = (struct om_nas_msg){ .kind = OM_NAS_SEC_MODE_COMPLETE };
	check_encodes_to(&m, "075e", "security mode complete");
	CHECK_INT(decode_hex(&m, UL, "075e"), 0);
	CHECK_INT(decode_hex(&m, DL, "075e"), OM_ENAS_DIRECTION);
	m = (struct om_nas_msg){ .kind = OM_NAS_SEC_MODE_REJECT };
	m.u.sec_mode_reject.cause = OM_NAS_CAUSE_SECURITY_MODE_REJECTED;
	check_encodes_to(&m, "075f18", "security mode reject #24");
	CHECK_INT(decode_hex(&m, UL, "075f17"), 0);
	CHECK_INT(m.u.sec_mode_reject.cause, OM_NAS_CAUSE_UE_SEC_CAP_MISMATCH);
	CHECK_INT(decode_hex(&m, UL, "075f"), OM_ENAS_MISSING_IE);
}

/* ---- round trips ---- */

static struct om_nas_msg sample(enum om_nas_kind kind)
{
	struct om_nas_msg m = { .kind = kind };
	static const uint8_t ip[4] = { 10, 45, 0, 2 };
	static const struct om_nas_plmn plmn = { "001", "01" };
	switch (kind) {
	case OM_NAS_ATTACH_REQUEST:
		if (om_nas_attach_request_init(&m, IMSI, "prov.m2m"))
			abort();
		break;
	case OM_NAS_ATTACH_ACCEPT:
		if (om_nas_attach_accept_init(&m, &plmn, 1, "prov.m2m", ip))
			abort();
		m.u.attach_accept.has_guti = true;
		m.u.attach_accept.guti = (struct om_nas_guti){ { "001", "01" }, 0x8001, 0x01, 0xc0ffee01 };
		break;
	case OM_NAS_ATTACH_COMPLETE: m.u.attach_complete.ebi = 5; break;
	case OM_NAS_ATTACH_REJECT: m.u.attach_reject.cause = OM_NAS_CAUSE_EPS_NOT_ALLOWED; break;
	case OM_NAS_AUTH_REQUEST:
		m.u.auth_request.ksi = 3;
		hx(m.u.auth_request.rand, 16, rand_hex);
		hx(m.u.auth_request.autn, 16, autn_hex);
		break;
	case OM_NAS_AUTH_RESPONSE:
		m.u.auth_response.res_len = (uint8_t)hx(m.u.auth_response.res, 16, res_hex);
		break;
	case OM_NAS_AUTH_FAILURE: m.u.auth_failure.cause = OM_NAS_CAUSE_MAC_FAILURE; break;
	case OM_NAS_DETACH_REQUEST_UE:
		m.u.detach_request_ue.detach_type = 1;
		m.u.detach_request_ue.ksi = 2;
		m.u.detach_request_ue.id.type = OM_NAS_ID_GUTI;
		m.u.detach_request_ue.id.guti = (struct om_nas_guti){ { "310", "410" }, 0x0102, 0x03, 0x04050607 };
		break;
	case OM_NAS_DETACH_REQUEST_NET:
		m.u.detach_request_net.detach_type = 1;
		m.u.detach_request_net.has_cause = true;
		m.u.detach_request_net.cause = OM_NAS_CAUSE_IMPLICITLY_DETACHED;
		break;
	case OM_NAS_SEC_MODE_COMMAND:
		m.u.sec_mode_command = (struct om_nas_sec_mode_command){ 2, 2, 1, { 0xe0, 0xe0, 0x80 }, 3 };
		break;
	case OM_NAS_SEC_MODE_REJECT: m.u.sec_mode_reject.cause = OM_NAS_CAUSE_UE_SEC_CAP_MISMATCH; break;
	case OM_NAS_AUTH_REJECT:
	case OM_NAS_DETACH_ACCEPT:
	case OM_NAS_SEC_MODE_COMPLETE: break;
	}
	return m;
}

static enum om_nas_dir direction(enum om_nas_kind k)
{
	switch (k) {
	case OM_NAS_ATTACH_ACCEPT:
	case OM_NAS_ATTACH_REJECT:
	case OM_NAS_AUTH_REQUEST:
	case OM_NAS_AUTH_REJECT:
	case OM_NAS_SEC_MODE_COMMAND:
	case OM_NAS_DETACH_REQUEST_NET: return DL;
	default: return UL;
	}
}

static void every_message_round_trips(void)
{
	for (int k = OM_NAS_ATTACH_REQUEST; k <= OM_NAS_SEC_MODE_REJECT; k++) {
		struct om_nas_msg m = sample((enum om_nas_kind)k), back;
		uint8_t b[OM_NAS_MAX_LEN], b2[OM_NAS_MAX_LEN];
		int n = om_nas_encode(b, sizeof(b), &m);
		CHECK_MSG(n >= 2, "%s: encode %d", om_nas_kind_name(k), n);
		if (n < 2)
			continue;
		int ret = om_nas_decode(&back, direction((enum om_nas_kind)k), b, (size_t)n);
		CHECK_MSG(ret == 0, "%s: decode %s", om_nas_kind_name(k), om_errname(ret));
		CHECK_INT(back.kind, k);
		/* Fields compare equal: encode the decoded struct again. */
		int n2 = om_nas_encode(b2, sizeof(b2), &back);
		CHECK_MSG(n2 == n && memcmp(b, b2, (size_t)n) == 0, "%s: re-encoding differs", om_nas_kind_name(k));
		/* One octet short of the buffer it needs: OM_ENOSPC, never an overrun. */
		CHECK_INT(om_nas_encode(b2, (size_t)n - 1, &m), OM_ENOSPC);
		/* Every proper prefix is refused or (in the optional part) a message
		 * without its last IEs; never read beyond. */
		for (int cut = 0; cut < n; cut++) {
			int r = om_nas_decode(&back, direction((enum om_nas_kind)k), b, (size_t)cut);
			CHECK_MSG(r == 0 || r == OM_ENAS_TRUNCATED || r == OM_ENAS_MISSING_IE || r == OM_ENAS_TRAILING,
				  "%s cut at %d: %s", om_nas_kind_name(k), cut, om_errname(r));
		}
	}
}

static void attach_accept_carries_the_bearer(void)
{
	struct om_nas_msg m = sample(OM_NAS_ATTACH_ACCEPT);
	uint8_t b[OM_NAS_MAX_LEN];
	int n = om_nas_encode(b, sizeof(b), &m);
	CHECK(n > 0);
	CHECK_INT(om_nas_decode(&m, DL, b, (size_t)n), 0);
	const struct om_nas_attach_accept *a = &m.u.attach_accept;
	CHECK_INT(a->attach_result, 1);
	CHECK_INT(a->t3412, 0x49);
	CHECK(strcmp(a->tai.plmn.mcc, "001") == 0 && strcmp(a->tai.plmn.mnc, "01") == 0);
	CHECK_INT(a->tai.tac, 1);
	CHECK(a->has_guti);
	CHECK_INT(a->guti.m_tmsi, 0xc0ffee01);
	CHECK_INT(a->bearer.ebi, 5);
	CHECK_INT(a->bearer.qci, 9);
	CHECK(strcmp(a->bearer.apn, "prov.m2m") == 0);
	CHECK_INT(a->bearer.pdn_type, 1);
	CHECK(a->bearer.ipv4[0] == 10 && a->bearer.ipv4[3] == 2);
}

static void three_digit_mnc_round_trips(void)
{
	struct om_nas_msg m = sample(OM_NAS_DETACH_REQUEST_UE);
	uint8_t b[OM_NAS_MAX_LEN];
	int n = om_nas_encode(b, sizeof(b), &m);
	CHECK(n > 0);
	CHECK_INT(om_nas_decode(&m, UL, b, (size_t)n), 0);
	CHECK(strcmp(m.u.detach_request_ue.id.guti.plmn.mnc, "410") == 0);
	CHECK_INT(m.u.detach_request_ue.id.guti.mme_group_id, 0x0102);
}

/* ---- refusals ---- */

static void refuses_header_errors(void)
{
	struct om_nas_msg m;
	CHECK_INT(decode_hex(&m, UL, ""), OM_ENAS_TRUNCATED);
	CHECK_INT(decode_hex(&m, UL, "07"), OM_ENAS_TRUNCATED);
	CHECK_INT(decode_hex(&m, UL, "0201d0"), OM_ENAS_PD);        /* an ESM message alone */
	CHECK_INT(decode_hex(&m, UL, "0641"), OM_ENAS_PD);          /* PD 6, RR */
	CHECK_INT(decode_hex(&m, UL, "2700000000010741"), OM_ENAS_SECURITY); /* integrity protected and ciphered */
	CHECK_INT(decode_hex(&m, UL, "c7000000"), OM_ENAS_SECURITY); /* service request */
	CHECK_INT(decode_hex(&m, DL, "0755"), OM_ENAS_MSG_TYPE);     /* identity request: not implemented */
	CHECK_INT(decode_hex(&m, UL, "07ff"), OM_ENAS_MSG_TYPE);
	CHECK_INT(decode_hex(&m, UL, auth_request_hex), OM_ENAS_DIRECTION);
	CHECK_INT(decode_hex(&m, DL, attach_request_hex), OM_ENAS_DIRECTION);
	CHECK_INT(decode_hex(&m, DL, auth_response_hex), OM_ENAS_DIRECTION);
	CHECK_INT(om_nas_decode(&m, (enum om_nas_dir)0, (const uint8_t *)"\x07\x54", 2), OM_EINVAL);
}

static void refuses_bad_lengths(void)
{
	struct om_nas_msg m;
	CHECK_INT(decode_hex(&m, UL, "075303a54211"), OM_ENAS_IE_LENGTH);  /* RES of 3 */
	CHECK_INT(decode_hex(&m, UL, "075311a54211d5e3ba50bfa54211d5e3ba50bfa5"), OM_ENAS_IE_LENGTH); /* 17 */
	CHECK_INT(decode_hex(&m, DL, "0752002355"
				     "3cbe9637a89d218ae64dae47bf350f55f328b43577b9b94a9ffac354dfaf"),
		  OM_ENAS_IE_LENGTH); /* AUTN of 15 */
	CHECK_INT(decode_hex(&m, UL, "075c15300dba853f3c123c01cfaf9ec4e871"), OM_ENAS_IE_LENGTH); /* AUTS 13 */
	CHECK_INT(decode_hex(&m, UL, "0741710309101010"), OM_ENAS_IE_LENGTH); /* identity of 3 octets */
	CHECK_INT(decode_hex(&m, UL, "07417108091010103254769801e0000502"), OM_ENAS_IE_LENGTH); /* UE cap 1 */
	CHECK_INT(decode_hex(&m, UL, "07417108091010103254769802e0e0000201"), OM_ENAS_IE_LENGTH); /* ESM 2 */
}

static void refuses_bad_mobile_identity(void)
{
	struct om_nas_msg m;
	/* Detach Request (UE originating) "07 45 71 08 ..." around each identity */
	CHECK_INT(decode_hex(&m, UL, "07457108" "0910a010" "32547698"), OM_ENAS_IDENTITY); /* digit 5 = 1010 */
	CHECK_INT(decode_hex(&m, UL, "07457108" "09101a10" "32547698"), OM_ENAS_IDENTITY); /* digit 4 = 1010 */
	CHECK_INT(decode_hex(&m, UL, "07457108" "0b101010" "32547698"), OM_ENAS_IDENTITY); /* type 011 IMEI */
	CHECK_INT(decode_hex(&m, UL, "07457108" "0c101010" "32547698"), OM_ENAS_IDENTITY); /* type 100 TMSI */
	/* even count (odd/even 0) but the last high nibble is a digit, not 1111 */
	CHECK_INT(decode_hex(&m, UL, "07457108" "01101010" "32547698"), OM_ENAS_IDENTITY);
	/* odd count but the last digit is the filler */
	CHECK_INT(decode_hex(&m, UL, "07457108" "09101010" "325476f8"), OM_ENAS_IDENTITY);
	/* 17 digits: longer than an IMSI can be (TS 23.003 2.2) */
	CHECK_INT(decode_hex(&m, UL, "07457109" "09101010" "32547698" "10"), OM_ENAS_IDENTITY);
	/* a GUTI is 11 octets */
	CHECK_INT(decode_hex(&m, UL, "07457108" "f600f110" "01020304"), OM_ENAS_IE_LENGTH);
	/* the Attach Accept's GUTI IE (0x50) must hold a GUTI, not an IMSI */
	struct om_nas_msg a = sample(OM_NAS_ATTACH_ACCEPT);
	a.u.attach_accept.has_guti = false;
	uint8_t b[OM_NAS_MAX_LEN + 16];
	int n = om_nas_encode(b, OM_NAS_MAX_LEN, &a);
	CHECK(n > 0);
	if (n > 0) {
		size_t tail = hx(b + n, 16, "5008" "0910101032547698");
		CHECK_INT(om_nas_decode(&a, DL, b, (size_t)n + tail), OM_ENAS_IDENTITY);
	}
}

static void refuses_missing_and_truncated(void)
{
	struct om_nas_msg m;
	CHECK_INT(decode_hex(&m, UL, "0753"), OM_ENAS_MISSING_IE);   /* no RES */
	CHECK_INT(decode_hex(&m, DL, "0744"), OM_ENAS_MISSING_IE);   /* no cause */
	CHECK_INT(decode_hex(&m, UL, "0743"), OM_ENAS_MISSING_IE);   /* no ESM container */
	CHECK_INT(decode_hex(&m, UL, "075c15"), OM_ENAS_MISSING_IE); /* #21 without AUTS */
	CHECK_INT(decode_hex(&m, UL, "075308a54211d5"), OM_ENAS_TRUNCATED);
	CHECK_INT(decode_hex(&m, DL, "075200" "23553cbe9637a89d"), OM_ENAS_TRUNCATED); /* half a RAND */
	CHECK_INT(decode_hex(&m, UL, "074300"), OM_ENAS_TRUNCATED); /* one octet of an LV-E length */
	/* the output is zeroed on failure */
	CHECK(m.kind == 0);
}

static void refuses_auts_with_another_cause(void)
{
	struct om_nas_msg m;
	CHECK_INT(decode_hex(&m, UL, "075c14300eba853f3c123c01cfaf9ec4e871e9"), OM_ENAS_CONDITIONAL);
	CHECK_INT(decode_hex(&m, UL, "075c14"), 0);                    /* #20 alone */
	CHECK_INT(decode_hex(&m, UL, "075c1a"), 0);                    /* #26 alone */
	CHECK_INT(m.u.auth_failure.cause, OM_NAS_CAUSE_NON_EPS_AUTH_UNACCEPTABLE);

	struct om_nas_msg e = { .kind = OM_NAS_AUTH_FAILURE };
	uint8_t b[OM_NAS_MAX_LEN];
	e.u.auth_failure.cause = OM_NAS_CAUSE_SYNCH_FAILURE;
	CHECK_INT(om_nas_encode(b, sizeof(b), &e), OM_ENAS_MISSING_IE);
	e.u.auth_failure.cause = OM_NAS_CAUSE_MAC_FAILURE;
	e.u.auth_failure.has_auts = true;
	CHECK_INT(om_nas_encode(b, sizeof(b), &e), OM_ENAS_CONDITIONAL);
}

/* TS 24.301 9.9.1 and 7.6.1; TS 24.007 11.2.4: skip by format, except IEIs
 * 0000 xxxx which are comprehension required. */
static void skips_unknown_optional_ies(void)
{
	struct om_nas_msg m;
	CHECK_INT(decode_hex(&m, DL, "07440b" "6f02aabb" "b1" "7f0002ccdd"), 0); /* TLV, type 1, TLV-E */
	CHECK_INT(m.u.attach_reject.cause, 11);
	CHECK_INT(decode_hex(&m, DL, "07440b" "7800050201c1aabb"), 0);  /* the ESM container 0x78 */
	CHECK_INT(decode_hex(&m, DL, "07440b" "050100"), OM_ENAS_COMPREHENSION);
	CHECK_INT(decode_hex(&m, DL, "0754" "0f00"), OM_ENAS_COMPREHENSION);
	/* 0x5c is a type 3 IE of the Attach Request (DRX parameter, TV 3): read
	 * by its fixed length, not as a TLV of length 0x0a */
	char hex[256];
	snprintf(hex, sizeof(hex), "%s5c0a00", attach_request_hex);
	CHECK_INT(decode_hex(&m, UL, hex), 0);
	CHECK(strcmp(m.u.attach_request.id.imsi, IMSI) == 0);
}

static void refuses_trailing_garbage(void)
{
	struct om_nas_msg m;
	CHECK_INT(decode_hex(&m, DL, "07440b" "6f05aabb"), OM_ENAS_TRAILING); /* TLV runs past the end */
	CHECK_INT(decode_hex(&m, DL, "07440b" "6f"), OM_ENAS_TRAILING);       /* IEI without length */
	CHECK_INT(decode_hex(&m, DL, "07440b" "7f00"), OM_ENAS_TRAILING);     /* half a TLV-E length */
	CHECK_INT(decode_hex(&m, DL, "0745025301"), 0);                       /* detach: cause TV 2 */
	CHECK_INT(decode_hex(&m, DL, "07450253"), OM_ENAS_TRAILING);          /* cause without value */
}

static void keeps_the_first_copy_of_a_repeated_ie(void)
{
	struct om_nas_msg m;
	CHECK_INT(decode_hex(&m, DL, "0745025316530b"), 0); /* TS 24.301 7.6.3 */
	CHECK(m.u.detach_request_net.has_cause);
	CHECK_INT(m.u.detach_request_net.cause, 22);
}

static void reads_reserved_detach_and_attach_types_as_the_clauses_say(void)
{
	struct om_nas_msg m;
	CHECK_INT(decode_hex(&m, DL, "074506"), 0); /* 9.9.3.7: read as re-attach not required */
	CHECK_INT(m.u.detach_request_net.detach_type, 2);
	CHECK_INT(decode_hex(&m, UL, "07450608" "09101010" "32547698"), 0); /* read as combined */
	CHECK_INT(m.u.detach_request_ue.detach_type, 3);
	uint8_t b[256];
	size_t n = hx(b, sizeof(b), attach_request_hex);
	b[2] = 0x73; /* EPS attach type 011, unused: read as EPS attach (9.9.3.11) */
	CHECK_INT(om_nas_decode(&m, UL, b, n), 0);
	CHECK_INT(m.u.attach_request.attach_type, 1);
}

static void refuses_bad_apn(void)
{
	struct om_nas_msg m;
	/* label length 5 runs past the APN value */
	CHECK_INT(decode_hex(&m, UL, "07417108091010103254769802e0e0"
				     "000b" "0201d011" "2805" "0570726f76"), OM_ENAS_APN);
	/* an APN IE of length 0 */
	CHECK_INT(decode_hex(&m, UL, "07417108091010103254769802e0e0"
				     "0006" "0201d011" "2800"), OM_ENAS_IE_LENGTH);
	/* a zero-length label */
	CHECK_INT(decode_hex(&m, UL, "07417108091010103254769802e0e0"
				     "000b" "0201d011" "2805" "0070726f76"), OM_ENAS_APN);
	/* '_' is not a label character (TS 23.003 9.1) */
	CHECK_INT(decode_hex(&m, UL, "07417108091010103254769802e0e0"
				     "000b" "0201d011" "2805" "04705f6f76"), OM_ENAS_APN);

	CHECK_INT(om_nas_attach_request_init(&m, IMSI, "a..b"), OM_ENAS_APN);
	CHECK_INT(om_nas_attach_request_init(&m, IMSI, ".a"), OM_ENAS_APN);
	CHECK_INT(om_nas_attach_request_init(&m, IMSI, "a."), OM_ENAS_APN);
	CHECK_INT(om_nas_attach_request_init(&m, IMSI, "under_score"), OM_ENAS_APN);
	CHECK_INT(om_nas_attach_request_init(&m, IMSI,
					     "a123456789012345678901234567890123456789012345678901234567890123"),
		  OM_ENAS_APN); /* a 64-octet label */
	CHECK_INT(om_nas_attach_request_init(&m, IMSI, NULL), 0);
	CHECK(m.u.attach_request.pdn.apn[0] == 0);
}

static void refuses_bad_esm_container(void)
{
	struct om_nas_msg m;
	const char *pre = "07417108091010103254769802e0e0";
	char hex[256];
	snprintf(hex, sizeof(hex), "%s0004" "0301d011", pre); /* PD 3 in the container */
	CHECK_INT(decode_hex(&m, UL, hex), OM_ENAS_PD);
	snprintf(hex, sizeof(hex), "%s0004" "0201c111", pre); /* not a PDN connectivity request */
	CHECK_INT(decode_hex(&m, UL, hex), OM_ENAS_ESM);
	snprintf(hex, sizeof(hex), "%s0004" "5201d011", pre); /* a bearer identity already */
	CHECK_INT(decode_hex(&m, UL, hex), OM_ENAS_ESM);
	snprintf(hex, sizeof(hex), "%s0004" "0200d011", pre); /* PTI 0 */
	CHECK_INT(decode_hex(&m, UL, hex), OM_ENAS_ESM);
	snprintf(hex, sizeof(hex), "%s0004" "0201d051", pre); /* PDN type 5 (non-IP) */
	CHECK_INT(decode_hex(&m, UL, hex), OM_ENAS_VALUE);
	snprintf(hex, sizeof(hex), "%s0003" "0201d0", pre); /* no request type / PDN type */
	CHECK_INT(decode_hex(&m, UL, hex), OM_ENAS_MISSING_IE);
	snprintf(hex, sizeof(hex), "%s0005" "0201d011d1", pre); /* ESM information transfer flag */
	CHECK_INT(decode_hex(&m, UL, hex), 0);
	CHECK(m.u.attach_request.pdn.esm_info_transfer);
	CHECK(m.u.attach_request.pdn.apn[0] == 0);
	/* Attach Complete whose container is a default bearer *request* */
	CHECK_INT(decode_hex(&m, UL, "07430003" "5200c1"), OM_ENAS_ESM);
	CHECK_INT(decode_hex(&m, UL, "07430003" "5200c2"), 0);
	CHECK_INT(m.u.attach_complete.ebi, 5);
	CHECK_INT(decode_hex(&m, UL, "07430003" "2200c2"), OM_ENAS_ESM); /* EBI 2 is reserved */
}

static void refuses_reserved_values(void)
{
	struct om_nas_msg m = sample(OM_NAS_ATTACH_ACCEPT);
	uint8_t b[OM_NAS_MAX_LEN];
	int n = om_nas_encode(b, sizeof(b), &m);
	CHECK(n > 8);
	if (n <= 8)
		return;
	b[2] = 0x03; /* EPS attach result 011: reserved */
	CHECK_INT(om_nas_decode(&m, DL, b, (size_t)n), OM_ENAS_VALUE);
	b[2] = 0x01;
	b[5] = 0x60; /* TAI list: type of list 11 */
	CHECK_INT(om_nas_decode(&m, DL, b, (size_t)n), OM_ENAS_VALUE);
	b[5] = 0x00;
	b[6] = 0x0a; /* MCC digit 1 = 1010 */
	CHECK_INT(om_nas_decode(&m, DL, b, (size_t)n), OM_ENAS_VALUE);
	b[6] = 0x00;
	CHECK_INT(om_nas_decode(&m, DL, b, (size_t)n), 0);
}

static void encoder_refuses_what_the_decoder_would(void)
{
	struct om_nas_msg m;
	uint8_t b[OM_NAS_MAX_LEN];
	CHECK_INT(om_nas_attach_request_init(&m, "00101", NULL), OM_ENAS_IDENTITY);         /* 5 digits */
	CHECK_INT(om_nas_attach_request_init(&m, "0010101234567890", NULL), OM_ENAS_IDENTITY); /* 16 */
	CHECK_INT(om_nas_attach_request_init(&m, "00101a123456789", NULL), OM_ENAS_IDENTITY);
	CHECK_INT(om_nas_attach_request_init(&m, "", NULL), OM_ENAS_IDENTITY);

	m = sample(OM_NAS_AUTH_RESPONSE);
	m.u.auth_response.res_len = 3;
	CHECK_INT(om_nas_encode(b, sizeof(b), &m), OM_ENAS_IE_LENGTH);
	m.u.auth_response.res_len = 17;
	CHECK_INT(om_nas_encode(b, sizeof(b), &m), OM_ENAS_IE_LENGTH);
	m.u.auth_response.res_len = 4;
	CHECK_INT(om_nas_encode(b, sizeof(b), &m), 7);

	m = sample(OM_NAS_ATTACH_ACCEPT);
	m.u.attach_accept.bearer.apn[0] = 0; /* mandatory in 8.3.6 */
	CHECK_INT(om_nas_encode(b, sizeof(b), &m), OM_ENAS_APN);

	static const struct om_nas_plmn bad = { "0a1", "01" };
	static const uint8_t ip[4] = { 0 };
	CHECK_INT(om_nas_attach_accept_init(&m, &bad, 1, "prov", ip), OM_ENAS_VALUE);

	m = sample(OM_NAS_DETACH_REQUEST_UE);
	m.u.detach_request_ue.id.type = (enum om_nas_id_type)3;
	CHECK_INT(om_nas_encode(b, sizeof(b), &m), OM_ENAS_IDENTITY);

	m.kind = (enum om_nas_kind)99;
	CHECK_INT(om_nas_encode(b, sizeof(b), &m), OM_EINVAL);
}

static void names_every_kind_and_cause(void)
{
	for (int k = OM_NAS_ATTACH_REQUEST; k <= OM_NAS_DETACH_ACCEPT; k++)
		CHECK_MSG(strcmp(om_nas_kind_name(k), "unknown") != 0, "kind %d", k);
	CHECK(strcmp(om_nas_kind_name(0), "unknown") == 0);
	static const int causes[] = { 3, 7, 8, 11, 15, 19, 20, 21, 26 };
	for (size_t i = 0; i < sizeof(causes) / sizeof(causes[0]); i++)
		CHECK_MSG(strcmp(om_nas_emm_cause_name(causes[i]), "unknown") != 0, "cause %d", causes[i]);
	CHECK(strcmp(om_nas_emm_cause_name(21), "Synch failure") == 0);
	CHECK(strcmp(om_nas_emm_cause_name(200), "unknown") == 0);
	CHECK(strcmp(om_errname(OM_ENAS_TRAILING), "OM_ENAS_TRAILING") == 0);
}

int main(void)
{
	attach_request_encodes_as_the_clauses_say();
	auth_request_encodes_as_the_clauses_say();
	auth_response_encodes_as_the_clauses_say();
	auth_failure_synch_encodes_as_the_clauses_say();
	attach_reject_encodes_as_the_clauses_say();
	even_imsi_ends_with_filler();
	every_message_round_trips();
	attach_accept_carries_the_bearer();
	three_digit_mnc_round_trips();
	security_mode_messages();
	refuses_header_errors();
	refuses_bad_lengths();
	refuses_bad_mobile_identity();
	refuses_missing_and_truncated();
	refuses_auts_with_another_cause();
	skips_unknown_optional_ies();
	refuses_trailing_garbage();
	keeps_the_first_copy_of_a_repeated_ie();
	reads_reserved_detach_and_attach_types_as_the_clauses_say();
	refuses_bad_apn();
	refuses_bad_esm_container();
	refuses_reserved_values();
	encoder_refuses_what_the_decoder_would();
	names_every_kind_and_cause();
	return check_done();
}
