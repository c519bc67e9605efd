#!/bin/sh
# Verifies this Docket audit bundle with standard tools only: sh, cat, wc, sha256sum, grep and
# openssl (1.1.1 or later, for Ed25519). Run it from anywhere: sh verify.sh
# Exit 0 when everything holds; 1 naming the first thing that does not.
set -u
cd "$(dirname "$0")" || exit 2
fail() { echo "FAILED: $*"; exit 1; }
for t in cat wc sha256sum grep openssl; do
  command -v "$t" >/dev/null 2>&1 || { echo "verify.sh needs $t"; exit 2; }
done
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM

fp=$(openssl pkey -pubin -in public.pem -outform DER 2>/dev/null | tail -c 32 | sha256sum | cut -c1-16)
echo "ledger key fingerprint: $fp (compare it with the one your bank publishes)"

# 1. Every file is the one exported, and the export was signed by the ledger key.
sha256sum -c --quiet MANIFEST.sha256 || fail "a file of the bundle differs from MANIFEST.sha256"
openssl pkeyutl -verify -pubin -inkey public.pem -rawin -in MANIFEST.sha256 -sigfile MANIFEST.sig >/dev/null 2>&1 \
  || fail "MANIFEST.sig does not verify with public.pem: the manifest was altered"
echo "manifest: ok"

# 2. Recompute the hash chain: SHA-256 over (prev, seq, ts, run_id, kind, payload), each part
#    preceded by its length as 8 bytes big-endian.
lenpfx() {
  n=$(wc -c < "$1"); n=$((n + 0)); i=7; fmt=""
  while [ $i -ge 0 ]; do
    fmt="$fmt$(printf '\\%03o' $(( (n >> (i * 8)) & 255 )))"; i=$((i - 1))
  done
  printf "$fmt"
}
part() { lenpfx "$1"; cat "$1"; }
read -r seq prev < chain/START || fail "chain/START is missing"
first=$seq; last=""
while [ -d "chain/$seq" ]; do
  d="chain/$seq"
  printf %s "$prev" > "$tmp/prev"; printf %s "$seq" > "$tmp/seq"
  h=$({ part "$tmp/prev"; part "$tmp/seq"; part "$d/ts"; part "$d/run_id"; part "$d/kind"; part "$d/payload"; } | sha256sum | cut -d' ' -f1)
  [ "$h" = "$(cat "$d/hash")" ] || fail "ledger entry $seq ($(cat "$d/kind")) was altered: its content does not match its hash"
  prev=$h; last=$seq; seq=$((seq + 1))
done
[ -n "$last" ] || fail "the bundle holds no ledger entries"
echo "chain: entries $first..$last recomputed"

# 3. The chain ends at a checkpoint signed by the ledger key.
cp=$(cat checkpoint.txt)
case "$cp" in
  "docket-ledger-v1 seq=$last hash=$prev prev="*) ;;
  *) fail "the checkpoint does not sign entry $last with hash $prev: an entry was removed or altered" ;;
esac
openssl pkeyutl -verify -pubin -inkey public.pem -rawin -in checkpoint.txt -sigfile checkpoint.sig >/dev/null 2>&1 \
  || fail "the checkpoint signature does not verify with public.pem: it was forged"
echo "checkpoint: entry $last signed"

# 4. Documents and reports are the ones the ledger recorded.
if [ -s documents.sha256 ]; then
  sha256sum -c --quiet documents.sha256 || fail "a document differs from its recorded hash"
  while read -r h f; do
    grep -rqF "$h" chain || fail "$f: hash $h is not recorded in the ledger entries"
  done < documents.sha256
fi
echo "documents: ok"
echo "OK: bundle verified"
