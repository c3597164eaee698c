/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer: any bytes as a SyncML DM 1.2 message (lib/dm/parse.c). What
 * parses must encode back to a message that parses to the same encoding
 * (one codec: what we read we can write, and read again unchanged). The
 * header-only reader (om_dm_parse_hdr, the DPF's 505 path) sees the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include <openmcim/dm.h>

static struct om_dm_msg m1, m2;
static uint8_t out1[OM_DM_MSG_MAX], out2[OM_DM_MSG_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (om_dm_parse_hdr(data, size, &m1) == 0) {
		if (!m1.hdr.session_id || !m1.hdr.target || !m1.hdr.source || m1.n_cmds)
			abort();
		om_dm_msg_free(&m1);
	}
	if (om_dm_parse(data, size, &m1) != 0)
		return 0;
	if (m1.n_cmds > OM_DM_CMDS_MAX)
		abort();
	int n1 = om_dm_encode(&m1, out1, sizeof(out1));
	om_dm_msg_free(&m1);
	if (n1 == OM_EINVAL) /* the encoding grew beyond OM_DM_MSG_MAX */
		return 0;
	if (n1 <= 0 || om_dm_parse(out1, (size_t)n1, &m2) != 0)
		abort();
	int n2 = om_dm_encode(&m2, out2, sizeof(out2));
	om_dm_msg_free(&m2);
	if (n2 != n1 || memcmp(out1, out2, (size_t)n1) != 0)
		abort();
	return 0;
}
