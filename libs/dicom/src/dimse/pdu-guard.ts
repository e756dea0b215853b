import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';

/** PDU types of the DICOM upper layer (PS3.8 9.3). */
export const PduType = {
  AssociateRQ: 0x01,
  AssociateAC: 0x02,
  AssociateRJ: 0x03,
  DataTF: 0x04,
  ReleaseRQ: 0x05,
  ReleaseRP: 0x06,
  Abort: 0x07,
} as const;

export interface PduLimits {
  /** Largest A-ASSOCIATE-RQ body accepted (bytes after the 6-byte header). */
  maxAssociateBytes: number;
  /** Largest P-DATA-TF body accepted; peers must keep to the max PDU length we advertise (PS3.8 D.1). */
  maxDataBytes: number;
}

/**
 * A socket facade between the network and dcmjs-dimse's SCP. dcmjs-dimse 0.3.3 buffers a PDU of any
 * declared length (a 6-byte header claiming 4 GiB makes it concatenate forever) and reads PDUs in any
 * order; this guard frames the stream itself and only forwards bytes of well-formed PDUs:
 * - the first PDU must be an A-ASSOCIATE-RQ, and only one is allowed;
 * - an SCP never receives A-ASSOCIATE-AC/RJ; unknown types are refused;
 * - P-DATA-TF, A-RELEASE-RQ/RP only after the association request, with bounded lengths.
 * On a violation it sends an A-ABORT (source: service provider, PS3.8 9.3.8) and destroys the socket,
 * so the SCP code never sees the hostile bytes. Never pass the raw socket to the SCP instead of this.
 */
export class GuardedSocket extends EventEmitter {
  private header = Buffer.alloc(0);
  private remaining = 0;
  private associationRequested = false;
  private closed = false;

  constructor(
    readonly socket: Socket,
    private readonly limits: PduLimits,
    private readonly onViolation: (reason: string) => void,
  ) {
    super();
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error) => this.emit('error', error));
    socket.on('timeout', () => this.emit('timeout'));
    socket.on('close', (hadError) => this.emit('close', hadError));
    socket.on('end', () => this.emit('end'));
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }

  setTimeout(ms: number): this {
    this.socket.setTimeout(ms);
    return this;
  }

  write(data: Buffer): boolean {
    if (this.closed || this.socket.destroyed) return false;
    return this.socket.write(data);
  }

  end(): this {
    if (!this.socket.destroyed) this.socket.end();
    return this;
  }

  destroy(): this {
    this.socket.destroy();
    return this;
  }

  private receive(chunk: Buffer): void {
    let offset = 0;
    const forward: Buffer[] = [];
    while (offset < chunk.length && !this.closed) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - offset);
        forward.push(chunk.subarray(offset, offset + take));
        offset += take;
        this.remaining -= take;
        continue;
      }
      const need = 6 - this.header.length;
      const take = Math.min(need, chunk.length - offset);
      this.header = Buffer.concat([this.header, chunk.subarray(offset, offset + take)]);
      offset += take;
      if (this.header.length < 6) break;
      const violation = this.check(this.header[0]!, this.header.readUInt32BE(2));
      if (violation) return this.refuse(violation);
      forward.push(this.header);
      this.remaining = this.header.readUInt32BE(2);
      this.header = Buffer.alloc(0);
    }
    if (forward.length > 0 && !this.closed) this.emit('data', Buffer.concat(forward));
  }

  private check(type: number, length: number): string | undefined {
    if (!this.associationRequested) {
      if (type !== PduType.AssociateRQ) return `PDU type 0x${type.toString(16)} before an A-ASSOCIATE-RQ`;
      if (length < 68 || length > this.limits.maxAssociateBytes) return `A-ASSOCIATE-RQ of ${length} bytes`;
      this.associationRequested = true;
      return undefined;
    }
    switch (type) {
      case PduType.DataTF:
        return length < 6 || length > this.limits.maxDataBytes ? `P-DATA-TF of ${length} bytes (at most ${this.limits.maxDataBytes})` : undefined;
      case PduType.ReleaseRQ:
      case PduType.ReleaseRP:
      case PduType.Abort:
        return length === 4 ? undefined : `PDU type 0x${type.toString(16)} of ${length} bytes (4 expected)`;
      default:
        return `unexpected PDU type 0x${type.toString(16)} after the association request`;
    }
  }

  private refuse(reason: string): void {
    this.closed = true;
    this.onViolation(reason);
    // A-ABORT: type 7, reserved, length 4, reserved, reserved, source 2 (service provider), reason 0.
    if (!this.socket.destroyed) this.socket.end(Buffer.from([PduType.Abort, 0, 0, 0, 0, 4, 0, 0, 2, 0]));
    this.socket.destroySoon?.();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }
}
