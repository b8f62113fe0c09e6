/**
 * The `tokens` table (migration 2): one row per named admin token, with the SHA-256 of its secret
 * (the secret itself never reaches the control plane). Written in the same transaction as the
 * rest of a write (./config-store.ts).
 */
import { TOKEN_SCOPES, type StoredToken, type TokenScope } from "../../contracts/tokens";
import { writeChanges } from "./changes";

type TokenRow = { id: string; name: string; scopes: string; hash: string; created_at: string; created_by: string; expires_at: string | null };

const isScope = (s: unknown): s is TokenScope => (TOKEN_SCOPES as readonly unknown[]).includes(s);

/** Every stored token by id (a scope this code does not know is dropped: it grants nothing). */
export function loadTokens(sql: SqlStorage): Map<string, StoredToken> {
  const tokens = new Map<string, StoredToken>();
  for (const row of sql.exec<TokenRow>(`SELECT id, name, scopes, hash, created_at, created_by, expires_at FROM tokens`)) {
    const scopes = (JSON.parse(row.scopes) as unknown[]).filter(isScope);
    tokens.set(row.id, { id: row.id, name: row.name, scopes, hash: row.hash, createdAt: row.created_at, createdBy: row.created_by, expiresAt: row.expires_at });
  }
  return tokens;
}

/** Writes what changed between `current` and `next` (tokens are created and revoked, never edited). Call inside a transaction. */
export function saveTokens(sql: SqlStorage, current: ReadonlyMap<string, StoredToken>, next: ReadonlyMap<string, StoredToken>): void {
  const insert = `INSERT OR REPLACE INTO tokens (id, name, scopes, hash, created_at, created_by, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`;
  writeChanges(
    current,
    next,
    (id) => sql.exec(`DELETE FROM tokens WHERE id = ?`, id),
    (id, t) => sql.exec(insert, id, t.name, JSON.stringify(t.scopes), t.hash, t.createdAt, t.createdBy, t.expiresAt),
  );
}
