/**
 * The one source of time (R11.3, R12.1). Domain code asks a Clock, never the
 * wall clock, so tests and the demo clock can move time.
 */
export interface Clock {
  now(): Date;
}

/** One UTC day in milliseconds: periods, retries, retention and charts count days this way. */
export const DAY_MS = 86_400_000;

export const systemClock: Clock = {
  now: () => new Date(),
};

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  private current: number;
  constructor(start: Date | string = '2026-01-15T12:00:00.000Z') {
    this.current = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.current);
  }
  set(instant: Date | string): void {
    this.current = new Date(instant).getTime();
  }
  advance(ms: number): void {
    this.current += ms;
  }
  advanceDays(days: number): void {
    this.advance(days * DAY_MS);
  }
}

/**
 * The demo clock (R11.3): system time plus a forward offset kept in the
 * database, so every instance of the program agrees on the application time.
 * `now()` stays synchronous — it adds the cached offset — and the cache is
 * refreshed from the database on an interval and at once after a shift made
 * here. Production never builds one (the offset is ignored there).
 */
export class OffsetClock implements Clock {
  private cachedOffsetMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private reads = 0;

  constructor(
    private readonly loadOffsetMs: () => Promise<number>,
    private readonly base: Clock = systemClock,
    private readonly refreshMs = 2_000,
  ) {}

  now(): Date {
    return new Date(this.base.now().getTime() + this.cachedOffsetMs);
  }

  /** How far ahead of its base this clock runs, as last read from the database. */
  get offsetMs(): number {
    return this.cachedOffsetMs;
  }

  /** Reads the offset now; a negative or malformed value counts as none (time never runs backwards). */
  async refresh(): Promise<void> {
    const read = ++this.reads;
    const loaded = await this.loadOffsetMs();
    // Reads can answer out of order (a pool of connections): only the latest one counts.
    if (read !== this.reads) return;
    this.cachedOffsetMs = Number.isSafeInteger(loaded) && loaded > 0 ? loaded : 0;
  }

  /** Keeps the offset fresh in the background; the timer never holds the process open. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      // A failed read (database restarting, shutting down) keeps the last known offset.
      this.refresh().catch(() => undefined);
    }, this.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/**
 * A clock that never runs backwards: the latest instant its base has shown.
 * The rate limiter reads one (R13.3): an earlier "now" — the system clock
 * stepped back, or a test setting its manual clock to an earlier day — would
 * make a bucket's spent allowance look further spent.
 */
export class MonotonicClock implements Clock {
  private latest = Number.NEGATIVE_INFINITY;
  constructor(private readonly base: Clock) {}
  now(): Date {
    const t = this.base.now().getTime();
    if (t > this.latest) this.latest = t;
    return new Date(this.latest);
  }
}
