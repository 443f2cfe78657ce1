#!/usr/bin/env bash
# SIP over TLS with certificates checked (mcu.sip.tls.ca_file,
# verify_client, an endpoint's tls_subject): a CA made here signs the
# MCU's certificate and two client certificates (CN sip1.example and
# CN intruder.example). sip1 has tls_subject: sip1.example.
# - the client verifies the MCU's certificate against the CA and its host;
# - sip1 with its certificate: 200;
# - no client certificate, or one of the wrong subject: the TLS handshake
#   is refused (sofia-sip checks certificates in the handshake), no call;
# - sip1 over UDP (no certificate possible): 403 and a log line;
# - sip2 (no tls_subject) over UDP: 200 as before.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
PROBE=$SRC/tests/tools/siprobe.py
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
sip=$(free_port)
tls=$(free_port)
api=$(free_port)
cd "$WORK" || exit 1
ossl() { openssl "$@" >>"$WORK/openssl.log" 2>&1; }
ossl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca \
	-keyout ca.key -out ca.pem
# sign NAME CN [SAN]: NAME.pem/NAME.key signed by the CA
sign() {
	ossl req -newkey rsa:2048 -nodes -subj "/CN=$2" -keyout "$1.key" -out "$1.csr"
	printf 'subjectAltName=%s\n' "${3:-DNS:$2}" >"$1.ext"
	ossl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
		-days 2 -out "$1.pem" -extfile "$1.ext"
	chmod 600 "$1.key"
}
sign server 127.0.0.1 IP:127.0.0.1
sign client sip1.example
sign intruder intruder.example
check "CA, server and client certificates made" \
	test -s ca.pem -a -s server.pem -a -s client.pem -a -s intruder.pem
python3 "$TOOLS/mkroster.py" --base 48500 --legs h264/opus --sip-branches 2 \
	--sip-port "$sip" --tls-port "$tls" --tls-cert "$WORK/server.pem" \
	--tls-key "$WORK/server.key" --api-port "$api" >roster.in
sed -e "s|key: \"$WORK/server.key\"}|key: \"$WORK/server.key\", ca_file: \"$WORK/ca.pem\", verify_client: true}|" \
	-e 's|^    sip: "sip:sip1@127.0.0.1"$|&\n    tls_subject: sip1.example|' \
	roster.in >roster.yaml
check "roster has ca_file and sip1's tls_subject" \
	grep -q "tls_subject: sip1.example" roster.yaml
check "mcud starts the meeting" start_mcud "$WORK/roster.yaml"
# A TLS client: prints "ok" when the connection carries data both ways,
# else the error. TLS 1.3 reports a refused client certificate only on the
# first read after the handshake, so an OPTIONS is sent and answered.
tls_try() {
	python3 - "$tls" "$@" <<'EOF'
import socket, ssl, sys
port = int(sys.argv[1])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations("ca.pem")
if len(sys.argv) > 2:
    ctx.load_cert_chain(sys.argv[2] + ".pem", sys.argv[2] + ".key")
try:
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), 5),
                        server_hostname="127.0.0.1")
    s.settimeout(5)
    s.sendall(b"OPTIONS sips:t@127.0.0.1 SIP/2.0\r\n"
              b"Via: SIP/2.0/TLS 127.0.0.1:1;branch=z9hG4bKx1\r\n"
              b"From: <sip:p@127.0.0.1>;tag=1\r\nTo: <sip:t@127.0.0.1>\r\n"
              b"Call-ID: tlsv1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
              b"Content-Length: 0\r\n\r\n")
    d = s.recv(4096)
    if not d:
        print("refused: closed after the handshake")
    else:
        print("ok" if d.startswith(b"SIP/2.0 200") else "no answer %r" % d[:40])
except (ssl.SSLError, OSError) as e:
    print("refused:", e)
EOF
}
r=$(tls_try client)
check "the MCU's certificate verifies against the CA and 127.0.0.1; sip1's certificate is accepted ($r)" test "$r" = ok
r=$(tls_try)
check "no client certificate: the TLS connection is refused ($r)" test "${r%%:*}" = refused
r=$(tls_try intruder)
check "a certificate of the wrong subject: refused ($r)" test "${r%%:*}" = refused
check "mcud logged the subject mismatch" wait_for mcud.log "Peer Subject Mismatch (incoming connection)" 5
# sofia reports the refused handshake as "TLS setup failed" when the
# client's missing certificate is read inside the handshake, and as a
# failed SSL_read when TLS 1.3 let the handshake end first (seen in CI)
check "and the refused handshake" grep -Eq "TLS setup failed|tls_read: SSL_read" mcud.log
r=$(SIPROBE_TLS_CA=ca.pem SIPROBE_TLS_CERT=client.pem SIPROBE_TLS_KEY=client.key \
	python3 "$PROBE" call --proto tls --target "127.0.0.1:$tls" --from sip1 --hold 0.5)
check "sip1 with its certificate: INVITE 200, BYE 200 ($r)" test "${r%% audio*}" = "invite=200 bye=200"
r=$(SIPROBE_TLS_CA=ca.pem python3 "$PROBE" call --proto tls \
	--target "127.0.0.1:$tls" --from sip1 --hold 0.5 2>&1 | tail -1)
check "sip1 without a certificate: no call ($r)" test "${r#invite=200}" = "$r"
r=$(python3 "$PROBE" call --proto udp --target "127.0.0.1:$sip" --from sip1 --hold 0.5)
check "sip1 over UDP: 403 ($r)" test "${r%% *}" = invite=403
check "and a log line says why" wait_for mcud.log "endpoint sip1 needs SIP over TLS with a client certificate: 403" 5
r=$(python3 "$PROBE" call --proto udp --target "127.0.0.1:$sip" --from sip2 --hold 0.5)
check "sip2 (no tls_subject) over UDP: 200 ($r)" test "${r%% audio*}" = "invite=200 bye=200"
kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0
finish
