/* SPDX-License-Identifier: Apache-2.0 */
/*
 * openmcim auts: what the network does with an AUTS (TS 33.102 6.3.5):
 * recover SQN_MS = AUTS[0..5] xor f5*(RAND) and verify MAC-S, through the
 * same om_vector_resync() the HSS uses.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include <openmcim/sqn.h>
#include <openmcim/vector.h>

#include "cli_args.h"
#include "commands.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: openmcim auts --k HEX (--op HEX | --opc HEX) --rand HEX --auts HEX\n"
		   "\n"
		   CLI_SUBSCRIBER_USAGE
		   "  --rand  RAND of the refused challenge, 16 bytes\n"
		   "  --auts  AUTS = (SQN_MS xor AK*) || MAC-S, 14 bytes\n"
		   "\n"
		   "Prints SQN.MS=hex (12 digits). Exits 1 if MAC-S does not verify.\n");
}

int cmd_auts(int argc, char **argv)
{
	uint8_t k[OM_K_LEN], op[OM_OP_LEN], opc_in[OM_OPC_LEN], rand[OM_RAND_LEN], auts[OM_AUTS_LEN],
		opc[OM_OPC_LEN], sqn[OM_SQN_LEN];
	struct cli_opt opts[] = {
		{ "--k", sizeof(k), 1, k, 0 },
		{ "--op", sizeof(op), 1, op, 0 },
		{ "--opc", sizeof(opc_in), 1, opc_in, 0 },
		{ "--rand", sizeof(rand), 0, rand, 0 },
		{ "--auts", sizeof(auts), 0, auts, 0 },
	};
	struct om_milenage m;
	uint64_t sqn_ms = 0;
	int have_m = 0, rc;

	have_m = cli_subscriber_args(argv[0], argc, argv, opts, sizeof(opts) / sizeof(opts[0]), usage, &m, opc, &rc);
	if (!have_m)
		goto out;

	int err = om_vector_resync(&m, rand, auts, &sqn_ms);
	if (err == OM_EAUTH_MACS) {
		fprintf(stderr, "openmcim auts: MAC-S does not verify: wrong K, OP/OPc or RAND, or a forged AUTS\n");
		rc = 1;
		goto out;
	}
	if (err < 0) {
		fprintf(stderr, "openmcim auts: %s\n", om_strerror(err));
		rc = 1;
		goto out;
	}
	om_sqn_to_bytes(sqn, sqn_ms);
	cli_print_hex("SQN.MS", sqn, sizeof(sqn));
	if (cli_flush("auts"))
		rc = 1;
out:
	if (have_m)
		om_milenage_clear(&m);
	cli_cleanse(opts, sizeof(opts) / sizeof(opts[0])); /* K, OP and OPc as given */
	OPENSSL_cleanse(opc, sizeof(opc));
	return rc;
}
