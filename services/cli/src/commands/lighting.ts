// `slimstad lighting …`: the lighting service (LightingService) — zones, lamps, a zone's
// lighting profile, manual overrides, the live state of the lamps and the energy report. It
// listens on its own address: --api, else $SLIMSTAD_LIGHTING_API, else 127.0.0.1:50053.
import type { Cli } from '../program.js';
import type { CliCommand } from './index.js';
import { LIGHTING_API } from './lighting-api.js';
import { registerControl } from './lighting-control.js';
import { registerLamps, registerZones } from './lighting-topology.js';

export const lighting: CliCommand = {
  register(program, cli: Cli) {
    const group = program
      .command('lighting')
      .description(
        `smart lighting: zones, lamps, profiles, overrides, state, energy (at --api, $${LIGHTING_API.env} or ${LIGHTING_API.fallback})`,
      );
    registerZones(group, cli);
    registerLamps(group, cli);
    registerControl(group, cli);
  },
};
