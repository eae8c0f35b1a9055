#!/usr/bin/env bash
# Installs or starts what the project needs from the system, only when missing:
# Python 3.11, Node.js/npm, RabbitMQ (started if stopped). Extra Debian packages
# to install may be given as arguments (e.g. docker-compose and chromium for the
# tests; chromium is checked as /usr/bin/chromium, the path the browser tests launch).
set -euo pipefail

say() { echo "[setup] $*"; }
can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; }
apt_install() {
  if can_apt; then
    say "installation de $* (apt-get)"
    [ -n "${_APT_UPDATED:-}" ] || { apt-get update -qq || true; _APT_UPDATED=1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    say "ERREUR : il manque $*. Installez-le(s) (ex. : sudo apt-get install $*) puis relancez."
    exit 1
  fi
}
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

command -v python3.11 >/dev/null || python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
  || apt_install python3.11 python3.11-venv
command -v npm >/dev/null || apt_install nodejs npm

# RabbitMQ: only when the configured broker is the local default one.
if [ -z "${AMQP_URI:-}" ] || [[ "${AMQP_URI}" == *"127.0.0.1:5672"* || "${AMQP_URI}" == *"localhost:5672"* ]]; then
  if ! port_open 127.0.0.1 5672; then
    command -v rabbitmq-server >/dev/null || apt_install rabbitmq-server
    say "démarrage de RabbitMQ"
    rabbitmq-server -detached >/dev/null 2>&1 || true
    for _ in $(seq 1 60); do port_open 127.0.0.1 5672 && break; sleep 1; done
    port_open 127.0.0.1 5672 || { say "ERREUR : RabbitMQ ne répond pas sur 127.0.0.1:5672"; exit 1; }
  fi
fi

# ClamAV (antivirus of the attachments): only the clamd binary is used;
# devtools.clamd starts a private clamd with its own configuration. The
# package's own services (clamav-daemon, freshclam downloads) are switched off
# right after installing it here.
if [ ! -x /usr/sbin/clamd ] && ! command -v clamd >/dev/null; then
  apt_install clamav-daemon
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    systemctl disable --now clamav-daemon.socket clamav-daemon.service clamav-freshclam.service \
      >/dev/null 2>&1 || true
  fi
fi

# promtool (Debian's prometheus package) checks deploy/prometheus in the tests. Only the tool is used:
# the package's own Prometheus daemon is stopped and disabled right after installing it.
install_promtool() {
  command -v promtool >/dev/null && return
  apt_install prometheus
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    systemctl disable --now prometheus.service >/dev/null 2>&1 || true
  elif [ -x /etc/init.d/prometheus ]; then
    /etc/init.d/prometheus stop >/dev/null 2>&1 || true
  fi
}

# DejaVu fonts: the PDF archive of a request embeds them so French accents render (services/web/exports.py).
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || apt_install fonts-dejavu-core

for pkg in "$@"; do
  case "$pkg" in
    chromium) [ -x /usr/bin/chromium ] || apt_install chromium ;;
    promtool) install_promtool ;;
    *) command -v "$pkg" >/dev/null || apt_install "$pkg" ;;
  esac
done
