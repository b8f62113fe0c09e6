/**
 * The browser side of ofrep.e2e.test.ts, bundled with esbuild and loaded in a page on another
 * origin than the router: the OpenFeature web SDK with the OFREP web provider, as an SPA would use
 * them. The test drives it through `globalThis.ofrepPage` (page.evaluate). No storage cache
 * (`cacheMode: "disabled"`), so every value read comes from the router.
 */
import { OFREPWebProvider } from "@openfeature/ofrep-web-provider";
import { OpenFeature } from "@openfeature/web-sdk";

/** What the page reports about one flag for the current context. */
export interface PageDetails {
  value: boolean;
  variant: string | undefined;
  reason: string | undefined;
  errorCode: string | undefined;
  configVersion: unknown;
}

/** Every HTTP status the provider's requests got, in order (304s prove the ETag round trip). */
const statuses: number[] = [];

function details(flag: string): PageDetails {
  const d = OpenFeature.getClient().getBooleanDetails(flag, false);
  return { value: d.value, variant: d.variant, reason: d.reason, errorCode: d.errorCode, configVersion: d.flagMetadata.configVersion };
}

const ofrepPage = {
  /** Sets the provider up for `targetingKey`; resolves once it evaluated, or rejects with the provider's error. */
  async start(baseUrl: string, token: string, targetingKey: string, pollInterval: number): Promise<void> {
    const provider = new OFREPWebProvider({
      baseUrl,
      headers: [["Authorization", `Bearer ${token}`]],
      pollInterval,
      cacheMode: "disabled",
      fetchImplementation: async (input: RequestInfo | URL, init?: RequestInit) => {
        const res = await fetch(input, init);
        statuses.push(res.status);
        return res;
      },
    });
    await OpenFeature.setContext({ targetingKey });
    await OpenFeature.setProviderAndWait(provider);
  },

  /** Switches the context to each user in turn (a context change: one bulk evaluation each) and reads `flag`. */
  async valuesFor(users: string[], flag: string): Promise<Record<string, PageDetails>> {
    const out: Record<string, PageDetails> = {};
    for (const user of users) {
      await OpenFeature.setContext({ targetingKey: user });
      out[user] = details(flag);
    }
    return out;
  },

  async use(targetingKey: string): Promise<void> {
    await OpenFeature.setContext({ targetingKey });
  },

  current: details,
  statuses: () => [...statuses],
  providerStatus: () => OpenFeature.getClient().providerStatus as string,
};

(globalThis as unknown as { ofrepPage: typeof ofrepPage }).ofrepPage = ofrepPage;
export type OfrepPage = typeof ofrepPage;
