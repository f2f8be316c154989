# --toa-insert in iptables: the 8-byte formats, which hold an IPv4 client.
# Same format as libxt_TOA.t; run for iptables only.
:FORWARD,POSTROUTING
*mangle
-p tcp -j TOA --toa-insert 200/8;=;OK
-p tcp -j TOA --toa-insert 253/8;=;OK
-p tcp -j TOA --toa-insert 254/8;=;OK
-o eth1 -p tcp -m conntrack --ctstate DNAT -j TOA --toa-insert 254/8;=;OK
-p tcp -j TOA --toa-insert 253/20;;FAIL
-p tcp -j TOA --toa-insert 254/20;;FAIL
-p tcp -j TOA --toa-insert 254;;FAIL
-p tcp -j TOA --toa-insert 254/8 --toa-kind 254;;FAIL
-p udp -j TOA --toa-insert 254/8;;FAIL
-j TOA --toa-insert 254/8;;FAIL
:PREROUTING,INPUT,OUTPUT
-p tcp -j TOA --toa-insert 254/8;;FAIL
*filter
:FORWARD
-p tcp -j TOA --toa-insert 254/8;;FAIL
*nat
:POSTROUTING
-p tcp -j TOA --toa-insert 254/8;;FAIL
