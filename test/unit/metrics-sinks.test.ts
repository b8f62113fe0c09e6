import { AnalyticsEngineSink, MAX_DATA_POINTS_PER_INVOCATION } from "../../edge/record";
import { runMetricsSinkContract } from "../contracts/metrics-sink.contract";
import { RecordingSink } from "../support/recording-sink";

runMetricsSinkContract("AnalyticsEngineSink", () => {
  const points: unknown[] = [];
  let broken = false;
  const dataset = {
    writeDataPoint(point: unknown) {
      if (broken) throw new Error("Analytics Engine unavailable");
      points.push(point);
    },
  } as unknown as AnalyticsEngineDataset;
  return {
    sink: new AnalyticsEngineSink(dataset),
    written: () => points,
    breakBackend: () => (broken = true),
    cap: MAX_DATA_POINTS_PER_INVOCATION,
    latencyOf: (e) => (e as AnalyticsEngineDataPoint).doubles![0] as number,
  };
});

runMetricsSinkContract("RecordingSink", () => {
  const sink = new RecordingSink();
  return { sink, written: () => sink.records, breakBackend: () => {}, cap: Infinity, latencyOf: (e) => (e as { latencyMs: number }).latencyMs };
});
