// Every rule file under deploy/prometheus/rules is valid PromQL (`promtool check rules`) and
// its alerts fire exactly as its `.test.yml` files say (`promtool test rules`).
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const rulesDir = fileURLToPath(new URL('./rules', import.meta.url));
const files = readdirSync(rulesDir);
const ruleFiles = files.filter((f) => f.endsWith('.rules.yml'));

function promtool(...args: string[]): string {
  try {
    return execFileSync('promtool', args, { cwd: rulesDir, encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    const e = error as { code?: string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') {
      throw new Error(
        'promtool is not installed: apt-get install prometheus (deploy/local/bootstrap.sh does it as root)',
      );
    }
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

describe.each(ruleFiles)('%s', (file) => {
  it('is valid', () => {
    expect(promtool('check', 'rules', file)).toMatch(/SUCCESS/);
  });

  // `<name>.test.yml`, plus `<name>.<scenario>.test.yml` files that need another evaluation
  // interval (promtool sets it per file).
  it('has unit tests that pass', () => {
    const base = file.replace(/\.rules\.yml$/, '');
    expect(files).toContain(`${base}.test.yml`);
    const tests = files.filter((f) => f.startsWith(`${base}.`) && f.endsWith('.test.yml'));
    expect(promtool('test', 'rules', ...tests.map((t) => join(rulesDir, t)))).toMatch(/SUCCESS/);
  }, 120_000);
});
