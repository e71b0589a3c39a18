"""Removing the package from the backup: `apt-get remove` stops the daemon
and leaves no VIP; `apt-get purge` removes the rest of the package, keeps
what the administrator (or the role) wrote in /etc/promvip and the user
promvip (README, "Removing promvip"); the role installs it again. The
master serves throughout."""

from pair import failures, hosts_seen, runs


def sh(system, name, script):
    return system.m[name].sh(script).stdout


def test_remove_purge_reinstall_on_backup(system):
    system.settle("h1")
    client = system.client()
    h2 = system.m["h2"]

    r = h2.run(["apt-get", "remove", "-y", "promvip"], timeout=120)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr
    assert h2.run(["dpkg-query", "-W", "-f", "${Status}", "promvip"]).stdout == "deinstall ok config-files"
    assert h2.run(["pgrep", "-x", "promvipd"]).returncode == 1, "promvipd still runs"
    assert sh(system, "h2", "systemctl is-active promvipd").strip() != "active"
    assert system.holders() == ["h1"] and system.state("h1") == "MASTER"
    assert sh(system, "h2", "ls /etc/promvip").split() == ["check-user.sh", "notify.sh", "promvip.conf"]

    r = h2.run(["apt-get", "purge", "-y", "promvip"], timeout=120)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr
    r = h2.run(["dpkg-query", "-W", "-f", "${Status}", "promvip"])
    assert r.returncode != 0 or r.stdout.startswith("unknown"), r.stdout
    left = sh(system, "h2", "ls /lib/systemd/system/promvipd.service /usr/sbin/promvipd "
                            "/etc/systemd/system/multi-user.target.wants/promvipd.service 2>/dev/null; true")
    assert left == "", left
    # What the role wrote stays, and so does the user (its files may be left).
    assert sh(system, "h2", "ls /etc/promvip").split() == ["check-user.sh", "notify.sh", "promvip.conf"]
    assert h2.run(["getent", "passwd", "promvip"]).returncode == 0
    assert system.holders() == ["h1"] and system.state("h1") == "MASTER"

    run = system.playbook()
    assert run.returncode == 0, run.output[-4000:]
    # The package's postinst starts the unit, since the config is there.
    assert run.changed_tasks() == ["h2: Install promvip from promvip_0.1.0_amd64.deb"], run.output
    system.settle("h1", timeout=60)
    samples = system.finish(client)
    assert hosts_seen(samples) == ["h1"] and failures(samples) == 0, runs(samples)
