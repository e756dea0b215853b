// CPU time per process (and per thread of Chromium's renderers) from Linux's /proc, for benches that
// need to say where a browser-and-server flow spends its CPU rather than only how long it took: on a
// loaded machine the wall clock mostly measures the other processes, CPU time much less so.
import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ: /proc/<pid>/stat counts utime and stime in these ticks (100 on every Linux we run). */
const TICKS_PER_SECOND = 100;

/** CPU milliseconds (user + system) per label, summed over the processes and threads that carry it. */
export type CpuSnapshot = Map<string, number>;

function cpuMs(statPath: string): number {
  const stat = readFileSync(statPath, 'utf8');
  // Fields after the command name (which may contain spaces and parentheses): utime is the 14th field.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1000;
}

/** CPU seconds (user + system, all threads) a process has used so far; 0 when it is gone or undefined. */
export function cpuSecondsOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    return cpuMs(`/proc/${pid}/stat`) / 1000;
  } catch {
    return 0;
  }
}

/**
 * Reads the CPU time so far of every Chromium process (labelled by its type: browser, renderer, gpu-process,
 * NetworkService, …; each renderer thread too, as `renderer/<thread name>`) and of the named extra pids.
 * Processes or threads that ended between listing and reading are skipped (their time is lost, so take
 * the second snapshot before tearing anything down).
 */
export function cpuSnapshot(extra: Record<string, number> = {}): CpuSnapshot {
  const snapshot: CpuSnapshot = new Map();
  const add = (label: string, ms: number) => snapshot.set(label, (snapshot.get(label) ?? 0) + ms);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!command.includes('chromium')) continue;
      const type = /--type=([a-z-]+)/.exec(command)?.[1] ?? 'browser';
      const label = /--utility-sub-type=[A-Za-z.]*\.([A-Za-z]+)/.exec(command)?.[1] ?? type;
      add(label, cpuMs(`/proc/${entry}/stat`));
      if (type !== 'renderer') continue;
      for (const tid of readdirSync(`/proc/${entry}/task`)) {
        const name = readFileSync(`/proc/${entry}/task/${tid}/comm`, 'utf8').trim().replace(/[0-9:]+$/, '');
        add(`  renderer/${name === 'chromium' ? 'main' : name}`, cpuMs(`/proc/${entry}/task/${tid}/stat`));
      }
    } catch {
      // Ended meanwhile.
    }
  }
  for (const [label, pid] of Object.entries(extra)) {
    try {
      add(label, cpuMs(`/proc/${pid}/stat`));
    } catch {
      // Ended meanwhile.
    }
  }
  return snapshot;
}

/**
 * `label ms` for what each label used between two snapshots (at least `floorMs`). A renderer thread that
 * ended in between (the viewer's stream worker) counts in `renderer` only.
 */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot, floorMs = 20): string {
  return [...after]
    .map(([label, ms]) => [label, ms - (before.get(label) ?? 0)] as const)
    .filter(([, ms]) => ms >= floorMs)
    .map(([label, ms]) => `${label.trim()} ${ms.toFixed(0)}`)
    .join(', ');
}

/**
 * What the scheduler says about a process so far, summed over its threads (/proc/<pid>/task/<tid>/schedstat):
 * `runMs` on a CPU, `waitMs` runnable but waiting in a run queue for a CPU (`mainWaitMs`: the main thread's,
 * i.e. a Node process's event loop). The wait is the share of a
 * request's latency that the process spent ready to work while other processes held both cores.
 * Zeros when the process is gone or the kernel has no schedstats.
 */
export function schedOf(pid: number | undefined): { runMs: number; waitMs: number; mainWaitMs: number } {
  let runNs = 0;
  let waitNs = 0;
  let mainWaitNs = 0;
  if (pid === undefined) return { runMs: 0, waitMs: 0, mainWaitMs: 0 };
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
        runNs += run!;
        waitNs += wait!;
        if (tid === String(pid)) mainWaitNs = wait!;
      } catch {
        // The thread ended meanwhile.
      }
    }
  } catch {
    // The process is gone.
  }
  return { runMs: runNs / 1e6, waitMs: waitNs / 1e6, mainWaitMs: mainWaitNs / 1e6 };
}
