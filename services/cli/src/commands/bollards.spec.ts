// `slimstad bollards …` as a program, without a service: the help, every usage error caught
// before a call (exit 2), where the service is looked for, and following pages up to a limit.
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { run } from '../index.js';
import { allPages, MAX_PAGE } from './bollards-api.js';

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

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 1;
}

const PERMIT = [
  'bollards',
  'permit',
  'add',
  '--class',
  'delivery',
  '--zones',
  'vismarkt',
  '--from',
  '2026-11-01T00:00:00Z',
  '--until',
  '2027-05-01T00:00:00Z',
];

describe('slimstad bollards (no service)', () => {
  it('lists its commands and where the service is', async () => {
    const help = await slimstad(['bollards', '--help']);
    expect(help.code).toBe(0);
    for (const command of [
      'zones',
      'zone',
      'list',
      'add',
      'status',
      'permits',
      'permit',
      'check',
      'admit',
      'emergency',
      'maintenance',
      'audit',
    ])
      expect(help.stdout).toMatch(new RegExp(`\\n  ${command} `));
    expect(help.stdout).toContain('SLIMSTAD_BOLLARDS_API');
    expect(help.stdout).toContain('127.0.0.1:50054');
    expect((await slimstad(['--help'])).stdout).toMatch(/\n {2}bollards /);
  });

  it.each([
    [['bollards', 'admit', 'vm-north'], "required option '--reason <text>' not specified"],
    [
      ['bollards', 'admit', 'vm-north', '--reason', ' '],
      "argument ' ' is invalid. must not be empty.",
    ],
    [['bollards', 'emergency', 'on', 'vismarkt'], "required option '--reason <text>'"],
    [['bollards', 'maintenance', 'off', 'vm-north'], "required option '--reason <text>'"],
    [['bollards', 'permit', 'revoke', 'p-1'], "required option '--reason <text>'"],
    [[...PERMIT, '--plate', 'X'], "required option '--reason <text>'"],
    [
      ['bollards', 'emergency', 'maybe', 'vismarkt', '--reason', 'r'],
      "value 'maybe' is invalid for argument 'on|off'. must be on or off.",
    ],
    [
      [...PERMIT, '--plate', 'X', '--window', 'Mon-Sat 6-11', '--reason', 'r'],
      "option '--window <days hh:mm-hh:mm>' argument 'Mon-Sat 6-11' is invalid. \"6-11\" is not a time range HH:MM-HH:MM",
    ],
    [
      [...PERMIT, '--plate', 'X', '--window', 'Mo-Sa 06:00-11:00', '--reason', 'r'],
      'argument \'Mo-Sa 06:00-11:00\' is invalid. "Mo-Sa" is not a day or a range of days',
    ],
    [
      [...PERMIT, '--plate', 'X', '--badge', 'Y', '--reason', 'r'],
      'give --plate or --badge, not both',
    ],
    [[...PERMIT, '--reason', 'r'], 'say whose permit: --plate or --badge'],
    [
      PERMIT.map((a) => (a === 'delivery' ? 'bicycle' : a)).concat('--plate', 'X', '--reason', 'r'),
      'must be one of resident, delivery, taxi, public_service, emergency, event.',
    ],
    [
      ['bollards', 'add', 'vm-1', '--zone', 'v', '--name', 'n', '--lat', '51', '--lon', '3'],
      "required option '--controller <id>' not specified",
    ],
    [
      [
        'bollards',
        'add',
        'vm-1',
        '--zone',
        'v',
        '--name',
        'n',
        '--lat',
        '51',
        '--lon',
        '3',
        '--controller',
        'c',
        '--loop',
        'l',
        '--fail-mode',
        'open',
      ],
      'must be one of safe, secure.',
    ],
    [['bollards', 'zone', 'add', 'vis markt', '--name', 'V'], 'must be a single NATS token'],
    [['bollards', 'zone', 'add', 'v', '--name', 'V', '--time-zone', 'Mars/Olympus'], 'IANA'],
    [['bollards', 'check', 'vm-north', '--at', 'tomorrow'], 'must be an ISO 8601 time with a zone'],
    [['bollards', 'check', 'vm-north', '--plate', 'A', '--badge', 'B'], 'not both'],
    [['bollards', 'permits', '--plate', 'A', '--badge', 'B'], 'not both'],
    [['bollards', 'audit', '--limit', '0'], 'must be a whole number from 1 to 10000.'],
    [['bollards', 'audit', '--kind', 'everything'], 'Allowed choices are decision, command'],
  ])('refuses %j before any call, with exit 2', async (args, message) => {
    const env = { SLIMSTAD_BOLLARDS_API: `127.0.0.1:${await closedPort()}` };
    const result = await slimstad(args, env);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toContain('UNAVAILABLE');
    expect(result.code).toBe(2);
  });

  it('calls --api, else $SLIMSTAD_BOLLARDS_API (not $SLIMSTAD_API), and says which to set', async () => {
    const port = await closedPort();
    const env = { SLIMSTAD_API: '127.0.0.1:1', SLIMSTAD_BOLLARDS_API: `127.0.0.1:${port}` };
    const fromEnv = await slimstad(['bollards', 'status'], env);
    expect(fromEnv.code).toBe(1);
    expect(fromEnv.stderr).toBe(
      `slimstad: cannot reach 127.0.0.1:${port} (UNAVAILABLE) — is the service running? set --api or SLIMSTAD_BOLLARDS_API\n`,
    );
    const other = await closedPort();
    const fromFlag = await slimstad(['--api', `127.0.0.1:${other}`, 'bollards', 'zones'], env);
    expect(fromFlag.stderr).toContain(`cannot reach 127.0.0.1:${other} (UNAVAILABLE)`);
  });
});

describe('allPages', () => {
  const source = (total: number) => {
    const calls: [string, number][] = [];
    const fetch = async (pageToken: string, pageSize: number) => {
      calls.push([pageToken, pageSize]);
      const offset = Number(pageToken || '0');
      const items = Array.from(
        { length: Math.max(0, Math.min(pageSize, total - offset)) },
        (_, i) => offset + i,
      );
      const next = offset + pageSize < total ? String(offset + pageSize) : '';
      return { items, nextPageToken: next };
    };
    return { calls, fetch };
  };

  it('follows every page, asking for the largest pages', async () => {
    const { calls, fetch } = source(2_500);
    expect(await allPages(fetch)).toHaveLength(2_500);
    expect(calls).toEqual([
      ['', MAX_PAGE],
      ['1000', MAX_PAGE],
      ['2000', MAX_PAGE],
    ]);
  });

  it('stops at the limit, asking only for what is left', async () => {
    const { calls, fetch } = source(5_000);
    const items = await allPages(fetch, 1_500);
    expect(items).toHaveLength(1_500);
    expect(items.at(-1)).toBe(1_499);
    expect(calls).toEqual([
      ['', 1_000],
      ['1000', 500],
    ]);
    const small = source(5_000);
    expect(await allPages(small.fetch, 50)).toHaveLength(50);
    expect(small.calls).toEqual([['', 50]]);
  });

  it('refuses a page token that comes back twice', async () => {
    await expect(allPages(async () => ({ items: [1], nextPageToken: 'same' }))).rejects.toThrow(
      'the bollards service returned page token same twice',
    );
  });
});
