import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * Lowers the OS scheduling priority of the calling thread (not the process) to `niceness` (0–19).
 * Called at the top of worker threads that chew on untrusted input, so that on a small machine the
 * event loop (health, the viewer's proxy) wins the CPU when both want it.
 *
 * Linux only: /proc/thread-self names this thread's id, and setpriority(PRIO_PROCESS, tid) applies
 * to that one thread (man 2 setpriority, "NOTES"). Elsewhere the thread keeps the process priority,
 * which is the behaviour before this function existed: a missing optimisation, not an error.
 * Returns whether the priority was lowered.
 */
export function lowerThreadPriority(niceness = 10): boolean {
  if (process.platform !== 'linux') return false;
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  if (!Number.isInteger(tid) || tid <= 0) return false;
  setPriority(tid, niceness);
  return true;
}
