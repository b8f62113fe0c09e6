/**
 * The signed anonymous id cookie: `edge_rollout_uid=<uuid>.<base64url HMAC-SHA256(uuid)>`. The
 * bucket hash is public, so an unsigned id would let a client pick its bucket by picking a UUID;
 * signed, the only ids that count are ones this router issued.
 *
 * The HMAC key is derived (HKDF-SHA256, info "edge-router anonymous id v1") from
 * IDENTITY_COOKIE_SECRET, or else ADMIN_TOKEN. Rotating the secret in use invalidates every
 * cookie, so every anonymous user is issued a new id and may change variant: set
 * IDENTITY_COOKIE_SECRET so that rotating ADMIN_TOKEN does not reshuffle them. Turning signing on
 * reshuffles once the users holding old plain-UUID cookies, by the same rule.
 */

/** HKDF `info`: binds the derived key to this one use, so the secret's other uses cannot forge it. */
export const ANONYMOUS_ID_KEY_INFO = "edge-router anonymous id v1";

/** Verified cookie values remembered per isolate: enough for the active users of one isolate. */
export const ANONYMOUS_CACHE_ENTRIES = 1_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UUID_LENGTH = 36;
/** base64url of 32 bytes, unpadded. */
const MAC_LENGTH = 43;
const encoder = new TextEncoder();

/**
 * A small map that forgets its least recently used entry when full, and entries past their expiry.
 * Per isolate, so it needs no locking.
 */
export class BoundedCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAtMs: number }>();

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** The value stored for `key` if it has not expired at `nowMs`. */
  get(key: string, nowMs = 0): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expiresAtMs <= nowMs) return undefined;
    this.entries.set(key, entry); // re-inserted last: Map order is the recency order
    return entry.value;
  }

  set(key: string, value: V, expiresAtMs = Number.POSITIVE_INFINITY): void {
    this.entries.delete(key);
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, expiresAtMs });
  }
}

function toBase64Url(bytes: ArrayBuffer | Uint8Array): string {
  return btoa(String.fromCharCode(...(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes))))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

/** Decodes only the canonical spelling, so that no two cookie strings carry the same MAC. */
function macFrom(text: string): Uint8Array | undefined {
  if (text.length !== MAC_LENGTH || !/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  const bytes = Uint8Array.from(atob(text.replaceAll("-", "+").replaceAll("_", "/")), (c) => c.charCodeAt(0));
  return toBase64Url(bytes) === text ? bytes : undefined;
}

async function deriveMacKey(secret: string): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey("raw", encoder.encode(secret), "HKDF", false, ["deriveKey"]);
  // A zero salt of hash length is what RFC 5869 §2.2 uses when none is given; spelled out for WebCrypto.
  const params = { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(32), info: encoder.encode(ANONYMOUS_ID_KEY_INFO) };
  return crypto.subtle.deriveKey(params, material, { name: "HMAC", hash: "SHA-256", length: 256 }, false, ["sign", "verify"]);
}

/** The vars the anonymous id reads its secret from. */
export interface AnonymousIdVars {
  IDENTITY_COOKIE_SECRET?: string;
  ADMIN_TOKEN?: string;
}

/**
 * Issues and reads anonymous id cookie values. Construct one per isolate (the key is derived once,
 * on first use); `read` of a value seen before is a map lookup.
 *
 * @example
 * const ids = AnonymousIds.fromVars(env);
 * const id = (await ids.read(cookieValue)) ?? (await ids.issue(crypto.randomUUID())).id;
 */
export class AnonymousIds {
  private key: Promise<CryptoKey> | undefined;
  private readonly verified = new BoundedCache<string>(ANONYMOUS_CACHE_ENTRIES);

  private constructor(private readonly secret: string | undefined) {}

  /** Signed with a key derived from `secret`. */
  static fromSecret(secret: string): AnonymousIds {
    if (!secret) throw new Error("the anonymous id secret must not be empty");
    return new AnonymousIds(secret);
  }

  /**
   * Plain UUIDs, as before signing existed: any UUID a client sends is accepted, so a client can
   * choose its bucket. Only for a deployment with no secret at all; the caller should warn once.
   */
  static unsigned(): AnonymousIds {
    return new AnonymousIds(undefined);
  }

  /** IDENTITY_COOKIE_SECRET, else ADMIN_TOKEN, else unsigned. */
  static fromVars(vars: AnonymousIdVars): AnonymousIds {
    const secret = vars.IDENTITY_COOKIE_SECRET?.trim() || vars.ADMIN_TOKEN?.trim();
    return secret ? AnonymousIds.fromSecret(secret) : AnonymousIds.unsigned();
  }

  /** Whether cookie values are signed; `false` means clients can choose their anonymous id. */
  get signed(): boolean {
    return this.secret !== undefined;
  }

  private macKey(): Promise<CryptoKey> {
    this.key ??= deriveMacKey(this.secret!);
    return this.key;
  }

  /** A new id from `randomUuid` (lowercase UUID, e.g. `crypto.randomUUID()`) and the cookie value that carries it. */
  async issue(randomUuid: string): Promise<{ id: string; cookieValue: string }> {
    const id = randomUuid.toLowerCase();
    if (!UUID.test(id)) throw new Error(`an anonymous id must be a UUID, got ${JSON.stringify(randomUuid)}`);
    if (!this.signed) return { id, cookieValue: id };
    const mac = await crypto.subtle.sign("HMAC", await this.macKey(), encoder.encode(id));
    const cookieValue = `${id}.${toBase64Url(mac)}`;
    this.verified.set(cookieValue, id);
    return { id, cookieValue };
  }

  /** The id in a cookie value this router issued, or `undefined` (unsigned, tampered, malformed, other key): issue a new one. */
  async read(cookieValue: string): Promise<string | undefined> {
    if (!this.signed) return UUID.test(cookieValue) ? cookieValue : undefined;
    const cached = this.verified.get(cookieValue);
    if (cached !== undefined) return cached;
    if (cookieValue.length !== UUID_LENGTH + 1 + MAC_LENGTH || cookieValue[UUID_LENGTH] !== ".") return undefined;
    const id = cookieValue.slice(0, UUID_LENGTH);
    const mac = macFrom(cookieValue.slice(UUID_LENGTH + 1));
    if (!UUID.test(id) || !mac) return undefined;
    // subtle.verify compares in constant time: the MAC leaks nothing byte by byte.
    if (!(await crypto.subtle.verify("HMAC", await this.macKey(), mac, encoder.encode(id)))) return undefined;
    this.verified.set(cookieValue, id);
    return id;
  }
}
