#!/bin/sh
# notify-example.sh: an example promvip notify hook (POSIX sh).
#
# It logs each transition of a virtual router and shows where to act on
# it. Copy it, keep what you need, and install it so that only root can
# change it (promvipd refuses a hook that is not owned by root, is writable
# by a non-root group or by others, or sits below a directory that someone
# other than root can write to, unless that directory has the sticky bit):
#
#   install -o root -g root -m 0755 notify-example.sh /etc/promvip/notify.sh
#   promvipd --config-test      # names the file and the reason if refused
#
# and name it in the instance's `notify` group, for every transition:
#
#   notify = { any = "/etc/promvip/notify.sh"; timeout = 10; };
#
# or for single states (a list is the argv, no shell in between):
#
#   notify = { master = ( "/etc/promvip/notify.sh", "--some-option" ); };
#
# How promvipd runs it
#   - As global.script_user (default "promvip"), not as root, with a clean
#     environment: PATH, LANG, HOME, USER, LOGNAME and
#       PROMVIP_INSTANCE        instance name, e.g. "prometheus"
#       PROMVIP_STATE           new state: MASTER, BACKUP, FAULT or STOP
#       PROMVIP_PREVIOUS_STATE  state before: INIT, BACKUP, MASTER or FAULT
#       PROMVIP_PRIORITY        effective priority, e.g. "150"
#       PROMVIP_VRID            virtual router id, e.g. "51"
#       PROMVIP_VIPS            the VIPs, space-separated, e.g. "192.0.2.100/24"
#   - As the `any` hook it also gets keepalived's notify arguments after its
#     own: INSTANCE <name> <state> <priority>. So a keepalived notify script
#     works unchanged, and this one works as any of the hooks.
#   - One hook at a time per instance, in the order of the transitions. A
#     slow hook delays the hooks queued behind it (never VRRP), and a newer
#     transition drops those still waiting (hooks_dropped): after a quick
#     MASTER -> BACKUP -> MASTER during a run, only the last MASTER runs
#     next. The last state's hooks always run.
#   - Still running after `timeout` (default 30 s) it gets SIGTERM, its
#     whole process group, and SIGKILL 0.5 s later. Keep it short; give
#     every network call its own timeout.
#   - Its output (stdout and stderr) goes to promvipd's log (the journal
#     under systemd); its exit status is logged, and anything but 0 counts
#     as a failed hook (hooks_failed). It never changes the VRRP state.
#
# Under the packaged systemd unit it runs inside promvipd's sandbox, as
# promvip: the file system is read-only (a drop-in with ReadWritePaths=
# opens a directory that promvip owns), and NoNewPrivileges= rules out sudo.
# What needs root (systemctl, ip) needs promvipd itself to run as root: see
# the README, "systemd unit".

set -u

# Where the message goes: "stderr" (promvipd's log) or "syslog" (logger -t promvip).
LOG_TO=stderr

# keepalived's arguments (the `any` hook): the last four, after any of
# your own from the config (this example ignores those). Else the environment.
while [ "$#" -gt 4 ]; do
    shift
done
if [ "$#" -eq 4 ] && [ "$1" = INSTANCE ]; then
    instance=$2
    state=$3
    priority=$4
else
    instance=${PROMVIP_INSTANCE:-unknown}
    state=${PROMVIP_STATE:-unknown}
    priority=${PROMVIP_PRIORITY:-unknown}
fi
previous=${PROMVIP_PREVIOUS_STATE:-unknown}
vrid=${PROMVIP_VRID:-unknown}
vips=${PROMVIP_VIPS:-none}

msg="instance '$instance' (vrid $vrid) $previous -> $state, priority $priority, VIPs: $vips"
if [ "$LOG_TO" = syslog ] && command -v logger >/dev/null 2>&1; then
    logger -t promvip -- "$msg"
else
    echo "promvip notify: $msg" >&2
fi

case $state in
MASTER)
    # This host holds the VIPs now and has announced them. For example:
    # tell your monitoring, or start a job that must run on one host only.
    : ;;
BACKUP)
    # Another host is master (or none yet: at start every instance is
    # BACKUP first, PROMVIP_PREVIOUS_STATE=INIT).
    : ;;
FAULT)
    # The interface is down or a probe with weight 0 failed: no VIPs here.
    : ;;
STOP)
    # promvipd is stopping (or the instance was removed by a reload); the
    # VIPs have been released.
    : ;;
*)
    echo "promvip notify: unexpected state '$state'" >&2
    ;;
esac

# promvipd only logs the exit status; 0 says all went well.
exit 0
