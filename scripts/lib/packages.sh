# Sourced by scripts/test and scripts/demo: installs the Debian packages the
# build and the tests need. Idempotent: apt-get runs only when one is missing.

PROMVIP_BUILD_PACKAGES="meson ninja-build pkg-config gcc libc6-dev scdoc
 libsystemd-dev libnl-3-dev libnl-route-3-dev libcurl4-openssl-dev
 libconfig-dev libjansson-dev libmicrohttpd-dev libcmocka-dev bash-completion"
PROMVIP_TEST_PACKAGES="python3 python3-pytest python3-scapy iproute2 iputils-ping procps
 clang libclang-rt-14-dev keepalived tshark tcpdump prometheus
 dpkg-dev debhelper fakeroot lintian rpm rpmlint systemd ansible-core
 systemd-container mmdebstrap openssh-client util-linux python3-matplotlib curl
 bash-completion man-db mandoc"
PROMVIP_DEMO_PACKAGES="iproute2 python3 procps prometheus"
PROMVIP_BENCH_PACKAGES="iproute2 python3 python3-scapy python3-matplotlib procps prometheus
 keepalived curl tcpdump tshark netsniff-ng stress-ng"

# ensure_packages PKG...: install the named packages unless all are present.
ensure_packages() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "error: missing Debian packages: ${missing[*]} (run as root to install them)" >&2
        return 1
    fi
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || return 1
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || return 1
}
