/* SPDX-License-Identifier: Apache-2.0 */
/*
 * openmcim milenage: every MILENAGE output (TS 35.206 4.1) and AUTN
 * (TS 33.102 6.3.2) for one set of inputs, one NAME=hex per line. It prints
 * keys because that is what it is asked for: a tool for checking vectors.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli_args.h"
#include "commands.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: openmcim milenage --k HEX (--op HEX | --opc HEX) --rand HEX --sqn HEX --amf HEX\n"
		   "\n"
		   CLI_SUBSCRIBER_USAGE
		   "  --rand  RAND, 16 bytes\n"
		   "  --sqn   SQN, 6 bytes\n"
		   "  --amf   AMF, 2 bytes\n"
		   "\n"
		   "Prints OPc, MAC-A, MAC-S, RES, CK, IK, AK, AK* and AUTN = (SQN xor AK) || AMF || MAC-A,\n"
		   "one NAME=hex per line.\n");
}

int cmd_milenage(int argc, char **argv)
{
	uint8_t k[OM_K_LEN], op[OM_OP_LEN], opc_in[OM_OPC_LEN], rand[OM_RAND_LEN], sqn[OM_SQN_LEN],
		amf[OM_AMF_LEN], opc[OM_OPC_LEN], autn[OM_AUTN_LEN];
	struct cli_opt opts[] = {
		{ "--k", sizeof(k), 1, k, 0 },
		{ "--op", sizeof(op), 1, op, 0 },
		{ "--opc", sizeof(opc_in), 1, opc_in, 0 },
		{ "--rand", sizeof(rand), 0, rand, 0 },
		{ "--sqn", sizeof(sqn), 0, sqn, 0 },
		{ "--amf", sizeof(amf), 0, amf, 0 },
	};
	struct om_milenage m;
	struct om_milenage_out o;
	int have_m = 0, rc;

	memset(&o, 0, sizeof(o));
	have_m = cli_subscriber_args(argv[0], argc, argv, opts, sizeof(opts) / sizeof(opts[0]), usage, &m, opc, &rc);
	if (!have_m)
		goto out;

	int err = om_milenage_all(&m, rand, sqn, amf, &o);
	if (err < 0) {
		fprintf(stderr, "openmcim milenage: %s\n", om_strerror(err));
		rc = 1;
		goto out;
	}
	for (int i = 0; i < OM_SQN_LEN; i++)
		autn[i] = sqn[i] ^ o.ak[i];
	memcpy(autn + OM_SQN_LEN, amf, OM_AMF_LEN);
	memcpy(autn + OM_SQN_LEN + OM_AMF_LEN, o.mac_a, OM_MAC_LEN);

	cli_print_hex("OPc", opc, sizeof(opc));
	cli_print_hex("MAC-A", o.mac_a, sizeof(o.mac_a));
	cli_print_hex("MAC-S", o.mac_s, sizeof(o.mac_s));
	cli_print_hex("RES", o.res, sizeof(o.res));
	cli_print_hex("CK", o.ck, sizeof(o.ck));
	cli_print_hex("IK", o.ik, sizeof(o.ik));
	cli_print_hex("AK", o.ak, sizeof(o.ak));
	cli_print_hex("AK*", o.ak_s, sizeof(o.ak_s));
	cli_print_hex("AUTN", autn, sizeof(autn));
	if (cli_flush("milenage"))
		rc = 1;
out:
	if (have_m)
		om_milenage_clear(&m);
	cli_cleanse(opts, sizeof(opts) / sizeof(opts[0])); /* K, OP and OPc as given */
	OPENSSL_cleanse(opc, sizeof(opc));
	OPENSSL_cleanse(&o, sizeof(o));
	return rc;
}
