# --toa-insert in ip6tables: the 20-byte formats, which hold an IPv6 client.
# Same format as libxt_TOA.t; run for ip6tables only.
:FORWARD,POSTROUTING
*mangle
-p tcp -j TOA --toa-insert 253/20;=;OK
-p tcp -j TOA --toa-insert 254/20;=;OK
-o eth1 -p tcp -m conntrack --ctstate DNAT -j TOA --toa-insert 254/20;=;OK
-p tcp -j TOA --toa-insert 200/8;;FAIL
-p tcp -j TOA --toa-insert 253/8;;FAIL
-p tcp -j TOA --toa-insert 254/8;;FAIL
-p tcp -j TOA --toa-insert 200/20;;FAIL
-p udp -j TOA --toa-insert 254/20;;FAIL
:PREROUTING,INPUT,OUTPUT
-p tcp -j TOA --toa-insert 254/20;;FAIL
*filter
:FORWARD
-p tcp -j TOA --toa-insert 254/20;;FAIL
