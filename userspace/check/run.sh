#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Offline checks of libxt_TOA.so (no kernel access). Run via "make check".
set -u
here=$(cd "$(dirname "$0")" && pwd)
XTABLES_LIBDIR="$here/..:$(pkg-config --variable=xtlibdir xtables)"
export XTABLES_LIBDIR
chk="$here/toa_check"
failed=0 passed=0

# ok FAMILY "EXPECTED PRINT" "EXPECTED SAVE" ARGS...
ok() {
	fam=$1 eprint=$2 esave=$3; shift 3
	out=$("$chk" "$fam" "$@") || { echo "FAIL ($fam) $*: rejected: $out"; failed=$((failed + 1)); return; }
	print=$(printf '%s\n' "$out" | sed -n 's/^print://p')
	save=$(printf '%s\n' "$out" | sed -n 's/^save://p')
	blob=$(printf '%s\n' "$out" | grep '^tginfo:')
	if [ "$print" != "$eprint" ] || [ "$save" != "$esave" ]; then
		echo "FAIL ($fam) $*: print '$print' save '$save'," \
		     "expected '$eprint' '$esave'"; failed=$((failed + 1)); return
	fi
	# Round trip: the saved options must parse back to the same blob.
	# shellcheck disable=SC2086
	out2=$("$chk" "$fam" $save) || { echo "FAIL ($fam) $*: save '$save' does not parse back: $out2"; failed=$((failed + 1)); return; }
	blob2=$(printf '%s\n' "$out2" | grep '^tginfo:')
	save2=$(printf '%s\n' "$out2" | sed -n 's/^save://p')
	if [ "$blob" != "$blob2" ] || [ "$save" != "$save2" ]; then
		echo "FAIL ($fam) $*: round trip '$blob' '$save' -> '$blob2' '$save2'"; failed=$((failed + 1)); return
	fi
	passed=$((passed + 1)); echo "ok   ($fam) ${*:-(no options)} -> print '$print' save '$save' $blob"
}

# bad FAMILY "EXPECTED ERROR SUBSTRING" ARGS...
bad() {
	fam=$1 emsg=$2; shift 2
	out=$("$chk" "$fam" "$@"); rc=$?
	if [ $rc -ne 2 ]; then
		echo "FAIL ($fam) $*: accepted or wrong status $rc: $out"; failed=$((failed + 1)); return
	fi
	case "$out" in
	*"$emsg"*) passed=$((passed + 1)); echo "ok   ($fam) $* -> rejected: $(printf '%s\n' "$out" | grep '^error:')" ;;
	*) echo "FAIL ($fam) $*: message '$out' lacks '$emsg'"; failed=$((failed + 1)) ;;
	esac
}

