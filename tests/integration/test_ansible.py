"""The Ansible role (packaging/ansible/roles/promvip): the example playbook
passes --syntax-check, and the role's config step (--tags config), run
against localhost (connection local) for a two-host inventory, renders a
promvip.conf per host that the daemon under test accepts; an invalid variable
set is refused by the template's `validate:` and writes nothing. Nothing is
installed or started: the service tag is not run and promvip_manage_service
is false, so the reload handler is skipped (checked)."""

import json
import os
import re
import shutil
import subprocess

import pytest

from vrrp import promvipctl_path

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ANSIBLE = os.path.join(REPO, "packaging", "ansible")
ROLES = os.path.join(ANSIBLE, "roles")
EXAMPLES = os.path.join(ANSIBLE, "examples")
HANDLER = (True, "Reload promvipd")
SCRIPTS = (False, "Install hook and probe scripts")
CONFIG = (False, "Write promvip.conf (checked by promvipd --config-test)")
# The pair check, in order (promvipctl check-pair over both rendered configs).
CHECK = [(False, name) for name in (
    "Directory for the pair's configurations on the controller",
    "Render each host's promvip.conf on the controller",
    "Directory for the pair's configurations on the first host",
    "Copy the pair's configurations to the first host",
    "promvipctl check-pair over every host's promvip.conf",
    "The pair check's report",
    "Stop when the pair check failed",
    "Remove the pair's configurations from the first host",
    "Remove the pair's configurations from the controller")]


def ansible_env(tmp_path):
    cfg = tmp_path / "ansible.cfg"
    cfg.write_text("[defaults]\n")
    env = dict(os.environ)
    env.update({
        "ANSIBLE_ROLES_PATH": ROLES,
        "ANSIBLE_CONFIG": str(cfg),           # not one from the cwd or ~
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-local"),
        "ANSIBLE_REMOTE_TEMP": str(tmp_path / "ansible-remote"),
        "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_STDOUT_CALLBACK": "default",
        "ANSIBLE_PYTHON_INTERPRETER": "/usr/bin/python3",
    })
    return env


def playbook_bin():
    path = shutil.which("ansible-playbook")
    if path is None:
        pytest.fail("ansible-playbook not found (Debian package ansible-core)", pytrace=False)
    return path


def run_playbook(args, env):
    return subprocess.run([playbook_bin(), *args], env=env, capture_output=True,
                          text=True, timeout=55)


def write_lab(tmp_path, promvipd, hostvars=None, extra_groupvars="", promvipctl=None):
    """Two hosts like the example inventory, both local, each writing its
    config into its own directory under tmp_path."""
    hostvars = hostvars or {"prom-a": "promvip_priority=150", "prom-b": "promvip_priority=100"}
    lines = ["[prometheus]"]
    paths = {}
    for host, hv in hostvars.items():
        d = tmp_path / host
        d.mkdir()
        paths[host] = d / "promvip.conf"
        lines.append(f"{host} {hv} promvip_config_path={paths[host]}")
    lines += ["", "[prometheus:vars]", "ansible_connection=local",
              "ansible_python_interpreter=/usr/bin/python3",
              f"promvip_promvipd={promvipd}", "promvip_manage_service=false",
              f"promvip_promvipctl={promvipctl or promvipctl_path(promvipd)}",
              # This machine has no group promvip (the package creates it).
              "promvip_config_group=root",
              extra_groupvars or "promvip_vip=192.0.2.100/24", ""]
    inventory = tmp_path / "inventory.ini"
    inventory.write_text("\n".join(lines))
    play = tmp_path / "play.yml"
    play.write_text("- hosts: prometheus\n  gather_facts: false\n  roles: [promvip]\n")
    return inventory, play, paths


def results(out):
    """From ansible-core's default callback output: {task or handler name:
    {host: status}} (status: ok, changed, skipping, fatal...) and the recap
    {host: {ok: n, changed: n, failed: n, ...}}."""
    tasks, recap, current = {}, {}, None
    for line in out.splitlines():
        m = re.match(r"^(TASK|RUNNING HANDLER) \[promvip : (.*?)\]", line)
        if m:
            current = (m.group(1) == "RUNNING HANDLER", m.group(2))
            tasks.setdefault(current, {})
            continue
        m = re.match(r"^(ok|changed|skipping|fatal|failed): \[([\w.-]+)(?: -> [\w.-]+)?\]", line)
        if m and current:
            tasks[current][m.group(2)] = m.group(1)
            continue
        m = re.match(r"^([\w.-]+)\s+: (ok=.*)$", line)
        if m:
            recap[m.group(1)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(2))}
    return tasks, recap


