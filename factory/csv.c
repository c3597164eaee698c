/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The rows of the import files (docs/factory.md). No field needs quoting:
 * identifiers are checked to [A-Za-z0-9._-: ] and everything else is hex
 * or base64. The RO's rows have one length for the whole run, so workers
 * can write them in place (pwrite at header + index * row length) and the
 * credentials never pass through a temporary file.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <openmcim/hex.h>

#include "factory_impl.h"

size_t factory_ro_row_len(const struct factory_pcid_range *r)
{
	/* imsi , k(32) , opc(32) , amf(4) \n */
	return strlen(r->plmn) + r->width + 1 + 32 + 1 + 32 + 1 + 4 + 1;
}

static char *put_hex(char *p, const uint8_t *b, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		*p++ = digits[b[i] >> 4];
		*p++ = digits[b[i] & 15];
	}
	return p;
}

void factory_ro_row(const struct factory_device *d, char *out)
{
	char *p = out;
	size_t n = strlen(d->pcid.imsi);
	memcpy(p, d->pcid.imsi, n);
	p += n;
	*p++ = ',';
	p = put_hex(p, d->pcid.k, sizeof(d->pcid.k));
	*p++ = ',';
	p = put_hex(p, d->pcid.opc, sizeof(d->pcid.opc));
	*p++ = ',';
	p = put_hex(p, d->pcid.amf, sizeof(d->pcid.amf));
	*p++ = '\n';
	*p = 0;
}

/* Base64 (RFC 4648, no line breaks) of der into a fresh buffer. */
static char *b64(const uint8_t *der, size_t len)
{
	if (len > 65536)
		return NULL;
	char *s = malloc(4 * ((len + 2) / 3) + 1);
	if (s)
		EVP_EncodeBlock((unsigned char *)s, der, (int)len);
	return s;
}

int factory_pva_row(FILE *f, const struct factory_run *run, const struct factory_device *d)
{
	char *s = b64(d->sign_der, d->sign_len), *e = b64(d->enc_der, d->enc_len);
	int rc = OM_ENOMEM;
	if (s && e)
		rc = fprintf(f, "%s,%s,%s,%s,%s\n", d->tre_id, run->model, run->firmware, s, e) < 0 ? OM_EIO
													: 0;
	free(s);
	free(e);
	return rc;
}

int factory_ak_row(FILE *f, const struct factory_device *d)
{
	char *a = b64(d->ak_der, d->ak_len);
	int rc = a ? (fprintf(f, "%s,%s\n", d->tre_id, a) < 0 ? OM_EIO : 0) : OM_ENOMEM;
	free(a);
	return rc;
}

int factory_owner_row(FILE *f, const struct factory_run *run, const struct factory_device *d)
{
	char *s = b64(d->sign_der, d->sign_len), *e = b64(d->enc_der, d->enc_len), claim[OM_CLAIM_TEXT_LEN + 1];
	int rc = OM_ENOMEM;
	om_claim_text(d->claim, claim);
	if (s && e)
		rc = fprintf(f, "%s,%s,%s,%s,%s,%s\n", d->tre_id, s, e, run->owner_sho, claim, run->model) < 0 ? OM_EIO : 0;
	OPENSSL_cleanse(claim, sizeof(claim));
	free(s);
	free(e);
	return rc;
}

int factory_measurement_rows(FILE *f, const struct factory_run *run)
{
	for (size_t i = 0; i < OM_FACTORY_N_COMPONENTS; i++) {
		char hex[65];
		*put_hex(hex, run->meas[i].sha256, sizeof(run->meas[i].sha256)) = 0;
		if (fprintf(f, "%s,%s,%s,%s\n", run->model, run->firmware, run->meas[i].name, hex) < 0)
			return OM_EIO;
	}
	return 0;
}

/* ---- synthetic mode (Alternative 3; docs/factory.md "Synthetic mode") ---- */

int factory_label_write(const char *labels_dir, const struct factory_device *d)
{
	char path[4096], ku[OM_SYNTH_KU_TEXT_MAX], text[160];
	int rc = OM_EIO;
	if (factory_path(path, sizeof(path), labels_dir, d->tre_id) < 0 || strlen(path) + 5 > sizeof(path))
		return OM_EINVAL;
	strcat(path, ".txt");
	om_synth_ku_format(d->ku, ku);
	int n = snprintf(text, sizeof(text), "TRE_id: %s\nKu: %s\n", d->tre_id, ku);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd >= 0 && n > 0 && write(fd, text, (size_t)n) == n)
		rc = 0;
	if (fd >= 0 && close(fd) != 0)
		rc = OM_EIO;
	OPENSSL_cleanse(ku, sizeof(ku));
	OPENSSL_cleanse(text, sizeof(text));
	return rc;
}

int factory_verifier_row(FILE *f, const struct factory_device *d)
{
	char v[2 * OM_SYNTH_VERIFIER_LEN + 1];
	om_hex_encode(v, d->verifier, sizeof(d->verifier));
	return fprintf(f, "%s,%s\n", d->tre_id, v) < 0 ? OM_EIO : 0;
}

int factory_range_write(FILE *f, const struct factory_run *run)
{
	return fprintf(f, "mcc=%s mnc=%s msin_first=%0*llu count=%llu apn=%s\n", run->synth.mcc, run->synth.mnc,
		       (int)run->synth.width, (unsigned long long)run->synth.first,
		       (unsigned long long)run->synth.count, run->apn) < 0
		       ? OM_EIO
		       : 0;
}
