import type { Env as RouterEnv } from "../contracts/env";

declare global {
  namespace Cloudflare {
    interface Env extends RouterEnv {
      TEST_LEGACY_ORIGIN: string;
      TEST_NEW_ORIGIN: string;
      TEST_CLOSED_ORIGIN: string;
      TEST_FLAKY_ORIGIN: string;
      TEST_SLOW_ORIGIN: string;
    }
    interface GlobalProps {
      mainModule: typeof import("../edge/index");
      durableNamespaces: "RolloutState";
    }
  }
}
