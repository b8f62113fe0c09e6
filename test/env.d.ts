/** Bindings only the workerd tests have (vitest.config.ts): the local origin servers they start. */
declare namespace Cloudflare {
  interface Env {
    TEST_LEGACY_ORIGIN: string;
    TEST_NEW_ORIGIN: string;
    TEST_CLOSED_ORIGIN: string;
    TEST_FLAKY_ORIGIN: string;
    TEST_SLOW_ORIGIN: string;
    TEST_DROP_ORIGIN: string;
    /** A webhook receiver that verifies signatures with TEST_WEBHOOK_SECRET (test/setup/webhook-receiver.ts). */
    TEST_WEBHOOK_RECEIVER: string;
    TEST_WEBHOOK_SECRET: string;
    /** New backends for shadow traffic (test/setup/origins.ts): agrees, disagrees at /items/2/price, hangs, 500s. */
    TEST_SHADOW_NEW_ORIGIN: string;
    TEST_SHADOW_DRIFT_ORIGIN: string;
    TEST_SHADOW_HANG_ORIGIN: string;
    TEST_SHADOW_FAIL_ORIGIN: string;
    /** Starts fake Prometheus, Datadog and JSON servers on request (test/setup/fake-metrics-control.ts). */
    TEST_FAKE_METRICS: string;
    /** What external checks of the tests name as credentials. */
    DD_API_KEY: string;
    DD_APP_KEY: string;
    SENTRY_AUTH: string;
  }
}
