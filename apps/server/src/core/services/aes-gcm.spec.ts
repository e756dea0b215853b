import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SecretDecryptionError, SecretKeyError } from '../errors';
import { loadOrCreateSecretKey } from '../repositories/secret-key.repository';
import { AesGcm } from './aes-gcm';

describe('AesGcm', () => {
  const aes = new AesGcm(randomBytes(32));

  it('round-trips a secret and never stores it in clear', () => {
    const sealed = aes.encrypt('s3cret-pässword', 'pacs:1');
    expect(sealed).not.toContain('s3cret');
    expect(sealed.startsWith('v1.')).toBe(true);
    expect(aes.decrypt(sealed, 'pacs:1')).toBe('s3cret-pässword');
  });

  it('uses a fresh nonce each time, so equal secrets give different ciphertexts', () => {
    expect(aes.encrypt('same', 'c')).not.toBe(aes.encrypt('same', 'c'));
  });

  it('refuses a ciphertext opened under another context', () => {
    const sealed = aes.encrypt('secret', 'pacs:1');
    expect(() => aes.decrypt(sealed, 'pacs:2')).toThrow(SecretDecryptionError);
  });

  it('refuses a tampered ciphertext without echoing it', () => {
    const sealed = aes.encrypt('secret', 'c');
    const parts = sealed.split('.');
    const body = Buffer.from(parts[3], 'base64url');
    body[0] ^= 1;
    const tampered = [...parts.slice(0, 3), body.toString('base64url')].join('.');
    expect(() => aes.decrypt(tampered, 'c')).toThrow(/wrong key or tampered/);
    try {
      aes.decrypt(tampered, 'c');
    } catch (error) {
      expect((error as Error).message).not.toContain(tampered);
    }
  });

  it('refuses a ciphertext sealed with another key', () => {
    const other = new AesGcm(randomBytes(32));
    expect(() => aes.decrypt(other.encrypt('x', 'c'), 'c')).toThrow(SecretDecryptionError);
  });

  it('refuses a value that is not a v1 ciphertext, such as a plain secret', () => {
    expect(() => aes.decrypt('hunter2', 'c')).toThrow(/not a v1 ciphertext/);
  });

  it('rejects keys that are not 32 bytes', () => {
    expect(() => new AesGcm(randomBytes(16))).toThrow(RangeError);
  });
});

describe('loadOrCreateSecretKey', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'covseg-key-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('creates a 0600 key file on first boot and reads the same key afterwards', () => {
    const dir = tempDir();
    const first = loadOrCreateSecretKey(undefined, dir);
    expect(first).toHaveLength(32);
    expect(statSync(join(dir, 'secret.key')).mode & 0o777).toBe(0o600);
    expect(loadOrCreateSecretKey(undefined, dir).equals(first)).toBe(true);
  });

  it('prefers the environment key and then writes no file', () => {
    const dir = tempDir();
    const key = randomBytes(32);
    expect(loadOrCreateSecretKey(key, dir).equals(key)).toBe(true);
    expect(() => statSync(join(dir, 'secret.key'))).toThrow();
  });

  it('refuses a key file readable by others', () => {
    const dir = tempDir();
    loadOrCreateSecretKey(undefined, dir);
    chmodSync(join(dir, 'secret.key'), 0o644);
    expect(() => loadOrCreateSecretKey(undefined, dir)).toThrow(SecretKeyError);
  });
});
