#!/bin/sh
# The worked example of docs/formats.md "Outcome statement", made without
# openmcim: the to-be-signed bytes are written out field by field from the
# layout (printf), the signature is openssl's. Run from this directory; the
# key is regenerated only when absent (a new key changes statement.hex, not
# tbs.hex). objects_outcome_test checks our encoder against tbs.hex and our
# verifier against statement.hex (version 2) and statement-v1.hex (version 1,
# without the blocked MIDs, still read).
set -eu
# tre-sign.pem is a published test key, for this example only.
[ -f tre-sign.pem ] || openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out tre-sign.pem
openssl pkey -in tre-sign.pem -pubout -out tre-sign.pub.pem

# body, in order:
tre_id='0c 5452452d3030303030303031'          # len 12, "TRE-00000001"
imsi='0f 303031303230303030303030303031'      # len 15, "001020000000001"
outcome='01'                                  # active
nonce_b='00112233445566778899aabbccddeeff'
sequence='00000002'                           # 2
counter='0000000000000007'                    # 7
time='000000006b0cc900'                       # 1796000000 = 2026-11-30T00:53:20Z
blocked='01'                                  # 1 MID blocked (version 2 on)
pad() { printf '%064s' "$1" | tr ' ' 0; }
# sign TBS_HEX_FILE OUT: ECDSA-SHA256 over header | body; the DER Ecdsa-Sig-Value becomes r | s (32 bytes each)
sign() {
	xxd -r -p "$1" > tbs.bin
	openssl dgst -sha256 -sign tre-sign.pem -out sig.der tbs.bin
	openssl dgst -sha256 -verify tre-sign.pub.pem -signature sig.der tbs.bin >/dev/null
	r=$(openssl asn1parse -inform DER -in sig.der | awk -F: 'NR==2 {print $NF}')
	s=$(openssl asn1parse -inform DER -in sig.der | awk -F: 'NR==3 {print $NF}')
	{ tr -d '\n' < "$1"; pad "$r"; pad "$s"; echo; } | tr 'A-F' 'a-f' > "$2"
	rm -f tbs.bin sig.der
}
# version 02: magic "OMMO", version 02, type 04 (outcome), scheme 01 (ECDSA P-256), body length 0x0043 = 67
echo "4f4d4d4f 02 04 01 0043 $tre_id $imsi $outcome $nonce_b $sequence $counter $time $blocked" | tr -d ' ' > tbs.hex
test "$(xxd -r -p tbs.hex | wc -c)" -eq 76
sign tbs.hex statement.hex
# version 01, as TREs before the blocked MIDs signed it: body length 0x0042 = 66
echo "4f4d4d4f 01 04 01 0042 $tre_id $imsi $outcome $nonce_b $sequence $counter $time" | tr -d ' ' > tbs-v1.hex
test "$(xxd -r -p tbs-v1.hex | wc -c)" -eq 75
sign tbs-v1.hex statement-v1.hex
