// Proves the buf configuration guards the contracts: `buf breaking` (FILE rules) refuses a
// renumbered field and accepts an unchanged or additive module, and `buf lint` (STANDARD)
// passes on the real module and refuses a violation. Uses directory inputs on copies of the
// module, so no git history is needed.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const protoDir = fileURLToPath(new URL('..', import.meta.url));
const bufBin = path.join(protoDir, 'node_modules', '.bin', 'buf');

/** Runs buf, returning its exit status and combined output instead of throwing. */
function buf(args: string[], cwd = protoDir): { status: number; output: string } {
  try {
    const output = execFileSync(bufBin, args, { cwd, encoding: 'utf8', stdio: 'pipe' });
    return { status: 0, output };
  } catch (error) {
    const e = error as { status?: number | null; stdout?: string; stderr?: string };
    return { status: e.status ?? -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

let work: string;
let original: string;

/** Copies the module (buf.yaml and the .proto trees, not gen/ or node_modules/) to `dir`. */
function copyModule(from: string, dir: string): string {
  for (const entry of ['buf.yaml', 'google', 'slimstad']) {
    cpSync(path.join(from, entry), path.join(dir, entry), { recursive: true });
  }
  return dir;
}

/** A copy of the original module with one file edited; the edit must apply. */
function modified(name: string, file: string, edit: (text: string) => string): string {
  const dir = copyModule(original, path.join(work, name));
  const target = path.join(dir, file);
  const before = readFileSync(target, 'utf8');
  const after = edit(before);
  expect(after, 'the edit must change the file').not.toBe(before);
  writeFileSync(target, after);
  return dir;
}

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'slimstad-buf-'));
  original = copyModule(protoDir, path.join(work, 'original'));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('buf breaking', () => {
  it('accepts an unchanged module', () => {
    const same = copyModule(original, path.join(work, 'same'));
    const result = buf(['breaking', same, '--against', original]);
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  it('accepts an added field', () => {
    const dir = modified('added', 'slimstad/sensor/v1/reading.proto', (text) =>
      text.replace(
        '  DeviceType device_type = 10;\n}',
        '  DeviceType device_type = 10;\n  // Added.\n  string note = 11;\n}',
      ),
    );
    const result = buf(['breaking', dir, '--against', original]);
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  it('refuses a renumbered field of Reading, naming it', () => {
    const dir = modified('renumbered', 'slimstad/sensor/v1/reading.proto', (text) =>
      text.replace('string metric = 2;', 'string metric = 12;'),
    );
    const result = buf(['breaking', dir, '--against', original]);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('slimstad/sensor/v1/reading.proto');
    expect(result.output).toMatch(/field "2" with name "metric" on message "Reading"/);
  });

  it('refuses a renamed field (FILE rules keep JSON names stable)', () => {
    const dir = modified('renamed', 'slimstad/sensor/v1/device.proto', (text) =>
      text.replace('string owner_department = 7;', 'string department = 7;'),
    );
    const result = buf(['breaking', dir, '--against', original]);
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/owner_department/);
  });
});

describe('buf lint', () => {
  it('passes on the real module', () => {
    const result = buf(['lint']);
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  it('refuses an enum without an UNSPECIFIED zero value', () => {
    const dir = modified('lint', 'slimstad/common/v1/common.proto', (text) =>
      text.concat('\n// Bad.\nenum Colour {\n  // Bad.\n  COLOUR_RED = 0;\n}\n'),
    );
    const result = buf(['lint', dir]);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('COLOUR_RED');
  });
});
