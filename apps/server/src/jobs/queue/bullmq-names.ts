import { Redis } from 'ioredis';

/** Redis key prefix of everything covseg keeps there; several deployments may share one Redis with different prefixes. */
export const REDIS_PREFIX = 'covseg';
export const SEGMENTATION_QUEUE = 'segmentation';

/** BullMQ priorities: lower runs first (1 is the highest BullMQ allows besides 0, which skips the priority set). */
export const PRIORITY = { user: 1, watcher: 10, system: 10 } as const;

/**
 * Retries of a job whose processor threw: only infrastructure failures (the database or Redis away, the
 * worker shutting down) throw; a pipeline failure is recorded on the job and the BullMQ job completes.
 */
export const QUEUE_ATTEMPTS = 50;
export const QUEUE_BACKOFF_MS = 2_000;

/** The data a BullMQ job carries: enough to lock the study; the job itself is read from the database. */
export interface SegmentationJobData {
  pacsEndpointId: string;
  studyInstanceUID: string;
}

/**
 * Connection options for BullMQ's own clients. `maxRetriesPerRequest: null` is what BullMQ requires for
 * workers (a blocking command must wait through a Redis restart, not fail); BullMQ closes these itself.
 */
export function bullConnection(url: string): { url: string; maxRetriesPerRequest: null } {
  return { url, maxRetriesPerRequest: null };
}

/** A plain client for our own keys (study locks, worker presence); the caller quits it. */
export function redisClient(url: string, role: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, connectionName: `covseg-${role}` });
}
