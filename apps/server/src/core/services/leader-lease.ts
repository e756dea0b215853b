import { Logger } from '@nestjs/common';
import { SessionLock, SqlDatabase } from '../database/sql-database';

/**
 * Leader election for a singleton task among the processes of one deployment (the study watcher among
 * the API processes): whoever holds the database lock `name` leads. Every `checkMs` a follower tries to
 * take the lock and the leader checks it still holds it (its lock connection answers); a leader that
 * loses it steps down at once. When the leader dies, Postgres frees its lock with its connection and a
 * follower takes over at its next check, so a task stops for at most about `checkMs`.
 *
 * Two leaders can overlap only briefly (a leader whose connection broke, before its next check): the
 * task must stay correct then (the watcher's seen row and job are written in one transaction).
 */
export class LeaderLease {
  private readonly logger: Logger;
  private lock: SessionLock | undefined;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly database: SqlDatabase,
    private readonly name: string,
    private readonly checkMs: number,
    private readonly onChange: (leading: boolean) => void = () => undefined,
  ) {
    this.logger = new Logger(`LeaderLease(${name})`);
  }

  start(): void {
    this.timer = setInterval(() => void this.check(), this.checkMs);
    this.timer.unref();
    void this.check();
  }

  /** True while this process leads. */
  isLeader(): boolean {
    return this.lock !== undefined;
  }

  /** Tries to lead, or checks that this process still does; never throws. */
  check(): Promise<void> {
    this.checking ??= this.checkOnce().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async checkOnce(): Promise<void> {
    if (this.stopped) return;
    try {
      if (this.lock) {
        if (await this.lock.stillHeld()) return;
        await this.lock.release();
        this.lock = undefined;
        this.logger.warn(`This process no longer leads ${this.name}: its lock connection was lost`);
        this.onChange(false);
        return;
      }
      const lock = await this.database.tryLock(this.name);
      if (!lock) return;
      if (this.stopped) return void (await lock.release());
      this.lock = lock;
      this.logger.log(`This process now leads ${this.name}`);
      this.onChange(true);
    } catch (error) {
      // The database is away: nobody can take the lock now; the next check tries again.
      this.logger.warn(`Leader check of ${this.name} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Stops checking and gives the lead up, so another process takes over without waiting for a timeout. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.checking;
    if (this.lock) {
      await this.lock.release();
      this.lock = undefined;
      this.onChange(false);
    }
  }
}
