/** The demo site's accounts: authentication, suspension and lockout as Moodle does them. */
import type { DemoUserSpec } from "./options.ts";

export interface DemoAccount extends DemoUserSpec {
  id: number;
  /** Failed attempts since the last success (`login_failed_count`). */
  failedCount: number;
}

export type AuthResult = { ok: true; account: DemoAccount } | { ok: false; account?: DemoAccount };

export class UserDirectory {
  readonly #byName = new Map<string, DemoAccount>();
  readonly #byId = new Map<number, DemoAccount>();

  constructor(specs: readonly DemoUserSpec[], readonly lockoutThreshold: number) {
    // Ids start at 3 as on a real site (1 = guest, 2 = admin).
    specs.forEach((spec, index) => {
      const account: DemoAccount = {
        ...spec,
        username: spec.username.toLowerCase(),
        id: index + 3,
        failedCount: 0,
      };
      this.#byName.set(account.username, account);
      this.#byId.set(account.id, account);
    });
  }

  byId(id: number): DemoAccount | undefined {
    return this.#byId.get(id);
  }

  byName(username: string): DemoAccount | undefined {
    return this.#byName.get(username.trim().toLowerCase());
  }

  get size(): number {
    return this.#byName.size;
  }

  /**
   * authenticate_user_login(): unknown, suspended, locked and wrong-password accounts all fail the
   * same way; wrong passwords count towards the lockout unless the account ignores lockouts.
   */
  authenticate(username: string, password: string): AuthResult {
    const account = this.byName(username);
    if (!account) return { ok: false };
    if (account.suspended || account.locked) return { ok: false, account };
    if (account.password !== password) {
      account.failedCount++;
      if (
        !account.lockoutIgnored && this.lockoutThreshold > 0 && account.failedCount >= this.lockoutThreshold
      ) {
        account.locked = true;
      }
      return { ok: false, account };
    }
    account.failedCount = 0;
    return { ok: true, account };
  }
}
