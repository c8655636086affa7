#!/usr/bin/env bash
# The test command: installs what the tests need when it is missing, then runs
# every check CI runs (format, lints, docs, the whole test suite, no stale
# snapshot). `.ci/run` calls exactly this script.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests drive: tshark (traffic oracle), chromium (HTML
# report screenshots), nftables/iproute2/samba/smbclient (lab), python3-samba
# (Samba's independent Registry.pol parser), iptables (iptables-restore --test).
missing=()
command -v tshark >/dev/null 2>&1 || missing+=(tshark)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v nft >/dev/null 2>&1 || missing+=(nftables)
command -v iptables-restore >/dev/null 2>&1 || missing+=(iptables)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v smbd >/dev/null 2>&1 || missing+=(samba)
command -v smbclient >/dev/null 2>&1 || missing+=(smbclient)
/usr/bin/python3 -c 'from samba.dcerpc import preg' >/dev/null 2>&1 || missing+=(python3-samba)
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ]; then
    echo "test.sh: installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "test.sh: WARNING: missing ${missing[*]} and not root; tests that need them will say SKIPPED" >&2
  fi
fi

# Checkers of the detection content (suricata, zeek and sigma targets), from PyPI into the
# python3 on PATH, pinned: sigma-cli with the Splunk and Elasticsearch backends, suricata-check,
# zeekscript (zeek-script parse).
pip_missing=()
command -v sigma >/dev/null 2>&1 || pip_missing+=(sigma-cli==3.1.0)
python3 -c 'import sigma.backends.splunk' >/dev/null 2>&1 || pip_missing+=(pySigma-backend-splunk==2.1.0)
python3 -c 'import sigma.backends.elasticsearch' >/dev/null 2>&1 || pip_missing+=(pySigma-backend-elasticsearch==2.1.1)
command -v suricata-check >/dev/null 2>&1 || pip_missing+=(suricata-check==0.9.3b0)
command -v zeek-script >/dev/null 2>&1 || pip_missing+=(zeekscript==1.3.6)
if ((${#pip_missing[@]})); then
  echo "test.sh: installing ${pip_missing[*]} from PyPI" >&2
  python3 -m pip install --quiet "${pip_missing[@]}" >&2 || echo "test.sh: WARNING: pip install failed" >&2
  hash -r
fi

# With every tool present, a test that cannot find one fails instead of skipping.
if command -v tshark >/dev/null 2>&1 && command -v chromium >/dev/null 2>&1 \
  && command -v sigma >/dev/null 2>&1 && command -v suricata-check >/dev/null 2>&1 \
  && command -v zeek-script >/dev/null 2>&1 \
  && /usr/bin/python3 -c 'from samba.dcerpc import preg' >/dev/null 2>&1; then
  export SMBGUARD_REQUIRE_TOOLS=1
fi

# A check from scratch gains nothing from incremental compilation and pays for its
# bookkeeping (and gigabytes of disk); an explicit CARGO_INCREMENTAL wins.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# Documenting an example turns dev-dependencies on, so the dependencies are checked with the
# same features clippy just used and are not checked a second time (without it, `cargo doc`
# re-checks ~230 crates). `throughput` is documented because the two `scale` examples
# would collide in target/doc.
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --lib --bins --example throughput

# Snapshots, reviewed with "unreferenced = reject" and without needing
# cargo-insta: a mismatch fails instead of writing a `.snap.new`
# (INSTA_UPDATE=no), and insta appends every snapshot file an assertion
# touches to INSTA_SNAPSHOT_REFERENCES_FILE, so a `.snap` no test names is
# found below.
refs="$(mktemp)"
trap 'rm -f "$refs"' EXIT
export INSTA_UPDATE=no INSTA_SNAPSHOT_REFERENCES_FILE="$refs"
# cargo-nextest (part of the CI machine's toolchain) runs every crate's tests in one pool
# (.config/nextest.toml keeps lab runs one at a time); it does not run doc tests, so those
# follow. Without it, `cargo test` runs the same tests one binary after another.
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked
  cargo test --workspace --locked --doc
else
  cargo test --workspace --locked
fi
scripts/check-snapshots.sh "$refs"
