// `slimstad waste …` as a program, without a service: the help, where the service is looked
// for, and usage errors caught before any call (exit 2).
import { describe, expect, it } from 'vitest';
import { run } from '../index.js';

async function slimstad(args: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await run(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
  });
  return { code, stdout, stderr };
}

describe('slimstad waste (no service)', () => {
  it('lists its commands and where the service is', async () => {
    const help = await slimstad(['waste', '--help']);
    expect(help.code).toBe(0);
    for (const command of [
      'bins',
      'bin',
      'must-visit',
      'vehicles',
      'vehicle',
      'due',
      'plan',
      'routes',
      'emptied',
      'replan',
      'audit',
    ])
      expect(help.stdout).toMatch(new RegExp(`\\n  ${command} `));
    expect(help.stdout).toContain('SLIMSTAD_WASTE_API');
    expect(help.stdout).toContain('127.0.0.1:50055');
    expect((await slimstad(['--help'])).stdout).toMatch(/\n {2}waste /);
  });

  it.each([
    [['waste', 'plan'], "required option '--stream <stream>' not specified"],
    [
      ['waste', 'due', '--stream', 'gold'],
      "option '--stream <stream>' argument 'gold' is invalid. must be one of residual, paper, glass, pmd, organic.",
    ],
    [['waste', 'must-visit', 'on', 'bin-1'], "required option '--reason <text>' not specified"],
    [['waste', 'emptied', 'bin-1'], "required option '--vehicle <id>' not specified"],
    [
      [
        'waste',
        'vehicle',
        'add',
        'v1',
        '--name',
        'V',
        '--litres',
        '1',
        '--kg',
        '1',
        '--depot',
        '51,3',
        '--shift',
        '15:00-07:00',
      ],
      "option '--shift <hh:mm-hh:mm>' argument '15:00-07:00' is invalid. must end after it starts.",
    ],
    [
      [
        'waste',
        'bin',
        'add',
        'b1',
        '--name',
        'B',
        '--lat',
        '51',
        '--lon',
        '3',
        '--litres',
        '-5',
        '--stream',
        'glass',
      ],
      "option '--litres <n>' argument '-5' is invalid. must be a number above 0.",
    ],
    [
      ['waste', 'plan', '--stream', 'glass', '--date', '2026-02-30'],
      "option '--date <yyyy-mm-dd>' argument '2026-02-30' is invalid.",
    ],
  ])('refuses %j before calling the service', async (args, message) => {
    const result = await slimstad(args, { SLIMSTAD_WASTE_API: '127.0.0.1:1' });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message);
  });
});
