import { describe, expect, it } from 'vitest';
import { getTransferSyntaxInfo, RECEIVABLE_TRANSFER_SYNTAX_UIDS, TransferSyntaxUID } from './transfer-syntax';

describe('the transfer syntaxes a receiver accepts', () => {
  it('are every syntax this library decodes except Deflate (its head cannot be read while it arrives), each once', () => {
    const decodable = Object.values(TransferSyntaxUID).filter((uid) => getTransferSyntaxInfo(uid));
    expect(new Set(RECEIVABLE_TRANSFER_SYNTAX_UIDS).size).toBe(RECEIVABLE_TRANSFER_SYNTAX_UIDS.length);
    expect([...RECEIVABLE_TRANSFER_SYNTAX_UIDS].sort()).toEqual(decodable.filter((uid) => uid !== TransferSyntaxUID.DeflatedExplicitVRLittleEndian).sort());
  });

  it('prefer uncompressed little endian, then lossless compressed, then big endian, then lossy', () => {
    const rank = (uid: string): number => {
      const info = getTransferSyntaxInfo(uid)!;
      if (info.encoding === 'native') return 0;
      if (info.encoding === 'native-big-endian') return 2;
      return info.lossless ? 1 : 3;
    };
    const ranks = RECEIVABLE_TRANSFER_SYNTAX_UIDS.map(rank);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(RECEIVABLE_TRANSFER_SYNTAX_UIDS[0]).toBe(TransferSyntaxUID.ExplicitVRLittleEndian);
  });

  it('are looked up by UID only, never through Object.prototype', () => {
    expect(getTransferSyntaxInfo('constructor')).toBeUndefined();
    expect(getTransferSyntaxInfo('__proto__')).toBeUndefined();
  });
});
