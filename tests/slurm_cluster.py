"""A throwaway one-node SLURM cluster on loopback for tests: munged, slurmctld and slurmd as child processes.

Everything (munge key, slurm.conf, state, spool, logs, sockets) lives under one directory; clients reach
the cluster through `SlurmCluster.env` (SLURM_CONF). Debian 12's `slurm-wlm` and `munge` provide the
binaries; nothing here installs them or touches the system's own /etc/slurm or /etc/munge.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

BINARIES = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scancel", "srun")
NODE = "localhost"
MIN_JOB_AGE_S = 3600

SLURM_CONF = """\
ClusterName=losstopo-test
SlurmctldHost={node}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser={user}
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={munge_socket}
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/run/slurmctld.pid
SlurmdPidFile={root}/run/slurmd.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
ReturnToService=2
MinJobAge={min_job_age}
NodeName={node} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory_mb} State=UNKNOWN
PartitionName=debug Nodes={node} Default=YES MaxTime=INFINITE State=UP
"""


def missing_binaries() -> list[str]:
    """The SLURM/munge programs this helper needs that are not on PATH (apt: slurm-wlm munge)."""
    return [name for name in BINARIES if shutil.which(name) is None]


def _free_ports(n: int) -> list[int]:
    """`n` distinct loopback ports that are free now (held open together so they differ)."""
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@dataclass
class SlurmCluster:
    """A running cluster: its directory, the client environment, and the daemons by name."""

    root: Path
    env: dict[str, str]
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def log(self, daemon: str) -> str:
        """The log of `daemon` (munged, slurmctld, slurmd), empty if it wrote none."""
        path = self.root / "log" / f"{daemon}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def logs(self) -> str:
        """Every daemon's log tail, for an assertion message."""
        return "\n".join(f"--- {d} ---\n{self.log(d)[-3000:]}" for d in ("munged", "slurmctld", "slurmd"))

    def run(self, *args: str, timeout: float = 30) -> subprocess.CompletedProcess:
        """A SLURM client command (sinfo, squeue, ...) against this cluster."""
        return subprocess.run(args, env=self.env, capture_output=True, text=True, timeout=timeout)

    def stop(self) -> None:
        """Cancel every job, then stop the daemons by PID, newest first (SIGTERM, SIGKILL after 15 s)."""
        if "slurmctld" in self.processes and self.processes["slurmctld"].poll() is None:
            try:
                self.run("scancel", "--full", "--user", str(os.getuid()), timeout=10)
            except subprocess.TimeoutExpired:
                pass
        for name in reversed(list(self.processes)):
            proc = self.processes[name]
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self.processes.clear()


def _write_config(root: Path, cpus: int, memory_mb: int) -> Path:
    """The cluster's directories, a fresh munge key and slurm.conf under `root`; returns the conf path."""
    for sub in ("state", "spool", "run", "log", "munge"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    key = root / "munge" / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o400)
    conf = root / "slurm.conf"
    ctld_port, slurmd_port = _free_ports(2)
    conf.write_text(SLURM_CONF.format(
        node=NODE, root=root, user=pwd.getpwuid(os.geteuid()).pw_name, munge_socket=root / "munge" / "socket",
        ctld_port=ctld_port, slurmd_port=slurmd_port, min_job_age=MIN_JOB_AGE_S, cpus=cpus,
        memory_mb=memory_mb,
    ))
    return conf


def _srun_shim(root: Path, conf: Path) -> Path:
    """A `bin/` with an `srun` that sets SLURM_CONF: the jobstep plugin (0.6.1) strips every SLURM_*
    variable but a few before its nested srun, so a cluster known only through SLURM_CONF is lost."""
    bin_dir = root / "bin"
    bin_dir.mkdir(exist_ok=True)
    shim = bin_dir / "srun"
    shim.write_text(f'#!/bin/sh\nexport SLURM_CONF="{conf}"\nexec "{shutil.which("srun")}" "$@"\n')
    shim.chmod(0o755)
    return bin_dir


def _spawn(cluster: SlurmCluster, name: str, args: list[str]) -> None:
    """Start one daemon in the foreground as a child, its console output in `log/<name>.out`."""
    with open(cluster.root / "log" / f"{name}.out", "wb") as out:
        cluster.processes[name] = subprocess.Popen(args, env=cluster.env, stdout=out,
                                                   stderr=subprocess.STDOUT)


def _wait_until(cluster: SlurmCluster, ready, what: str, timeout: float) -> None:
    """Poll `ready()` until true; raise with the daemons' logs if one dies or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dead = [n for n, p in cluster.processes.items() if p.poll() is not None]
        if dead:
            raise RuntimeError(f"{dead} exited while waiting for {what}:\n{cluster.logs()}")
        if ready():
            return
        time.sleep(0.5)
    raise TimeoutError(f"{what} not ready after {timeout:.0f} s:\n{cluster.logs()}")


def _node_idle(cluster: SlurmCluster) -> bool:
    """Whether slurmd has registered and the one node accepts jobs."""
    try:
        state = cluster.run("sinfo", "--noheader", "--Node", "--format=%T", timeout=10).stdout.split()
    except subprocess.TimeoutExpired:
        return False
    return state == ["idle"]


def start_cluster(root: Path, cpus: int = 2, memory_mb: int = 16000, timeout: float = 60) -> SlurmCluster:
    """Start munged, slurmctld and slurmd under `root` and wait until the node is idle; stops what it
    started and raises (with the daemons' logs) if the cluster does not come up."""
    root = Path(root).resolve()
    conf = _write_config(root, cpus, memory_mb)
    path = f"{_srun_shim(root, conf)}{os.pathsep}{os.environ.get('PATH', '')}"
    env = {**os.environ, "SLURM_CONF": str(conf), "PATH": path}
    cluster = SlurmCluster(root=root, env=env)
    munge = root / "munge"
    try:
        _spawn(cluster, "munged", [
            "munged", "--foreground", "--force", f"--socket={munge / 'socket'}",
            f"--key-file={munge / 'munge.key'}", f"--pid-file={munge / 'munged.pid'}",
            f"--seed-file={munge / 'seed'}", f"--log-file={root / 'log' / 'munged.log'}",
        ])
        _wait_until(cluster, (munge / "socket").exists, "munged's socket", timeout)
        _spawn(cluster, "slurmctld", ["slurmctld", "-D", "-i", "-f", str(conf)])
        _wait_until(cluster, lambda: cluster.run("sinfo", timeout=10).returncode == 0, "slurmctld", timeout)
        _spawn(cluster, "slurmd", ["slurmd", "-D", "-N", NODE, "-f", str(conf)])
        _wait_until(cluster, lambda: _node_idle(cluster), f"node {NODE} idle", timeout)
    except BaseException:
        cluster.stop()
        raise
    return cluster


@contextmanager
def slurm_cluster(root: Path, **kwargs) -> Iterator[SlurmCluster]:
    """`start_cluster` as a context: the daemons are stopped by PID on exit, also on failure."""
    cluster = start_cluster(root, **kwargs)
    try:
        yield cluster
    finally:
        cluster.stop()
