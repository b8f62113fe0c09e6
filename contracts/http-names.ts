/** HTTP header and cookie names as configs name them (stickiness, rules, shadow comparison). No I/O. */
import * as z from "./zod";

/** HTTP header names are tokens (RFC 9110), case-insensitive; stored lowercase. */
export const HeaderName = z.string().check(z.trim(), z.toLowerCase(), z.regex(/^[a-z0-9!#$%&'*+.^_`|~-]+$/, "must be an HTTP header name (letters, digits and !#$%&'*+.^_`|~-)"));

/** A cookie name (RFC 6265 token). */
export const CookieName = z.string().check(z.regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, "must be a valid cookie name"));
