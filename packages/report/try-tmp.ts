import { blinkRecords, blinkRecord, mnistRecord } from './src/__tests__/fixtures';
import { writeReport } from './src/index';
await writeReport(blinkRecords(), '/tmp/rep-blink');
await writeReport([mnistRecord()], '/tmp/rep-mnist');
await writeReport([blinkRecord('unweighted', 1), blinkRecord('class-weighted', 1)], '/tmp/rep-one');
