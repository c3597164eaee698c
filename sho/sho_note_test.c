/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The delivery note's certificates are read by lib/core's strict base64
 * (sho/note.c): one spelling per certificate. A non-canonical spelling (a bit
 * the padding drops set), white space, missing padding or a certificate
 * longer than 6144 bytes is refused with OM_ESHO_NOTE and the line, and no
 * device comes out; the canonical spelling gives the bytes back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sho.h"

#define HDR "tre_id,cert_tre_pem_b64,cert_tre_enc_pem_b64,sho_id\n"

/* The note text parsed: the row count or the error; *devs freed here. */
static int parse(const char *text, char *why, size_t wl, uint8_t *first, size_t *first_len)
{
	struct sho_device_in *devs = NULL;
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	CHECK(f != NULL);
	int n = sho_note_parse(f, "note", &devs, why, wl);
	fclose(f);
	if (n > 0 && first) {
		*first_len = devs[0].cert_sign_len < 8 ? devs[0].cert_sign_len : 8;
		memcpy(first, devs[0].cert_sign, *first_len);
	}
	if (n > 0)
		sho_devices_free(devs, (size_t)n);
	else
		CHECK(devs == NULL);
	return n;
}

int main(void)
{
	char why[256], text[20000];
	uint8_t got[8];
	size_t got_len = 0;

	/* canonical: "abcd" and "ab" */
	CHECK_INT(parse(HDR "TRE-A0000001,YWJjZA==,YWI=,sho-a\n", why, sizeof(why), got, &got_len), 1);
	CHECK_INT(got_len, 4);
	CHECK_MEM(got, "abcd", 4);

	static const char *const bad[] = {
		"YWJjZB==",  /* "abcd" with a dropped bit set */
		"YWJjZA",    /* no padding */
		"YWJj ZA==", /* a space inside */
		"YWJjZA=",   /* one pad character short */
		"YW=jZA==",  /* padding inside */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), HDR "TRE-A0000001,YWI=,YWI=,sho-a\nTRE-A0000002,%s,YWI=,sho-a\n", bad[i]);
		why[0] = '\0';
		CHECK_INT(parse(text, why, sizeof(why), NULL, NULL), OM_ESHO_NOTE);
		CHECK_MSG(strstr(why, "line 3") != NULL, "%s: %s", bad[i], why);
	}

	/* 6144 bytes pass, 6147 do not */
	for (size_t len = 8192; len <= 8196; len += 4) {
		int n = snprintf(text, sizeof(text), HDR "TRE-A0000001,");
		memset(text + n, 'A', len);
		snprintf(text + n + len, sizeof(text) - (size_t)n - len, ",YWI=,sho-a\n");
		CHECK_INT(parse(text, why, sizeof(why), NULL, NULL), len == 8192 ? 1 : OM_ESHO_NOTE);
	}
	return check_done();
}
