import { env } from "cloudflare:workers";
import { DurableObjectConfigSource } from "../../edge/config-source";
import { runConfigSourceContract } from "../contracts/config-source.contract";
import { adminJson, resetDefault } from "./helpers";

let percent = 0;
const change = async () => {
  percent = (percent + 1) % 100;
  const { status } = await adminJson("PATCH", "/rollouts/default", { percent });
  if (status !== 200) throw new Error(`change failed: ${status}`);
};

runConfigSourceContract("the primary Durable Object", async () => {
  await resetDefault();
  return { source: new DurableObjectConfigSource(env.ROLLOUT_STATE), change };
});
