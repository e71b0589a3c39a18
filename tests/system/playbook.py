"""The Ansible side of the system tests: a controller that runs the
project's example playbook (packaging/ansible/examples/site.yml, with the
role from packaging/ansible/roles) over SSH against the booted hosts, as
an operator does. It runs `ansible-playbook` inside the lab's client
namespace (the hosts are reachable only on the lab's bridge), with its own
key, known_hosts, configuration and inventory in a work directory, and
ANSIBLE_HOME there too, so nothing of root's own Ansible set-up is used or
changed. Stdlib only."""

import json
import os
import re
import subprocess

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SITE = os.path.join(REPO, "packaging", "ansible", "examples", "site.yml")
ROLES = os.path.join(REPO, "packaging", "ansible", "roles")
RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


class PlaybookRun:
    def __init__(self, r, log):
        self.returncode, self.output, self.log = r.returncode, r.stdout + r.stderr, log
        self.recap = {m.group(1): {"ok": int(m.group(2)), "changed": int(m.group(3)),
                                   "unreachable": int(m.group(4)), "failed": int(m.group(5))}
                      for m in RECAP.finditer(self.output)}

    def changed(self):
        return {h: c["changed"] for h, c in self.recap.items()}

    def changed_tasks(self):
        """Names of the tasks that reported a change, with the host."""
        found, task = [], None
        for line in self.output.splitlines():
            m = re.match(r"^(?:TASK|RUNNING HANDLER) \[(.*)\]", line)
            if m:
                task = m.group(1).split(" : ", 1)[-1]   # without the "promvip : " of the role
            m = re.match(r"^changed: \[([^\]]+)\]", line)
            if m:
                found.append(f"{m.group(1)}: {task}")
        return found


class Controller:
    def __init__(self, lab, workdir, user):
        self.lab, self.dir, self.user = lab, workdir, user
        os.makedirs(workdir, exist_ok=True)
        self.key = os.path.join(workdir, "id_ed25519")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "promvip-system-tests",
                        "-f", self.key], check=True, capture_output=True)
        self.runs = 0

    def public_key(self):
        with open(self.key + ".pub") as f:
            return f.read()

    def configure(self, machines, addresses):
        """known_hosts and ansible.cfg for the hosts (Machine, address)."""
        with open(os.path.join(self.dir, "known_hosts"), "w") as f:
            for m in machines:
                f.write(f"{addresses[m.hostname]} {m.host_key()}\n")
        cfg = f"""[defaults]
roles_path = {ROLES}
private_key_file = {self.key}
remote_user = {self.user}
host_key_checking = True
interpreter_python = /usr/bin/python3
forks = 2
timeout = 20
nocows = True
stdout_callback = default

[ssh_connection]
ssh_args = -o UserKnownHostsFile={self.dir}/known_hosts -o ControlMaster=auto -o ControlPersist=30s -o ControlPath={self.dir}/cp-%C -o BatchMode=yes
pipelining = True
"""
        with open(os.path.join(self.dir, "ansible.cfg"), "w") as f:
            f.write(cfg)

    def run(self, inventory, extra=(), timeout=600):
        """ansible-playbook site.yml with `inventory` (a dict, the YAML
        inventory's structure); returns a PlaybookRun."""
        self.runs += 1
        inv = os.path.join(self.dir, f"inventory-{self.runs}.yml")
        with open(inv, "w") as f:
            json.dump(inventory, f, indent=2)   # JSON is YAML
        env = {"ANSIBLE_CONFIG": os.path.join(self.dir, "ansible.cfg"),
               "ANSIBLE_HOME": os.path.join(self.dir, "home"),
               "ANSIBLE_LOCAL_TEMP": os.path.join(self.dir, "tmp"),
               "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_NOCOLOR": "1",
               "HOME": self.dir, "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
        r = self.lab.run(self.lab.client.ns, ["ansible-playbook", "-i", inv, SITE] + list(extra),
                         timeout=timeout, env=env)
        log = os.path.join(self.dir, f"playbook-{self.runs}.log")
        with open(log, "w") as f:
            f.write(r.stdout + r.stderr)
        return PlaybookRun(r, log)
