// The scrape configurations are valid for Prometheus (`promtool check config`, which also
// checks every rule file they load). Debian's promtool is built without Kubernetes service
// discovery, so kubernetes.yml is checked with its discovery swapped for a static target:
// everything else (relabelling, rule files, globals) goes through promtool unchanged.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';

const here = fileURLToPath(new URL('.', import.meta.url));

function checkConfig(dir: string, file: string): string {
  const run = spawnSync('promtool', ['check', 'config', file], { cwd: dir, encoding: 'utf8' });
  if (run.error) throw new Error(`promtool: ${run.error.message} (apt-get install prometheus)`);
  const output = `${run.stdout}${run.stderr}`;
  expect(run.status, output).toBe(0);
  return output;
}

describe('Prometheus configuration', () => {
  it('prometheus.yml (the compose city) is valid and loads every rule file', () => {
    const output = checkConfig(here, 'prometheus.yml');
    expect(output).toMatch(/SUCCESS: prometheus\.yml is valid/);
    for (const file of ['ingest', 'lighting', 'platform'])
      expect(output).toContain(`rules/${file}.rules.yml`);
    const config = parse(readFileSync(join(here, 'prometheus.yml'), 'utf8'));
    const jobs = config.scrape_configs.map((j: { job_name: string }) => j.job_name);
    for (const service of ['ingest', 'lighting', 'bollards', 'waste', 'alerting', 'federation'])
      expect(jobs).toContain(`slimstad-${service}`);
  });

  it('kubernetes.yml is valid apart from its pod discovery, and names jobs slimstad-<app>', () => {
    const config = parse(readFileSync(join(here, 'kubernetes.yml'), 'utf8'));
    const [job] = config.scrape_configs;
    expect(job.kubernetes_sd_configs[0].role).toBe('pod');
    expect(job.relabel_configs).toContainEqual(
      expect.objectContaining({ replacement: 'slimstad-$1', target_label: 'job' }),
    );
    const dir = mkdtempSync(join(tmpdir(), 'slimstad-prom-k8s-'));
    try {
      cpSync(join(here, 'rules'), join(dir, 'rules'), { recursive: true });
      delete job.kubernetes_sd_configs;
      job.static_configs = [{ targets: ['127.0.0.1:9464'] }];
      writeFileSync(join(dir, 'kubernetes.yml'), stringify(config));
      expect(checkConfig(dir, 'kubernetes.yml')).toMatch(/SUCCESS: kubernetes\.yml is valid/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
