/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DRF staples the status of its signing certificate Cert_SHO[i] to
 * every bootstrap (spec/000 5.2.2.3.2 step 7: the device "uses the OCSP
 * service to verify the operators certificate used for the signature").
 * The operator refreshes the file from its CA's OCSP responder (docs/drf.md
 * "Certificate status"), as a web server staples from a file; the DRF
 * checks it as a TRE will and never sends a stale or revoked one.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openmcim/pki.h>

#include "drf_int.h"

#define STATUS_FILE_MAX 4096 /* the codec's limit on SIGNER-STATUS (docs/formats.md) */

int drf_signer_status(const struct drf *d, int64_t now, uint8_t **out, size_t *out_len)
{
	struct stat st;
	uint8_t *buf = NULL;
	int r = OM_EIO;
	*out = NULL;
	*out_len = 0;
	/* a regular file only: a FIFO or device put there must not stall the handover */
	int fd = open(d->status_file, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > STATUS_FILE_MAX)
		goto out;
	r = OM_ENOMEM;
	if (!(buf = malloc((size_t)st.st_size)))
		goto out;
	r = OM_EIO;
	if (read(fd, buf, (size_t)st.st_size) != st.st_size)
		goto out;
	X509 *issuer = NULL;
	if ((r = om_cert_decode(&issuer, OM_ENC_DER, d->issuer_der, d->issuer_der_len)) < 0)
		goto out;
	r = om_cert_status_check(buf, (size_t)st.st_size, d->sign_cert, issuer, (time_t)now, (long)d->status_max_age_s);
	X509_free(issuer);
	if (r < 0)
		goto out;
	*out = buf;
	*out_len = (size_t)st.st_size;
	buf = NULL;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return r;
}
