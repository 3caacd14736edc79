"""A throwaway PostgreSQL 15 for scripts: initdb in a temp dir, run as the `postgres` user (the
server refuses root), listening on 127.0.0.1 at a free port with trust authentication; `close()`
stops it and removes the dir. Shared by scripts/security.py and scripts/approval-latency.py; `free_port`
also by scripts/faults.py."""
import os
import shutil
import socket
import subprocess
import tempfile

PGBIN = "/usr/lib/postgresql/15/bin"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Postgres:
    """A throwaway PostgreSQL 15 on 127.0.0.1:PORT, run as the postgres user (trust auth, loopback)."""

    def __init__(self, prefix="lifeboat-pg-"):
        self.parent = tempfile.mkdtemp(prefix=prefix)
        os.chmod(self.parent, 0o755)
        self.data = self.parent + "/data"
        self.port = free_port()
        self._as_postgres(PGBIN + "/initdb", "--no-sync", "--auth=trust", "-U", "postgres", "-D", self.data, check=False,
                          prepare=True)
        out = self._as_postgres(PGBIN + "/pg_ctl", "start", "-w", "-D", self.data, "-l", self.data + "/log",
                                "-o", "-c listen_addresses=127.0.0.1 -c port=%d -c unix_socket_directories=%s"
                                % (self.port, self.parent), check=False)
        if out.returncode != 0:
            raise RuntimeError("pg_ctl start failed: " + out.stderr.strip())

    def _as_postgres(self, *argv, check=True, prepare=False):
        if prepare:
            subprocess.run(["chown", "postgres:postgres", self.parent], check=True)
        out = subprocess.run(["runuser", "-u", "postgres", "--", *argv], cwd="/", capture_output=True, text=True,
                             timeout=120)
        if check and out.returncode != 0:
            raise RuntimeError("%s failed: %s" % (argv[0], out.stderr.strip()))
        return out

    def psql(self, sql):
        out = self._as_postgres(PGBIN + "/psql", "-X", "-At", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                                "-d", "postgres", "-c", sql, check=False)
        if out.returncode != 0:
            raise RuntimeError("psql failed: " + out.stderr.strip())
        return out.stdout.strip()

    def conninfo(self, database="postgres", user="postgres"):
        return "host=127.0.0.1 port=%d dbname=%s user=%s" % (self.port, database, user)

    def close(self):
        self._as_postgres(PGBIN + "/pg_ctl", "stop", "-m", "immediate", "-D", self.data, check=False)
        shutil.rmtree(self.parent, ignore_errors=True)
