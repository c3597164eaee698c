/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The M2MMCIM object of B.2.3.6, PuK_TRE(PIK|PCK) | Protected_data, behind
 * the outer header of docs/formats.md:
 *
 *   "OMPD" | format 0x01 | wrap id | suite id | wrapped_len (16, BE) | ct_len (32, BE)
 *
 * The same file builds (SHO) and parses (TRE) it.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "protect_int.h"

/* Everything the header alone can tell; *sp is the suite when it returns 0. */
static int parse_header(const uint8_t *obj, size_t len, struct om_protect_header *h,
			const struct omp_suite **sp)
{
	memset(h, 0, sizeof(*h));
	if (!omp_algs())
		return OM_ECRYPTO;
	if (len < OM_PROTECT_HEADER_LEN)
		return OM_EPROTECT_TRUNCATED;
	if (memcmp(obj, OMP_MAGIC, 4) != 0 || obj[4] != OMP_FORMAT_VERSION)
		return OM_EPROTECT_HEADER;
	int wrap = obj[5];
	const struct omp_suite *s = omp_suite(obj[6]);
	if (!s || omp_wrapped_len(wrap, s, OMP_RSA_MIN_BYTES) == 0)
		return OM_EPROTECT_SUITE;
	size_t wlen = omp_get16(obj + 7), clen = omp_get32(obj + 9);
	if (wrap == OM_PROTECT_WRAP_RSA_OAEP ? wlen < OMP_RSA_MIN_BYTES || wlen > OMP_RSA_MAX_BYTES
					       : wlen != omp_wrapped_len(wrap, s, 0))
		return OM_EPROTECT_HEADER;
	if (clen == 0 || clen % OMP_BLOCK != 0 || clen > OMP_CT_MAX)
		return OM_EPROTECT_HEADER;
	size_t total = OM_PROTECT_HEADER_LEN + wlen + OM_PROTECT_IV_LEN + clen + s->mac_len;
	if (len < total)
		return OM_EPROTECT_TRUNCATED;
	if (len > total)
		return OM_EPROTECT_TRAILING;
	*h = (struct om_protect_header){ (uint8_t)wrap, s->id, wlen, clen, total };
	*sp = s;
	return 0;
}

int om_protect_inspect(const uint8_t *obj, size_t len, struct om_protect_header *hdr)
{
	const struct omp_suite *s;
	if (!obj || !hdr)
		return OM_EINVAL;
	return parse_header(obj, len, hdr, &s);
}

int om_protect_sealed_len(EVP_PKEY *puk_tre, int suite, size_t payload_len)
{
	const struct omp_suite *s = omp_suite(suite);
	size_t rsa_bytes = 0;
	if (!s)
		return OM_EPROTECT_SUITE;
	if (payload_len > OM_PROTECT_PAYLOAD_MAX)
		return OM_ELENGTH;
	int wrap = omp_wrap_for_key(puk_tre, &rsa_bytes);
	if (!wrap)
		return OM_EUNSUPPORTED;
	return (int)(OM_PROTECT_HEADER_LEN + omp_wrapped_len(wrap, s, rsa_bytes) +
		     om_protect_data_len(suite, payload_len));
}

