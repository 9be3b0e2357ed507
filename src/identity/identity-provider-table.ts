import type { IdentityProviderRecord } from '../domain/resources/identity-provider-spec';
import { NO_SIBLINGS, type Siblings } from '../domain/siblings';
import type { UnitOfWork } from '../domain/stores/unit-of-work';
import type { Logger } from '../logger';

/** The topic on which a worker tells the other workers of its process group that the providers changed. */
const CHANGED_TOPIC = 'identity-providers-changed';
/** How often each replica reloads the providers: a change made on one replica applies on all within this. */
export const PROVIDER_REFRESH_MS = 2000;
/** Most providers loaded (over every project). */
export const MAX_PROVIDERS = 10_000;
/** Most providers a worker hands its siblings directly after a change (more: they reload them). */
const MAX_SHARED = 1000;

/**
 * Every project's trusted OIDC issuers, in memory and grouped by issuer, so that a request is matched without a
 * query: reloaded every PROVIDER_REFRESH_MS (changes made on other replicas) and at once after a change made by
 * this process (which also tells its sibling workers). While the database cannot be read the last table stays.
 */
export class IdentityProviderTable {
  private byIssuer = new Map<string, IdentityProviderRecord[]>();
  private timer: NodeJS.Timeout | undefined;
  private failing = false;
  private loading: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly logger: Logger,
    private readonly siblings: Siblings = NO_SIBLINGS,
    private readonly refreshMs = PROVIDER_REFRESH_MS,
  ) {
    siblings.subscribe(CHANGED_TOPIC, (payload) => {
      const providers = (payload as { providers?: unknown } | undefined)?.providers;
      if (Array.isArray(providers)) this.set(providers as IdentityProviderRecord[]);
      else void this.reload();
    });
  }

  /** True when no project trusts any issuer (every token is then attestd's own). */
  isEmpty(): boolean {
    return this.byIssuer.size === 0;
  }

  /** The providers (of any project) that trust `issuer`. */
  providersOf(issuer: string): readonly IdentityProviderRecord[] {
    return this.byIssuer.get(issuer) ?? [];
  }

  /** Reloads after a change this process committed, here and in its sibling workers (resolves once all have it). */
  async changed(): Promise<void> {
    await this.reload();
    // The table itself when small, so that each sibling has it before this resolves; else they reload it.
    const all = [...this.byIssuer.values()].flat();
    await this.siblings.publish(CHANGED_TOPIC, all.length <= MAX_SHARED ? { providers: all } : {});
  }

  /** Loads the table once (failing start-up when the database cannot be read), then reloads it on a timer. */
  async start(): Promise<void> {
    await this.load();
    this.schedule();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.loading;
  }

  /** One load at a time; a reload asked for during a load runs once more after it. Never throws. */
  private reload(): Promise<void> {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.loading = (async () => {
      do {
        this.again = false;
        try {
          await this.load();
          if (this.failing) this.logger.info('identity providers reloaded again');
          this.failing = false;
        } catch (err) {
          if (!this.failing)
            this.logger.warn({ err: (err as Error).message }, 'identity providers cannot be reloaded; the last table stays in force');
          this.failing = true;
        }
      } while (this.again);
    })().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async load(): Promise<void> {
    const all = await this.uow.stores.identityProviders.all(MAX_PROVIDERS);
    if (all.length === MAX_PROVIDERS) this.logger.warn(`more than ${MAX_PROVIDERS} identity providers: only the first are trusted`);
    this.set(all);
  }

  private set(all: readonly IdentityProviderRecord[]): void {
    const next = new Map<string, IdentityProviderRecord[]>();
    for (const p of all) next.set(p.spec.issuer, [...(next.get(p.spec.issuer) ?? []), p]);
    this.byIssuer = next;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      void this.reload().finally(() => {
        if (this.timer !== undefined) this.schedule();
      });
    }, this.refreshMs);
    this.timer.unref();
  }
}
