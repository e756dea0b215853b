import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const script = resolve(__dirname, '../../scripts/orthanc.sh');

/** Ports this process has handed out: never handed out twice (see freePort). */
const handedOut = new Set<number>();

/**
 * Asks the kernel for a free loopback TCP port that this process has not handed out before. The kernel may
 * give the port it just gave again once its listener is closed, and two ports asked for in a row (Orthanc's
 * HTTP and DICOM ports) then collide: CI saw `--http-port 35163 --dicom-port 35163`.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await kernelPort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`freePort: 50 ports in a row were already handed out (${handedOut.size} so far)`);
}

function kernelPort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export interface OrthancDicomOptions {
  aeTitle?: string;
  /** Orthanc's DicomModalities: name → [AE title, host, port]. */
  modalities?: Record<string, [string, string, number]>;
  /**
   * Load Debian's orthanc-gdcm plugin (JPEG 2000 transcoding). Benches only, never tests: it overflows
   * this Orthanc build's HTTP thread stacks and segfaults it (scripts/orthanc.sh).
   */
  gdcm?: boolean;
}

/**
 * A real Orthanc with the DICOMweb plugin, on loopback ports of its own and a temporary storage folder.
 * Each medium test file starts its own, so tests can stop and restart it (PACS outage) without
 * disturbing each other.
 */
export class OrthancInstance {
  private constructor(
    readonly httpPort: number,
    readonly dicomPort: number,
    readonly dir: string,
    private readonly dicom: OrthancDicomOptions,
  ) {}

  /** @param dicom Orthanc's AE title (default ORTHANC) and the DicomModalities it may C-STORE to. */
  static async start(dicom: OrthancDicomOptions = {}): Promise<OrthancInstance> {
    // Another process (a parallel test file's server or Orthanc) may take a port between freePort and
    // Orthanc's bind: then Orthanc exits during start, and a second pair of ports is tried.
    for (let attempt = 1; ; attempt++) {
      const dir = mkdtempSync(join(tmpdir(), 'covseg-orthanc-'));
      const instance = new OrthancInstance(await freePort(), await freePort(), dir, dicom);
      try {
        instance.start();
        return instance;
      } catch (error) {
        instance.destroy();
        if (attempt === 3) throw error;
      }
    }
  }

  /** Orthanc's own AE title. */
  get aeTitle(): string {
    return this.dicom.aeTitle ?? 'ORTHANC';
  }

  /** Base URL of the DICOMweb root, e.g. http://127.0.0.1:8042/dicom-web */
  get dicomwebUrl(): string {
    return `http://127.0.0.1:${this.httpPort}/dicom-web`;
  }

  /** Base URL of Orthanc's own REST API. */
  get restUrl(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  start(): void {
    execFileSync('bash', [script, 'start', '--http-port', String(this.httpPort), '--dicom-port', String(this.dicomPort), '--dir', this.dir], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, ORTHANC_AET: this.aeTitle, ORTHANC_DICOM_MODALITIES: JSON.stringify(this.dicom.modalities ?? {}), ORTHANC_GDCM: this.dicom.gdcm ? 'true' : 'false' },
    });
  }

  stop(): void {
    execFileSync('bash', [script, 'stop', '--dir', this.dir], { stdio: 'ignore' });
  }

  /** Stops the server and deletes its storage. */
  destroy(): void {
    this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Uploads DICOM files through Orthanc's REST API (not STOW), so tests seed the PACS independently of our client. */
  async upload(files: Array<string | Uint8Array>): Promise<void> {
    for (const file of files) {
      // A copy typed Uint8Array<ArrayBuffer>: fetch's BodyInit refuses views that may sit on a SharedArrayBuffer.
      const body = new Uint8Array(typeof file === 'string' ? readFileSync(file) : file);
      const response = await fetch(`${this.restUrl}/instances`, { method: 'POST', body });
      if (!response.ok) throw new Error(`Orthanc upload failed with status ${response.status}`);
    }
  }

  /** Lists the SOP Instance UIDs of every instance of a modality, via Orthanc's REST API. */
  async findInstances(query: Record<string, string>): Promise<string[]> {
    const response = await fetch(`${this.restUrl}/tools/find`, {
      method: 'POST',
      body: JSON.stringify({ Level: 'Instance', Query: query, Expand: true }),
    });
    if (!response.ok) throw new Error(`Orthanc find failed with status ${response.status}`);
    const found = (await response.json()) as Array<{ MainDicomTags: { SOPInstanceUID: string } }>;
    return found.map((i) => i.MainDicomTags.SOPInstanceUID);
  }

  async downloadInstance(sopInstanceUID: string): Promise<Uint8Array> {
    const ids = (await (await fetch(`${this.restUrl}/tools/lookup`, { method: 'POST', body: sopInstanceUID })).json()) as Array<{ ID: string }>;
    if (ids.length !== 1) throw new Error(`Orthanc lookup of ${sopInstanceUID} found ${ids.length} resources`);
    return new Uint8Array(await (await fetch(`${this.restUrl}/instances/${ids[0].ID}/file`)).arrayBuffer());
  }
}

export function readPortFile(dir: string): number {
  return Number(readFileSync(join(dir, 'http-port'), 'utf8').trim());
}
