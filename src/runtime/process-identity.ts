import fs from "node:fs";
import os from "node:os";

/**
 * Who holds a lock, precisely enough to tell later whether that process is still alive. A pid
 * is only meaningful on its own host and in its own pid namespace (two containers may share a
 * hostname), so the host key carries both; the process start time tells a reused pid from the
 * holder itself.
 */
export interface ProcessIdentity {
  /** `user@hostname:pid`, for people. */
  holder: string;
  /** Hostname plus pid namespace: processes with equal keys can see each other's pids. */
  host: string;
  pid: number;
  /** Start time of the process in clock ticks since boot (Linux), when readable. */
  pid_start?: string;
}

const pidNamespace = (): string => {
  try {
    return fs.readlinkSync("/proc/self/ns/pid");
  } catch {
    return "";
  }
};

/** Field 22 of /proc/<pid>/stat (after the parenthesised command, which may hold spaces). */
export const processStartTime = (pid: number): string | undefined => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19];
  } catch {
    return undefined;
  }
};

const userName = (): string => {
  try {
    return os.userInfo().username;
  } catch {
    return "unknown";
  }
};

export const hostKey = (): string => `${os.hostname()}|${pidNamespace()}`;

export const currentProcess = (): ProcessIdentity => {
  const start = processStartTime(process.pid);
  return {
    holder: `${userName()}@${os.hostname()}:${process.pid}`,
    host: hostKey(),
    pid: process.pid,
    ...(start === undefined ? {} : { pid_start: start }),
  };
};

/**
 * Whether a process recorded on this host (same host key) is provably gone: no such pid, or
 * the pid now belongs to a process started at another time. A pid we may not signal (EPERM)
 * is alive.
 */
export const provablyDead = (p: { pid: number; pid_start?: string }): boolean => {
  if (!Number.isInteger(p.pid) || p.pid <= 0) return false;
  try {
    process.kill(p.pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
  if (p.pid_start === undefined) return false;
  const now = processStartTime(p.pid);
  return now !== undefined && now !== p.pid_start;
};