for f in 4 6; do
	ok $f " TOA kinds 200,254" ""
	ok $f " TOA kinds 200,254" "" --toa-kind 200,254
	ok $f " TOA kinds 200,254" "" --toa-kind 254,200
	ok $f " TOA kinds 200,254" "" --toa-kind=254,200,254
	ok $f " TOA kinds 200" " --toa-kind 200" --toa-kind 200
	ok $f " TOA kinds 253" " --toa-kind 253" --toa-kind 253
	ok $f " TOA kinds 254" " --toa-kind 254" --toa-kind 254
	ok $f " TOA kinds 253,254" " --toa-kind 253,254" --toa-kind 254,253
	ok $f " TOA kinds 200,253,254" " --toa-kind 200,253,254" --toa-kind 254,253,200
	ok $f " TOA kinds 200" " --toa-kind 200" --toa-kind 200,200
	ok $f " TOA kinds 200" " --toa-kind 200" --toa-kind 0200

	bad $f "empty kind in list" --toa-kind ,200
	bad $f "empty kind in list" --toa-kind 200,
	bad $f "empty kind in list" --toa-kind 200,,254
	bad $f "empty kind in list" --toa-kind ,
	bad $f "needs a list of kinds" --toa-kind ""
	bad $f "unsupported option kind \"201\"" --toa-kind 201
	bad $f "unsupported option kind \"0\"" --toa-kind 200,0
	bad $f "unsupported option kind \"99999999999999999999\"" --toa-kind 99999999999999999999
	bad $f "\"abc\" is not a kind number" --toa-kind abc
	bad $f "\"0xc8\" is not a kind number" --toa-kind 0xc8
	bad $f "\"-200\" is not a kind number" --toa-kind -200
	bad $f "\" 200\" is not a kind number" --toa-kind " 200"
	bad $f "\"200 \" is not a kind number" --toa-kind "200 "
	bad $f "\"200;254\" is not a kind number" --toa-kind "200;254"
	bad $f "can only be used once" --toa-kind 200 --toa-kind 254
	bad $f "cannot be inverted" ! --toa-kind 200
	bad $f "bad argument" --toa-kind
	bad $f "bad argument" --bogus

	bad $f "unsupported format" --toa-insert 254
	bad $f "unsupported format" --toa-insert 200/20
	bad $f "unsupported format" --toa-insert 201/8
	bad $f "unsupported format" --toa-insert ""
	bad $f "cannot be used together" --toa-insert 254/8 --toa-kind 254
	bad $f "cannot be used together" --toa-kind 254 --toa-insert 254/20
	bad $f "can only be used once" --toa-insert 254/8 --toa-insert 254/8
	bad $f "cannot be inverted" ! --toa-insert 254/8

	ok $f " TOA kinds 200,254" "" --toa-from any
	ok $f " TOA kinds 200,254 from syn" " --toa-from syn" --toa-from syn
	ok $f " TOA kinds 200,254 from ack" " --toa-from ack" --toa-from ack
	ok $f " TOA kinds 254 from ack" " --toa-kind 254 --toa-from ack" --toa-from ack --toa-kind 254
	bad $f "expected syn, ack or any" --toa-from data
	bad $f "expected syn, ack or any" --toa-from SYN
	bad $f "expected syn, ack or any" --toa-from ""
	bad $f "can only be used once" --toa-from syn --toa-from ack
	bad $f "cannot be used together" --toa-insert 254/8 --toa-from ack
	bad $f "cannot be inverted" ! --toa-from syn
done

# Which length suits which family is the kernel's check (libipt_TOA.t,
# libip6t_TOA.t): the plugin is shared by both.
for fmt in 200/8 253/8 254/8 253/20 254/20; do
	ok 4 " TOA insert $fmt" " --toa-insert $fmt" --toa-insert $fmt
done

# Every option of both tables gets through iptables' own command line,
# where a name that iptables has too would be taken for its own ("--insert"
# is -I). iptables-translate parses as iptables does and sends nothing to
# the kernel.
rules="-t mangle -A PREROUTING -p tcp -j TOA --toa-kind 254 --toa-from ack
-t mangle -A POSTROUTING -p tcp -j TOA --toa-insert 254/8
-A INPUT -p tcp -m toa --toa-src 192.0.2.0/24 --toa-sport 80
-A INPUT -p tcp -m toa ! --toa-present"
while read -r rule; do
	# shellcheck disable=SC2086
	out=$(iptables-translate $rule 2>&1)
	case "$out" in
	"nft # "* | "nft 'add rule "*) passed=$((passed + 1)); echo "ok   iptables parses: $rule" ;;
	*) echo "FAIL iptables parses: $rule: $out"; failed=$((failed + 1)) ;;
	esac
done <<EOF
$rules
EOF
for opt in $(sed -n 's/.*\.name[[:space:]]*= "\(toa-[a-z-]*\)".*/\1/p' "$here"/../libxt_TOA.c "$here"/../libxt_toa.c); do
	if printf '%s\n' "$rules" | grep -qE -- "--$opt( |\$)"; then
		passed=$((passed + 1)); echo "ok   --$opt among the rules iptables parses"
	else
		echo "FAIL --$opt is in no rule iptables parses here"; failed=$((failed + 1))
	fi
