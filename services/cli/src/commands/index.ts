// The registry of `slimstad` commands. Adding one: write `commands/<name>.ts` exporting a
// CliCommand (see health.ts for the pattern: options, a call through `cli.client(...)` or a
// kit helper, then `cli.print(...)`), and list it below. Errors need no handling there:
// run() turns any thrown error into one clear line and an exit code.
import type { Command } from 'commander';
import type { Cli } from '../program.js';
import { alerts } from './alerts.js';
import { bollards } from './bollards.js';
import { devices } from './devices.js';
import { federation } from './federation.js';
import { health } from './health.js';
import { lighting } from './lighting.js';
import { quarantine } from './quarantine.js';
import { readings } from './readings.js';
import { services } from './services.js';
import { token } from './token.js';
import { waste } from './waste.js';

export interface CliCommand {
  register(program: Command, cli: Cli): void;
}

export const commands: readonly CliCommand[] = [
  health,
  services,
  token,
  devices,
  readings,
  quarantine,
  lighting,
  bollards,
  waste,
  federation,
  alerts,
];
