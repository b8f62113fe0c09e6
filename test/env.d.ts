/** Bindings only the workerd tests have (vitest.config.ts): the local origin servers they start. */
declare namespace Cloudflare {
  interface Env {
    TEST_LEGACY_ORIGIN: string;
    TEST_NEW_ORIGIN: string;
    TEST_CLOSED_ORIGIN: string;
    TEST_FLAKY_ORIGIN: string;
    TEST_SLOW_ORIGIN: string;
    TEST_DROP_ORIGIN: string;
  }
}
