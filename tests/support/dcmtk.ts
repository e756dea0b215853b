import { spawn } from 'node:child_process';

export interface ToolRun {
  code: number | null;
  output: string;
}

/** Runs a dcmtk tool (echoscu, storescu, …) and collects stdout + stderr; never throws on a non-zero exit. */
export function runDcmtk(tool: string, args: string[], timeoutMs = 60_000): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
