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

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ANSIBLE = os.path.join(REPO, "packaging", "ansible")
ROLES = os.path.join(ANSIBLE, "roles")
EXAMPLES = os.path.join(ANSIBLE, "examples")
HANDLER = (True, "Reload promvipd")
SCRIPTS = (False, "Install hook and probe scripts")
CONFIG = (False, "Write promvip.conf (checked by promvipd --config-test)")


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


def write_lab(tmp_path, promvipd, hostvars=None, extra_groupvars=""):
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
        m = re.match(r"^(ok|changed|skipping|fatal|failed): \[([\w.-]+)\]", line)
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


def test_config_step_renders_valid_configs(tmp_path, promvipd):
    inventory, play, paths = write_lab(tmp_path, promvipd)
    r = run_playbook(["-i", str(inventory), str(play), "--tags", "config"],
                     ansible_env(tmp_path))
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    tasks, recap = results(r.stdout)
    # Only the config tasks ran (no scripts to copy): nothing installed, the
    # service untouched; the handler was notified but skipped
    # (promvip_manage_service=false).
    assert list(tasks) == [SCRIPTS, CONFIG, HANDLER], out
    assert tasks[SCRIPTS] == {"prom-a": "skipping", "prom-b": "skipping"}, out
    assert tasks[CONFIG] == {"prom-a": "changed", "prom-b": "changed"}, out
    assert tasks[HANDLER] == {"prom-a": "skipping", "prom-b": "skipping"}, out
    assert recap == {h: {"ok": 1, "changed": 1, "unreachable": 0, "failed": 0, "skipped": 2,
                         "rescued": 0, "ignored": 0} for h in paths}, out
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
    assert list(tasks) == [SCRIPTS, CONFIG], out
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


@pytest.mark.parametrize("bad, message", [
    ("-e promvip_realtime_priority=100", "'realtime_priority' must be between 0 and 99 (got 100)"),
    ("-e promvip_priority=300", "'priority' must be between 1 and 255 (got 300)"),
    ("promvip_vip=not-an-address", "bad virtual address 'not-an-address'"),
])
def test_invalid_variables_refused_by_validate(tmp_path, promvipd, bad, message):
    extra = bad if not bad.startswith("-e ") else None
    inventory, play, paths = write_lab(tmp_path, promvipd, extra_groupvars=extra)
    args = ["-i", str(inventory), str(play), "--tags", "config"]
    if bad.startswith("-e "):
        args += ["-e", bad[3:]]
    r = run_playbook(args, ansible_env(tmp_path))
    out = r.stdout + r.stderr
    assert r.returncode != 0, out
    assert "failed to validate" in out, out
    assert message in out, out
    assert "RUNNING HANDLER" not in out, out
    for path in paths.values():
        assert not path.exists(), f"{path} was written"


def test_missing_vip_fails_clearly(tmp_path, promvipd):
    inventory, play, paths = write_lab(tmp_path, promvipd, extra_groupvars="promvip_listen=127.0.0.1:9662")
    r = run_playbook(["-i", str(inventory), str(play), "--tags", "config"], ansible_env(tmp_path))
    out = r.stdout + r.stderr
    assert r.returncode != 0, out
    assert "promvip_vip is not set" in out, out
    for path in paths.values():
        assert not path.exists()
