import * as fs from 'node:fs';

// Linux /proc helpers for telling a live process from a dead one or a reused pid.

const procAvailable = fs.existsSync('/proc/self/stat');

/** The fields of /proc/<pid>/stat after the command name (index 0 is the state), or undefined if unreadable. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** True when some process, zombies included, has this pid: what kill(pid, 0) tells (and what postgres checks). */
export function pidExists(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when pid names a running, non-zombie process, whoever owns it. */
export function isProcessAlive(pid: number): boolean {
  if (!pidExists(pid)) return false;
  if (!procAvailable) return true;
  const state = statFields(pid)?.[0];
  return state !== undefined && state !== 'Z' && state !== 'X';
}

/** The process start time in clock ticks since boot (stable for the life of the pid), if known. */
export function processStartTime(pid: number): string | undefined {
  return statFields(pid)?.[19];
}

/** The working directory of pid, or undefined when it is gone or belongs to a user we may not inspect. */
export function processCwd(pid: number): string | undefined {
  try {
    return fs.readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return undefined;
  }
}

/** The kernel's id for this boot, so pids recorded before a reboot are never mistaken for live ones. */
export function bootId(): string | undefined {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Whether /proc can be used to verify what a pid is. */
export function canInspectProcesses(): boolean {
  return procAvailable;
}
