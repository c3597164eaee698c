/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DM credentials payload of B.2.3.2 (username, password, nonceA) and the
 * canonical base64 of the bootstrap's VENDORCONFIG values: round trips,
 * golden bytes, and each malformed input refused with nothing output.
 */
#include <stdlib.h>

#include <openmcim/bootstrap.h>

#include "check.h"

static struct om_dm_creds sample(void)
{
	struct om_dm_creds c;
	memset(&c, 0, sizeof(c));
	strcpy(c.username, "TRE-1");
	strcpy(c.password, "s3cret");
	for (int i = 0; i < OM_NONCE_LEN; i++)
		c.nonce_a[i] = (uint8_t)i;
	return c;
}

static void creds_round_trip_with_golden_bytes(void)
{
	struct om_dm_creds c = sample(), d;
	uint8_t buf[256];
	int n = om_dm_creds_encode(&c, buf, sizeof(buf));
	CHECK_INT(n, 1 + 2 + 5 + 2 + 6 + 2 + 16);
	CHECK_HEX(buf, (size_t)n, "01" "0105" "5452452d31" "0206" "733363726574" "0310" "000102030405060708090a0b0c0d0e0f");
	CHECK_INT(om_dm_creds_decode(&d, buf, (size_t)n), 0);
	CHECK(strcmp(d.username, "TRE-1") == 0 && strcmp(d.password, "s3cret") == 0);
	CHECK_MEM(d.nonce_a, c.nonce_a, OM_NONCE_LEN);
	om_dm_creds_clear(&d);
	CHECK(d.password[0] == '\0');
	/* the longest names fit */
	memset(c.username, 'u', OM_BOOTSTRAP_NAME_MAX);
	memset(c.password, 'p', OM_BOOTSTRAP_NAME_MAX);
	n = om_dm_creds_encode(&c, buf, sizeof(buf));
	CHECK_INT(om_dm_creds_decode(&d, buf, (size_t)n), 0);
	CHECK_INT(strlen(d.password), OM_BOOTSTRAP_NAME_MAX);
	CHECK_INT(om_dm_creds_encode(&c, buf, (size_t)n - 1), OM_ENOSPC);
	om_dm_creds_clear(&d);
}

static void refused(const uint8_t *in, size_t len)
{
	struct om_dm_creds d;
	uint8_t zero[sizeof(d)];
	memset(&d, 0x5a, sizeof(d));
	memset(zero, 0, sizeof(zero));
	CHECK_INT(om_dm_creds_decode(&d, in, len), OM_EOBJ_CREDS);
	CHECK(memcmp(&d, zero, sizeof(d)) == 0);
}

static void creds_refuse_malformed_payloads(void)
{
	struct om_dm_creds c = sample();
	uint8_t buf[256], t[257];
	int n = om_dm_creds_encode(&c, buf, sizeof(buf));
	for (int cut = 0; cut < n; cut++)
		refused(buf, (size_t)cut);
	memcpy(t, buf, (size_t)n);
	t[n] = 0;
	refused(t, (size_t)n + 1); /* trailing byte */
	memcpy(t, buf, (size_t)n);
	t[0] = 2; /* version */
	refused(t, (size_t)n);
	memcpy(t, buf, (size_t)n);
	t[1] = 2; /* order */
	refused(t, (size_t)n);
	memcpy(t, buf, (size_t)n);
	t[2] = 0; /* empty username */
	refused(t, (size_t)n);
	memcpy(t, buf, (size_t)n);
	t[4] = '\n'; /* control character */
	refused(t, (size_t)n);
	memcpy(t, buf, (size_t)n);
	t[n - 17] = 15; /* nonce length */
	refused(t, (size_t)n);
	strcpy(c.password, "with space");
	CHECK_INT(om_dm_creds_encode(&c, buf, sizeof(buf)), OM_EINVAL);
}

int main(void)
{
	creds_round_trip_with_golden_bytes();
	creds_refuse_malformed_payloads();
	return check_done();
}