done

# iptables-translate: "ct helper set" with the helper that carries the
# rule's options, or "untranslatable" (nft # ...) where no helper does.
# xlate FAMILY "EXPECTED AFTER ct helper set, or #" TARGET OPTIONS...
xlate() {
	fam=$1 want=$2; shift 2
	ipt=iptables-translate rule="ip mangle PREROUTING ip protocol tcp"
	[ "$fam" = 6 ] && ipt=ip6tables-translate rule="ip6 mangle PREROUTING meta l4proto tcp"
	out=$($ipt -t mangle -A PREROUTING -p tcp "$@" 2>&1)
	case "$want:$out" in
	"#:nft # "* | "$want:nft 'add rule $rule counter ct helper set $want'") ok=1 ;;
	*) ok=0 ;;
	esac
	if [ "$ok" = 1 ]; then
		passed=$((passed + 1)); echo "ok   $ipt $* -> $out"
	else
		echo "FAIL $ipt $*: '$out', want ct helper set $want"; failed=$((failed + 1))
	fi
}
for f in 4 6; do
	xlate $f '"toa"' -j TOA
	xlate $f '"toa"' -j TOA --toa-kind 254,200
	xlate $f '"toa-254"' -j TOA --toa-kind 254
	xlate $f '"toa-200"' -j TOA --toa-kind 200
	xlate $f '"toa-253"' -j TOA --toa-kind 253
	xlate $f '"toa-ack"' -j TOA --toa-from ack
	xlate $f '"toa-syn"' -j TOA --toa-from syn
	xlate $f '"toa-254-ack"' -j TOA --toa-kind 254 --toa-from ack
	xlate $f '"toa-253-syn"' -j TOA --toa-kind 253 --toa-from syn
	xlate $f "#" -j TOA --toa-kind 200,253
	xlate $f "#" -j TOA --toa-kind 200,253,254 --toa-from ack
done
xlate 4 "#" -j TOA --toa-insert 254/8
xlate 6 "#" -j TOA --toa-insert 254/20

# Man pages: they render without a groff warning and document every option
# their plugin's table declares.
for pair in libxt_TOA.c:xt_TOA.8 libxt_toa.c:xt_toa.8; do
	src="$here/../${pair%%:*}" page="$here/../${pair#*:}"
	warn=$(LC_ALL=C groff -man -ww -z "$page" 2>&1)
	if [ -n "$warn" ]; then
		echo "FAIL ${page##*/}: groff: $warn"; failed=$((failed + 1))
	else
		passed=$((passed + 1)); echo "ok   ${page##*/} renders cleanly"
	fi
	for opt in $(sed -n 's/.*\.name[[:space:]]*= "\(toa-[a-z-]*\)".*/\1/p' "$src"); do
		if grep -qF -- "\\-\\-$(printf '%s' "$opt" | sed 's/-/\\-/g')" "$page"; then
			passed=$((passed + 1)); echo "ok   ${page##*/} documents --$opt"
		else
			echo "FAIL ${page##*/} does not document --$opt"; failed=$((failed + 1))
		fi
	done
done

# "make install" puts both plugins and both man pages where iptables and
# man look.
tmp=$(mktemp -d)
make -s -C "$here/.." install DESTDIR="$tmp" >/dev/null
for f in "$(pkg-config --variable=xtlibdir xtables)/libxt_TOA.so" \
	"$(pkg-config --variable=xtlibdir xtables)/libxt_toa.so" \
	/usr/share/man/man8/xt_TOA.8 /usr/share/man/man8/xt_toa.8; do
	if [ -f "$tmp$f" ]; then
		passed=$((passed + 1)); echo "ok   make install: $f"
	else
		echo "FAIL make install: no $f"; failed=$((failed + 1))
	fi
done
rm -rf "$tmp"

echo "plugin: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
