# Rule tests of the toa match, in the format of iptables' extensions/*.t
# (see libxt_TOA.t). The client's family is independent of the command's,
# so every rule holds for iptables and ip6tables alike.
:INPUT,FORWARD,OUTPUT
-p tcp -m toa --toa-src 198.51.100.0/24;=;OK
-p tcp -m toa ! --toa-src 198.51.100.0/24;=;OK
-p tcp -m toa --toa-src 198.51.100.7;-p tcp -m toa --toa-src 198.51.100.7/32;OK
-p tcp -m toa --toa-src 198.51.100.7/24;-p tcp -m toa --toa-src 198.51.100.0/24;OK
-p tcp -m toa --toa-src 198.51.100.0/255.255.255.0;-p tcp -m toa --toa-src 198.51.100.0/24;OK
-p tcp -m toa --toa-src 0.0.0.0/0;=;OK
-p tcp -m toa --toa-src 2001:db8::/32;=;OK
-p tcp -m toa ! --toa-src 2001:db8::1;-p tcp -m toa ! --toa-src 2001:db8::1/128;OK
-p tcp -m toa --toa-src 2001:db8:1:2::5/64;-p tcp -m toa --toa-src 2001:db8:1:2::/64;OK
-p tcp -m toa --toa-src ::/0;=;OK
-p tcp -m toa --toa-sport 1024;=;OK
-p tcp -m toa --toa-sport 1024:65535;=;OK
-p tcp -m toa ! --toa-sport 1:1023;=;OK
-p tcp -m toa --toa-sport 1024:;-p tcp -m toa --toa-sport 1024:65535;OK
-p tcp -m toa --toa-sport :1023;-p tcp -m toa --toa-sport 0:1023;OK
-p tcp -m toa --toa-sport 80:80;-p tcp -m toa --toa-sport 80;OK
-p tcp -m toa --toa-present;=;OK
-p tcp -m toa ! --toa-present;=;OK
-p tcp -m toa --toa-src 198.51.100.0/24 ! --toa-sport 1:1023 --toa-present;=;OK
-p tcp -m toa --toa-present ! --toa-src 2001:db8::/32;-p tcp -m toa ! --toa-src 2001:db8::/32 --toa-present;OK
:INPUT
-m toa --toa-present;;FAIL
-p udp -m toa --toa-present;;FAIL
-p tcp -m toa;;FAIL
-p tcp -m toa ! --toa-present --toa-src 198.51.100.0/24;;FAIL
-p tcp -m toa ! --toa-present ! --toa-sport 80;;FAIL
-p tcp -m toa --toa-src example.com;;FAIL
-p tcp -m toa --toa-src 198.51.100.0/33;;FAIL
-p tcp -m toa --toa-src 198.51.100.0/-1;;FAIL
-p tcp -m toa --toa-src 2001:db8::/129;;FAIL
-p tcp -m toa --toa-src 198.51.100.0/255.0.255.0;;FAIL
-p tcp -m toa --toa-src 2001:db8::/ffff::;;FAIL
-p tcp -m toa --toa-src 198.51.100.0/24 --toa-src 203.0.113.0/24;;FAIL
-p tcp -m toa --toa-sport 2000:1000;;FAIL
-p tcp -m toa --toa-sport 65536;;FAIL
-p tcp -m toa --toa-sport 1:65536;;FAIL
-p tcp -m toa --toa-sport no-such-service;;FAIL
-p tcp -m toa --toa-sport 80 --toa-sport 81;;FAIL
-p tcp -m toa --toa-present --toa-present;;FAIL
*mangle
:PREROUTING,INPUT,FORWARD,OUTPUT,POSTROUTING
-p tcp -m toa --toa-present;=;OK
*raw
:PREROUTING,OUTPUT
-p tcp -m toa ! --toa-present;=;OK
*nat
:PREROUTING,INPUT,OUTPUT,POSTROUTING
-p tcp -m toa --toa-src 198.51.100.0/24;=;OK
