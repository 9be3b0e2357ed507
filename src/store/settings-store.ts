import crypto from 'node:crypto';
import type { Knex } from 'knex';

/** Small named values shared by every replica, such as the page-token signing key. */
export class SettingsStore {
  constructor(private readonly db: Knex) {}

  /** Returns the stored secret called `name`, creating a random 32-byte one on first use (race-free). */
  async secret(name: string): Promise<Buffer> {
    const fresh = crypto.randomBytes(32).toString('base64');
    await this.db.raw('INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING', [name, fresh]);
    const row = await this.db('settings').where({ name }).first('value');
    return Buffer.from(row.value as string, 'base64');
  }
}
