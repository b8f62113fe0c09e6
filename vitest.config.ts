import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/**
 * Three layers (see README "Tests"):
 * - `unit`: pure modules, in Node (no I/O, so the runtime does not matter; fast-check runs fastest here);
 * - `workers`: the Worker and its Durable Object inside workerd, against real local origin servers;
 * - `e2e`: a real `wrangler dev` process on loopback, driven over HTTP.
 */
export default defineConfig({
  test: {
    // The router logs one JSON line per proxied request (for `wrangler tail`); keep test output readable.
    onConsoleLog: (log) => !log.includes('"event":"proxy"'),
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        plugins: [
          cloudflareTest(async ({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                ADMIN_TOKEN: "test-admin-token",
                OVERRIDE_SECRET: "test-override-secret",
                IDENTITY_JWT_SECRET: "test-identity-jwt-secret-0123456789abcdef",
                LEGACY_ORIGIN: inject("legacyOrigin"),
                NEW_ORIGIN: inject("newOrigin"),
                INITIAL_PERCENT: "0",
                CONFIG_FRESHNESS_MS: "250",
                TEST_LEGACY_ORIGIN: inject("legacyOrigin"),
                TEST_NEW_ORIGIN: inject("newOrigin"),
                TEST_CLOSED_ORIGIN: inject("closedOrigin"),
                TEST_FLAKY_ORIGIN: inject("flakyOrigin"),
                TEST_SLOW_ORIGIN: inject("slowOrigin"),
                TEST_DROP_ORIGIN: inject("dropOrigin"),
                TEST_WEBHOOK_RECEIVER: inject("webhookReceiver"),
                TEST_WEBHOOK_SECRET: inject("webhookSecret"),
                TEST_SHADOW_NEW_ORIGIN: inject("shadowNewOrigin"),
                TEST_SHADOW_DRIFT_ORIGIN: inject("shadowDriftOrigin"),
                TEST_SHADOW_HANG_ORIGIN: inject("shadowHangOrigin"),
                TEST_SHADOW_FAIL_ORIGIN: inject("shadowFailOrigin"),
                TEST_FAKE_METRICS: inject("fakeMetrics"),
                // Credentials external checks name with apiKeyVar/appKeyVar/fromVar (secrets in production).
                DD_API_KEY: "test-dd-api-key",
                DD_APP_KEY: "test-dd-app-key",
                SENTRY_AUTH: "Bearer test-sentry-token",
              },
            },
          })),
        ],
        test: {
          name: "workers",
          include: ["test/workers/**/*.test.ts"],
          globalSetup: ["test/setup/origins.ts"],
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
