// Reading a `ptrace report` HTML file back.
import type { ReportData } from '../../analyze/report/page/schema.ts';

/** The JSON embedded in a report. */
export function embeddedData(html: string): ReportData {
  const m = /<script type="application\/json" id="ptrace-data">([^<]*)<\/script>/.exec(html);
  if (m === null) throw new Error('no data script');
  return JSON.parse(m[1]!) as ReportData;
}
