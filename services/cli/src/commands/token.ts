// `slimstad token create`: signs an HS256 bearer token with the services' shared secret, for
// development and demos. Production tokens come from the city's identity provider.
// In table output the token is printed alone, so `export SLIMSTAD_TOKEN=$(slimstad token create …)` works.
import { isRole, ROLES, type Role, signToken } from '@slimstad/kit/grpc/index';
import { InvalidArgumentError, Option } from 'commander';
import { CliError, EXIT_USAGE } from '../errors.js';
import type { Cli } from '../program.js';
import type { CliCommand } from './index.js';

const UNIT_SECONDS = { s: 1, m: 60, h: 3_600, d: 86_400 } as const;

function parseTtl(value: string): number {
  const match = /^(\d+)([smhd])$/.exec(value.trim());
  if (!match?.[1] || !match[2])
    throw new InvalidArgumentError('must be a number with a unit: 90s, 30m, 8h or 7d.');
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
  if (seconds <= 0) throw new InvalidArgumentError('must be longer than zero.');
  return seconds;
}

function parseRoles(value: string): Role[] {
  const roles = value
    .split(',')
    .map((role) => role.trim())
    .filter((role) => role !== '');
  const unknown = roles.filter((role) => !isRole(role));
  if (unknown.length > 0)
    throw new InvalidArgumentError(
      `unknown role ${unknown.join(', ')}; roles are ${ROLES.join(', ')}.`,
    );
  if (roles.length === 0)
    throw new InvalidArgumentError(`name at least one role of ${ROLES.join(', ')}.`);
  return roles as Role[];
}

export const token: CliCommand = {
  register(program, cli: Cli) {
    const group = program.command('token').description('bearer tokens for development and demos');
    group
      .command('create')
      .description(
        'sign an HS256 token with the shared secret the services verify with (AUTH_JWT_KEY)',
      )
      .requiredOption('--subject <name>', 'who the token is for, e.g. an operator id')
      .requiredOption(
        '--roles <role,...>',
        `comma-separated roles: ${ROLES.join(', ')}`,
        parseRoles,
      )
      .option(
        '--key <secret>',
        'the HS256 shared secret (default: $AUTH_JWT_KEY; prefer the variable: flags end up in shell history)',
      )
      .addOption(
        new Option('--ttl <duration>', 'lifetime, e.g. 30m, 8h, 7d')
          .argParser(parseTtl)
          .default(UNIT_SECONDS.h * 8, '8h'),
      )
      .option('--issuer <iss>', 'issuer claim (default: $AUTH_JWT_ISSUER or slimstad)')
      .option('--audience <aud>', 'audience claim (default: $AUTH_JWT_AUDIENCE or slimstad)')
      .action(
        async (
          options: {
            subject: string;
            roles: Role[];
            key?: string;
            ttl: number;
            issuer?: string;
            audience?: string;
          },
          command,
        ) => {
          const env = cli.io.env;
          const key = options.key ?? env.AUTH_JWT_KEY;
          if (!key) {
            throw new CliError(
              'no signing key: pass --key or set AUTH_JWT_KEY to the secret the services verify tokens with',
              EXIT_USAGE,
            );
          }
          if (key.includes('-----BEGIN')) {
            throw new CliError(
              'AUTH_JWT_KEY is a PEM key; token create signs with an HS256 shared secret only (use your identity provider for RS256/ES256)',
              EXIT_USAGE,
            );
          }
          const signed = await signToken({
            key,
            subject: options.subject,
            roles: options.roles,
            issuer: options.issuer ?? env.AUTH_JWT_ISSUER ?? 'slimstad',
            audience: options.audience ?? env.AUTH_JWT_AUDIENCE ?? 'slimstad',
            expiresIn: options.ttl,
          });
          const expiresAt = new Date(Date.now() + options.ttl * 1000);
          if (cli.globals(command).output === 'json') {
            cli.print(command, {
              json: { token: signed, subject: options.subject, roles: options.roles, expiresAt },
              rows: [],
              columns: [],
            });
          } else {
            cli.io.stdout.write(`${signed}\n`);
          }
        },
      );
  },
};