def test_example_playbook_syntax(tmp_path):
    env = ansible_env(tmp_path)
    r = run_playbook(["--syntax-check", "-i", os.path.join(EXAMPLES, "inventory.ini"),
                      os.path.join(EXAMPLES, "site.yml")], env)
    assert r.returncode == 0, r.stdout + r.stderr
    # The example inventory defines the pair the README shows.
    r = subprocess.run([shutil.which("ansible-inventory") or "ansible-inventory", "--list",
                        "-i", os.path.join(EXAMPLES, "inventory.ini")],
                       env=env, capture_output=True, text=True, timeout=55)
    assert r.returncode == 0, r.stderr
    inv = json.loads(r.stdout)
    hv = inv["_meta"]["hostvars"]
    assert sorted(inv["prometheus"]["hosts"]) == ["prom-a", "prom-b"]
    assert hv["prom-a"]["promvip_priority"] == 150 and hv["prom-b"]["promvip_priority"] == 100
    assert hv["prom-a"]["promvip_vip"] == "192.0.2.100/24"


def assert_temp_dirs_removed(out):
    """The pair check's temporary directories (shown in its report) are gone."""
    dirs = set(re.findall(r"(/tmp/promvip-check-pair\.[\w]+)/", out))
    assert dirs, out
    for d in dirs:
        assert not os.path.exists(d), d


def test_config_step_renders_valid_configs(tmp_path, promvipd):
    inventory, play, paths = write_lab(tmp_path, promvipd)
    r = run_playbook(["-i", str(inventory), str(play), "--tags", "config"],
                     ansible_env(tmp_path))
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    tasks, recap = results(r.stdout)
    # Only the config tasks ran (no scripts to copy): nothing installed, the
    # service untouched; the handler was notified but skipped
    # (promvip_manage_service=false). First the pair check, once (on the
    # first host), over both hosts' configs rendered on the controller.
    assert list(tasks) == CHECK + [SCRIPTS, CONFIG, HANDLER], out
    assert tasks[CHECK[1]] == {"prom-a": "ok", "prom-b": "ok"}, out
    assert tasks[CHECK[4]] == {"prom-a": "ok"}, out
    assert tasks[CHECK[6]] == {"prom-a": "skipping", "prom-b": "skipping"}, out
    assert "2 hosts, 1 router: 0 errors, 1 warning" in out, out
    assert re.search(r"'ready' fails on prom-a \(3\.5 s\)\s+90\s+100\s+prom-b\s+prom-a", out), out
    assert tasks[SCRIPTS] == {"prom-a": "skipping", "prom-b": "skipping"}, out
    assert tasks[CONFIG] == {"prom-a": "changed", "prom-b": "changed"}, out
    assert tasks[HANDLER] == {"prom-a": "skipping", "prom-b": "skipping"}, out
    assert recap == {h: {"ok": ok, "changed": 1, "unreachable": 0, "failed": 0, "skipped": 3,
                         "rescued": 0, "ignored": 0} for h, ok in (("prom-a", 9), ("prom-b", 2))}, out
    assert_temp_dirs_removed(out)
    for host, prio in (("prom-a", 150), ("prom-b", 100)):
        path = paths[host]
        text = path.read_text()
        assert f"priority = {prio};" in text, text
        assert '"192.0.2.100/24"' in text, text
        assert f'router_id = "{host}";' in text, text
        assert 'interface = "eth0";' in text, text         # no facts: the default
        assert 'query = "time() - max(timestamp(up))";' in text, text
        assert oct(path.stat().st_mode & 0o777) == "0o640"
        t = subprocess.run([promvipd, "--config-test", "-f", str(path)],
                           capture_output=True, text=True, timeout=30)
        assert t.returncode == 0, t.stdout + t.stderr
        assert "configuration OK: 2 probes, 1 instance (prometheus: eth0 vrid 51 IPv4 v3)" \
            in t.stdout + t.stderr, t.stdout + t.stderr

    # Second run: nothing changes, so the handler is not even notified.
    r = run_playbook(["-i", str(inventory), str(play), "--tags", "config"],
                     ansible_env(tmp_path))
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    tasks, recap = results(r.stdout)
    assert list(tasks) == CHECK + [SCRIPTS, CONFIG], out
    assert tasks[CONFIG] == {"prom-a": "ok", "prom-b": "ok"}, out
    assert all(recap[h]["changed"] == 0 for h in paths), out


