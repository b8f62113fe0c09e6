/** A metrics sink that keeps every record in memory, for tests (locally Analytics Engine drops writes). */
import type { MetricsSink, RequestRecord } from "../../contracts/metrics-sink";

export class RecordingSink implements MetricsSink {
  readonly records: RequestRecord[] = [];
  write(record: RequestRecord): void {
    this.records.push(record);
  }
}