int omp_seal(EVP_PKEY *puk, const struct om_protect_keys *keys, uint8_t tag, const uint8_t *payload,
	     size_t payload_len, const struct omp_seal_hooks *hooks, uint8_t *out, size_t cap)
{
	static const struct omp_seal_hooks none;
	const struct omp_suite *s = keys ? omp_suite(keys->suite) : NULL;
	size_t rsa_bytes = 0, data_len;
	int r, wrap = omp_wrap_for_key(puk, &rsa_bytes);
	if (!hooks)
		hooks = &none;
	if (!keys || !out || (payload_len && !payload) || (!hooks->data && tag == 0)) {
		r = OM_EINVAL;
		goto out;
	}
	if (!s) {
		r = OM_EPROTECT_SUITE;
		goto out;
	}
	if (!wrap) {
		r = OM_EUNSUPPORTED;
		goto out;
	}
	if (hooks->data && (hooks->data_len == 0 || hooks->data_len % OMP_BLOCK ||
			    hooks->data_len > OMP_CT_MAX)) {
		r = OM_EINVAL;
		goto out;
	}
	if (!hooks->data && payload_len > OM_PROTECT_PAYLOAD_MAX) {
		r = OM_ELENGTH;
		goto out;
	}
	data_len = hooks->data ? hooks->data_len : omp_data_len(payload_len);
	size_t wlen = omp_wrapped_len(wrap, s, rsa_bytes);
	size_t total = OM_PROTECT_HEADER_LEN + wlen + OM_PROTECT_IV_LEN + data_len + s->mac_len;
	if (cap < total) {
		r = OM_ENOSPC;
		goto out;
	}
	memcpy(out, OMP_MAGIC, 4);
	out[4] = OMP_FORMAT_VERSION;
	out[5] = (uint8_t)wrap;
	out[6] = s->id;
	omp_put16(out + 7, wlen);
	omp_put32(out + 9, data_len);

	uint8_t *pd = out + OM_PROTECT_HEADER_LEN + wlen;
	if (hooks->data)
		memcpy(pd + OM_PROTECT_IV_LEN, hooks->data, data_len);
	else if ((r = omp_data_format(tag, OM_PROTECT_DATA_VERSION, payload, payload_len,
				      pd + OM_PROTECT_IV_LEN, data_len)) < 0)
		goto out;
	r = omp_data_seal_in_place(s, keys, hooks->iv, pd, data_len);
	if (r < 0)
		goto out;
	r = omp_wrap(puk, wrap, s, keys, out, hooks->eph, out + OM_PROTECT_HEADER_LEN, wlen);
	if (r < 0)
		goto out;
	r = (int)total;
out:
	if (r < 0 && out)
		memset(out, 0, cap);
	return r;
}

int om_protect_seal_with_keys(EVP_PKEY *puk_tre, const struct om_protect_keys *keys, uint8_t tag,
			      const uint8_t *payload, size_t payload_len, uint8_t *out, size_t cap)
{
	return omp_seal(puk_tre, keys, tag, payload, payload_len, NULL, out, cap);
}

int om_protect_seal(EVP_PKEY *puk_tre, int suite, uint8_t tag, const uint8_t *payload,
		    size_t payload_len, uint8_t *out, size_t cap)
{
	struct om_protect_keys keys;
	int r = om_protect_keys_generate(&keys, suite);
	if (r == 0)
		r = omp_seal(puk_tre, &keys, tag, payload, payload_len, NULL, out, cap);
	else if (out)
		memset(out, 0, cap);
	om_protect_keys_clear(&keys);
	return r;
}

int om_protect_open(EVP_PKEY *prk_tre, uint8_t tag, const uint8_t *obj, size_t len, uint8_t *out,
		    size_t cap)
{
	struct om_protect_header h;
	struct om_protect_keys keys;
	const struct omp_suite *s = NULL;
	size_t rsa_bytes = 0;
	int r;
	memset(&keys, 0, sizeof(keys));
	if (!prk_tre || !obj || (cap && !out)) {
		r = OM_EINVAL;
		goto out;
	}
	r = parse_header(obj, len, &h, &s);
	if (r < 0)
		goto out;
	int wrap = omp_wrap_for_key(prk_tre, &rsa_bytes);
	if (!wrap) {
		r = OM_EUNSUPPORTED;
		goto out;
	}
	if (wrap != h.wrap) {
		r = OM_EPROTECT_KEYTYPE;
		goto out;
	}
	/* an RSA block for another modulus size was wrapped for another key */
	if (wrap == OM_PROTECT_WRAP_RSA_OAEP && h.wrapped_len != rsa_bytes) {
		r = OM_EPROTECT_UNWRAP;
		goto out;
	}
	r = omp_unwrap(prk_tre, wrap, s, obj, obj + OM_PROTECT_HEADER_LEN, h.wrapped_len, &keys);
	if (r < 0)
		goto out;
	r = om_protect_data_open(&keys, tag, obj + OM_PROTECT_HEADER_LEN + h.wrapped_len,
				 h.total_len - OM_PROTECT_HEADER_LEN - h.wrapped_len, out, cap);
out:
	om_protect_keys_clear(&keys);
	if (r < 0 && out)
		memset(out, 0, cap);
	return r;
}
