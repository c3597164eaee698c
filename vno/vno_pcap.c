/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include <openmcim/pcap.h>
#include <openmcim/private_file.h>

#include "log.h"
#include "vno_pcap.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *file;
static struct om_pcap cap;

int vno_pcap_open(const char *path)
{
	int rc = -1;
	pthread_mutex_lock(&lock);
	if (file)
		goto out;
	/* NAS in the clear (RAND, AUTN, RES): the VNO's user's alone (private_file.h);
	 * a restart continues the capture, never truncates it. */
	char why[512];
	int rc2 = om_pcap_open_path(&cap, &file, path, OM_PCAP_LINKTYPE_UPPER_PDU, why, sizeof(why));
	if (rc2 < 0) {
		om_error("pcap-error", "reason=\"%s\" code=%s", why, om_errname(rc2));
		goto out;
	}
	rc = 0;
out:
	pthread_mutex_unlock(&lock);
	return rc;
}

void vno_pcap_nas(const uint8_t *pdu, size_t len)
{
	pthread_mutex_lock(&lock);
	if (file && om_pcap_write_pdu(&cap, om_pcap_now_usec(), "nas-eps", pdu, len) < 0)
		om_error("pcap-error", "reason=write");
	pthread_mutex_unlock(&lock);
}

void vno_pcap_close(void)
{
	pthread_mutex_lock(&lock);
	if (file)
		fclose(file);
	file = NULL;
	pthread_mutex_unlock(&lock);
}
