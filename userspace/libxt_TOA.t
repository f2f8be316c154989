# Rule tests of the TOA target, in the format of iptables' extensions/*.t:
# ":CHAINS" and "*TABLE" set where the rules go; "RULE;SAVED;OK" must be
# accepted and saved as SAVED ("=" for RULE itself), "RULE;;FAIL" refused.
# Run by tests/e2e/tests-match.sh for iptables and ip6tables, nft and legacy.
:PREROUTING
*mangle
-p tcp -j TOA;=;OK
-p tcp -j TOA --toa-kind 200,254;-p tcp -j TOA;OK
-p tcp -j TOA --toa-kind 254,200,254;-p tcp -j TOA;OK
-p tcp -j TOA --toa-kind 200;=;OK
-p tcp -j TOA --toa-kind 253;=;OK
-p tcp -j TOA --toa-kind 254;=;OK
-p tcp -j TOA --toa-kind 254,253;-p tcp -j TOA --toa-kind 253,254;OK
-p tcp -j TOA --toa-kind 200,253,254;=;OK
-p tcp -j TOA --toa-from syn;=;OK
-p tcp -j TOA --toa-kind 254 --toa-from ack;=;OK
-p tcp -j TOA --toa-from any;-p tcp -j TOA;OK
-p tcp -j TOA --toa-from fin;;FAIL
-p tcp -j TOA --toa-kind 201;;FAIL
-p tcp -j TOA --toa-kind 0x200;;FAIL
-p tcp -j TOA --toa-kind;;FAIL
-p tcp -j TOA --toa-kind 200,;;FAIL
-p tcp -j TOA --toa-kind 200 --toa-kind 254;;FAIL
-p tcp -j TOA --toa-mode insert;;FAIL
-p udp -j TOA;;FAIL
-j TOA;;FAIL
:INPUT,FORWARD,OUTPUT,POSTROUTING
-p tcp -j TOA;;FAIL
*filter
:INPUT,FORWARD,OUTPUT
-p tcp -j TOA;;FAIL
*raw
:PREROUTING,OUTPUT
-p tcp -j TOA;;FAIL
-p tcp -j TOA --toa-from syn;;FAIL
:PREROUTING
-p tcp -j TOA --toa-from ack;=;OK
-p tcp -j TOA --toa-kind 254 --toa-from ack;=;OK
:OUTPUT
-p tcp -j TOA --toa-from ack;;FAIL
*nat
:PREROUTING
-p tcp -j TOA;;FAIL
