import pg from 'pg';
import type { Logger } from '../logger';
import type { ChangeFeed } from '../domain/change-feed';
import { CHANGE_CHANNEL } from './postgres-unit-of-work';

/**
 * Listens for other replicas' committed changes (Postgres NOTIFY) and bumps the feed. While the
 * connection is down the feed is marked untrusted, so caches keyed on it are bypassed.
 */
export class ChangeListener {
  private client: pg.Client | undefined;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;
  connected = false;

  constructor(
    private readonly url: string,
    private readonly feed: ChangeFeed,
    private readonly logger: Logger,
  ) {}

  start(): void {
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 2000, keepAlive: true });
    this.client = client;
    const lost = (): void => {
      if (this.connected) this.logger.warn('change notifications lost; verdict caches are bypassed until they return');
      this.connected = false;
      this.feed.bumpAll();
      client.removeAllListeners();
      client.end().catch(() => undefined);
      if (!this.stopped) this.retry = setTimeout(() => void this.connect(), 1000);
    };
    client.on('error', lost);
    client.on('end', () => !this.stopped && lost());
    client.on('notification', (msg) => {
      if (msg.channel === CHANGE_CHANNEL && msg.payload) this.feed.bump(msg.payload.split(','));
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
      this.feed.bumpAll();
      this.connected = true;
    } catch {
      lost();
    }
  }
}