def test_optional_keys_rendered(tmp_path, promvipd):
    """Hooks (argv lists, quotes escaped), unicast peers and log_level."""
    inventory, play, paths = write_lab(tmp_path, promvipd,
                                       {"prom-a": "promvip_priority=150"})
    extra = {"promvip_notify": {"master": ["/usr/bin/true", 'say "master"'], "timeout": 10},
             "promvip_unicast_peers": ["192.0.2.12"], "promvip_log_level": "debug"}
    r = run_playbook(["-i", str(inventory), str(play), "--tags", "config",
                      "-e", json.dumps(extra)], ansible_env(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    text = paths["prom-a"].read_text()
    assert 'notify = { master = ( "/usr/bin/true", "say \\"master\\"" ); timeout = 10; };' in text, text
    assert 'unicast_peers = ( "192.0.2.12" );' in text, text
    assert 'log_level = "debug";' in text, text


def test_issue17_keys_rendered(tmp_path, promvipd):
    """A file probe (drain flag), track_interfaces with and without a
    weight, a unicast instance without a VIP with unicast_ttl and
    unicast_min_ttl (numbers given as strings, as an INI inventory has them),
    and promvip_sync_groups with hooks: rendered with their keys, accepted
    by --config-test and by the pair check."""
    inventory, play, paths = write_lab(tmp_path, promvipd, {"prom-a": "promvip_priority=150"})
    track = ["ready", "fresh", "drain"]
    ifaces = ["eth1", {"interface": "eth2", "weight": "-50"}]
    extra = {
        "promvip_extra_probes": [{"name": "drain", "type": "file", "path": "/var/lib/promvip/drain",
                                  "weight": -100, "missing": "0"}],
        "promvip_instances": [
            {"name": "prometheus", "interface": "eth0", "vrid": 51, "priority": "{{ promvip_priority }}",
             "virtual_addresses": "192.0.2.100/24", "track": track, "track_interfaces": ifaces},
            {"name": "relay", "interface": "eth0", "vrid": 52, "priority": "{{ promvip_priority }}",
             "unicast_peers": "192.0.2.12", "unicast_ttl": "64", "unicast_min_ttl": 250, "family": "ipv4",
             "track": track, "track_interfaces": ifaces},
        ],
        "promvip_sync_groups": [{"name": "prom", "instances": ["prometheus", "relay"],
                                 "notify": {"master": ["/usr/bin/true", "sync master"],
                                            "backup": "/usr/bin/true", "timeout": 10}}],
    }
    r = run_playbook(["-i", str(inventory), str(play), "--tags", "config", "-e", json.dumps(extra)],
                     ansible_env(tmp_path))
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert "1 host, 2 routers: 0 errors" in out, out
    text = paths["prom-a"].read_text()
    for want in ('{ name = "drain"; type = "file"; path = "/var/lib/promvip/drain"; weight = -100; missing = 0; }',
                 'track = ( "ready", "fresh", "drain" ); '
                 'track_interfaces = ( "eth1", { interface = "eth2"; weight = -50; } ); }',
                 'unicast_peers = ( "192.0.2.12" ); unicast_ttl = 64; unicast_min_ttl = 250; family = "ipv4"; ',
                 '\n\nsync_groups = (\n  { name = "prom"; instances = ( "prometheus", "relay" ); '
                 'notify = { master = ( "/usr/bin/true", "sync master" ); backup = "/usr/bin/true"; timeout = 10; }; }\n);\n'):
        assert want in text, f"{want!r} not in:\n{text}"
    assert text.endswith(");\n"), text
    t = subprocess.run([promvipd, "--config-test", "-f", str(paths["prom-a"])],
                       capture_output=True, text=True, timeout=30)
    assert t.returncode == 0, t.stdout + t.stderr
    assert "configuration OK: 3 probes, 2 instances" in t.stdout + t.stderr, t.stdout + t.stderr


def test_without_new_variables_nothing_new_rendered(tmp_path, promvipd):
    """The defaults (promvip_sync_groups empty) render no key of issue 17:
    a config the role wrote before is written again byte for byte, so an
    upgrade of the role changes nothing and reloads nothing."""
    inventory, play, paths = write_lab(tmp_path, promvipd, {"prom-a": "promvip_priority=150"})
    r = run_playbook(["-i", str(inventory), str(play), "--tags", "config"], ansible_env(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    text = paths["prom-a"].read_text()
    for key in ("sync_groups", "track_interfaces", "unicast_ttl", "unicast_min_ttl", "missing", "family"):
        assert key not in text, f"{key} in:\n{text}"
    # The instances list is the last thing in the file, as before.
    assert re.search(r"\ninstances = \(\n  \{ name = \"prometheus\"; [^\n]*\}\n\);\n\Z", text), text
    r = run_playbook(["-i", str(inventory), str(play), "--tags", "config", "-e", '{"promvip_sync_groups": []}'],
                     ansible_env(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    tasks, recap = results(r.stdout)
    assert tasks[CONFIG] == {"prom-a": "ok"} and recap["prom-a"]["changed"] == 0, r.stdout


def test_realtime_keys_rendered(tmp_path, promvipd):
    """promvip_realtime_priority and promvip_lock_memory (INI strings on
    prom-a, off by default on prom-b, where the keys are left out). The
    drop-in tasks are tagged `service`: not run here."""
    inventory, play, paths = write_lab(tmp_path, promvipd, {
        "prom-a": "promvip_priority=150 promvip_realtime_priority=50 promvip_lock_memory=yes",
        "prom-b": "promvip_priority=100"})
    r = run_playbook(["-i", str(inventory), str(play), "--tags", "config"], ansible_env(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    a, b = paths["prom-a"].read_text(), paths["prom-b"].read_text()
    assert "  realtime_priority = 50;\n" in a and "  lock_memory = true;\n" in a, a
    assert "realtime_priority" not in b and "lock_memory" not in b, b
    assert "drop-in" not in r.stdout, r.stdout


@pytest.mark.parametrize("check_pair", [True, False])
@pytest.mark.parametrize("bad, message", [
    ("-e promvip_realtime_priority=100", "'realtime_priority' must be between 0 and 99 (got 100)"),
    ("-e promvip_priority=300", "'priority' must be between 1 and 255 (got 300)"),
    ("promvip_vip=not-an-address", "bad virtual address 'not-an-address'"),
])
def test_invalid_variables_refused(tmp_path, promvipd, bad, message, check_pair):
    """Refused by the pair check first (check-pair exits 2: a config that
    does not load), or, with the check off, by the template's `validate:`."""
    extra = bad if not bad.startswith("-e ") else None
    inventory, play, paths = write_lab(tmp_path, promvipd, extra_groupvars=extra)
    args = ["-i", str(inventory), str(play), "--tags", "config",
            "-e", f"promvip_check_pair={str(check_pair).lower()}"]
    if bad.startswith("-e "):
        args += ["-e", bad[3:]]
    r = run_playbook(args, ansible_env(tmp_path))
    out = r.stdout + r.stderr
    assert r.returncode != 0, out
    if check_pair:
        assert "promvipctl check-pair exited 2 (a configuration does not load" in out, out
        assert "Write promvip.conf" not in out, out
        assert_temp_dirs_removed(out)
    else:
        assert "failed to validate" in out, out
        assert "check-pair exited" not in out and "2 hosts" not in out, out
    assert message in out, out
    assert "RUNNING HANDLER" not in out, out
    for path in paths.values():
        assert not path.exists(), f"{path} was written"


def test_bad_pair_stops_the_play_before_any_change(tmp_path, promvipd):
    """A pair whose probe failure does not move the VIP (150/100 and a
    check with weight -2, as keepalived guides have it): the play fails on
    both hosts at the pair check, before promvip.conf changes on either
    (each keeps the one a good run wrote), and the report says why."""
    inventory, play, paths = write_lab(tmp_path, promvipd)
    args = ["-i", str(inventory), str(play), "--tags", "config"]
    r = run_playbook(args, ansible_env(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    before = {h: p.read_text() for h, p in paths.items()}
    track = json.dumps({"promvip_track": [{"probe": "ready", "weight": -2}], "promvip_check_pair_target": 2})
    r = run_playbook(args + ["-e", track], ansible_env(tmp_path))
    out = r.stdout + r.stderr
    assert r.returncode != 0, out
    tasks, recap = results(r.stdout)
    assert tasks[CHECK[6]] == {"prom-a": "fatal", "prom-b": "fatal"}, out
    assert CONFIG not in tasks and SCRIPTS not in tasks, out
    assert {h: c["failed"] for h, c in recap.items()} == {"prom-a": 1, "prom-b": 1}, out
    assert "promvipctl check-pair exited 1 (errors found)" in out, out
    assert ("error: 'prometheus' (vrid 51, IPv4): 'ready' failing on prom-a (priority 150 -> 148) does not "
            "move the VIP") in out, out
    assert "give 'ready' a weight of -51 or lower on prom-a" in out, out
    # --target 2 from promvip_check_pair_target: ready takes 3 x 1 s + 0.5 s.
    assert "probe 'ready' on prom-a: fall 3 x interval 1 s + timeout 0.5 s = 3.5 s" in out, out
    assert_temp_dirs_removed(out)
    assert {h: p.read_text() for h, p in paths.items()} == before


def test_missing_vip_fails_clearly(tmp_path, promvipd):
    inventory, play, paths = write_lab(tmp_path, promvipd, extra_groupvars="promvip_listen=127.0.0.1:9662")
    r = run_playbook(["-i", str(inventory), str(play), "--tags", "config"], ansible_env(tmp_path))
    out = r.stdout + r.stderr
    assert r.returncode != 0, out
    assert "promvip_vip is not set" in out, out
    for path in paths.values():
        assert not path.exists()
