// Every alert rule has a runbook: a `runbook_url` annotation pointing at its own section of
// docs/runbook.md, and that section exists and says what it means and what to do.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { parse } from 'yaml';

const rulesDir = fileURLToPath(new URL('./rules', import.meta.url));
const runbook = readFileSync(
  fileURLToPath(new URL('../../docs/runbook.md', import.meta.url)),
  'utf8',
);

interface Rule {
  alert?: string;
  annotations?: Record<string, string>;
}
const alerts = readdirSync(rulesDir)
  .filter((f) => f.endsWith('.rules.yml'))
  .flatMap((file) =>
    (parse(readFileSync(join(rulesDir, file), 'utf8')).groups as { rules: Rule[] }[])
      .flatMap((g) => g.rules)
      .filter((r) => r.alert)
      .map((r) => ({ file, ...r })),
  );

/** GitHub's anchor for a heading: lower case, spaces to '-', punctuation dropped. */
const anchor = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-');

const sections = new Map(
  runbook
    .split(/^### /m)
    .slice(1)
    .map((s) => [anchor(s.split('\n')[0] ?? ''), s] as const),
);

it('finds the alert rules', () => {
  expect(alerts.length).toBeGreaterThan(15);
});

it.each(alerts.map((a) => [a.alert, a] as const))('%s has a runbook section', (_, alert) => {
  const url = alert.annotations?.runbook_url;
  expect(url, `${alert.file}: ${alert.alert} has no runbook_url`).toBe(
    `docs/runbook.md#${anchor(alert.alert ?? '')}`,
  );
  const section = sections.get(url?.split('#')[1] ?? '');
  expect(section, `docs/runbook.md has no "### ${alert.alert}"`).toBeDefined();
  expect(section).toMatch(/\*\*Means:\*\*/);
  expect(section).toMatch(/\*\*Do:\*\*/);
});

it('has the procedures an SRE needs', () => {
  for (const heading of [
    'Adding a municipality',
    'Rotating NATS credentials and signing keys',
    "Backing up and restoring a service's schema",
  ]) {
    expect(runbook).toContain(`### ${heading}`);
  }
});
