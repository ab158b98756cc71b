// `slimstad bollards …`: the bollards service (BollardService) — access zones and their
// retractable bollards (admin), their live status (viewer), and permits, access checks,
// operator admissions, emergency mode, maintenance and the audit (bollard-operator). It listens
// on its own address: --api, else $SLIMSTAD_BOLLARDS_API, else 127.0.0.1:50054.
import { AccessZone, Bollard } from '@slimstad/contracts/gen/slimstad/bollards/v1/bollards';
import { Argument, type Command, Option } from 'commander';
import type { Cli } from '../program.js';
import { registerAccess } from './bollards-access.js';
import { allPages, BOLLARDS_API, bollardsApi } from './bollards-api.js';
import { failMode } from './bollards-args.js';
import { printBollards, printStatuses, printZones } from './bollards-format.js';
import type { CliCommand } from './index.js';
import { latitude, longitude, natsToken, timeZone } from './lighting-args.js';

const id = (what: string) => new Argument('<id>', `${what} id`).argParser(natsToken);
const zoneFilter = () => new Option('--zone <zone>', 'only this zone').argParser(natsToken);

function registerTopology(group: Command, cli: Cli): void {
  group
    .command('zones')
    .description('list the access zones, with their emergency mode')
    .action(async (_flags, command: Command) => {
      const api = bollardsApi(cli, command);
      const zones = await allPages(async (pageToken, pageSize) => {
        const { zones: items, page } = await api.listZones({ page: { pageSize, pageToken } });
        return { items, nextPageToken: page?.nextPageToken ?? '' };
      });
      printZones(cli, command, zones, true);
    });

  const zone = group.command('zone').description('one access zone: add, get');

  zone
    .command('add')
    .description('add an access zone (admin)')
    .addArgument(id('zone'))
    .requiredOption('--name <name>', 'human-readable name, e.g. Vismarkt')
    .addOption(
      new Option('--time-zone <iana>', "IANA time zone of the permits' windows")
        .argParser(timeZone)
        .default('Europe/Brussels'),
    )
    .action(async (zoneId: string, flags: { name: string; timeZone: string }, command: Command) => {
      const { zone: created } = await bollardsApi(cli, command).createZone({
        zone: AccessZone.fromPartial({ id: zoneId, name: flags.name, timeZone: flags.timeZone }),
      });
      printZones(cli, command, created ? [created] : []);
    });

  zone
    .command('get')
    .description('show one access zone')
    .argument('<id>', 'zone id')
    .action(async (zoneId: string, _flags, command: Command) => {
      const { zone: found } = await bollardsApi(cli, command).getZone({ zoneId });
      printZones(cli, command, found ? [found] : []);
    });

  group
    .command('list')
    .description('list the bollards ordered by id')
    .addOption(zoneFilter())
    .action(async (flags: { zone?: string }, command: Command) => {
      const api = bollardsApi(cli, command);
      const bollards = await allPages(async (pageToken, pageSize) => {
        const { bollards: items, page } = await api.listBollards({
          zoneId: flags.zone ?? '',
          page: { pageSize, pageToken },
        });
        return { items, nextPageToken: page?.nextPageToken ?? '' };
      });
      printBollards(cli, command, bollards, true);
    });

  group
    .command('add')
    .description('add a bollard to an existing zone (admin)')
    .addArgument(id('bollard'))
    .addOption(
      new Option('--zone <zone>', 'the zone it closes').argParser(natsToken).makeOptionMandatory(),
    )
    .requiredOption('--name <name>', 'human-readable name, e.g. "Vismarkt north entrance"')
    .addOption(new Option('--lat <degrees>', 'latitude').argParser(latitude).makeOptionMandatory())
    .addOption(
      new Option('--lon <degrees>', 'longitude').argParser(longitude).makeOptionMandatory(),
    )
    .requiredOption('--controller <id>', 'id of the controller that drives it')
    .requiredOption('--loop <id>', 'id of the induction loop that guards it')
    .addOption(
      new Option(
        '--fail-mode <mode>',
        'on loss of power or of the service: safe (goes down) or secure (stays as it is)',
      )
        .argParser(failMode)
        .makeOptionMandatory(),
    )
    .action(
      async (
        bollardId: string,
        flags: {
          zone: string;
          name: string;
          lat: number;
          lon: number;
          controller: string;
          loop: string;
          failMode: Bollard['failMode'];
        },
        command: Command,
      ) => {
        const { bollard } = await bollardsApi(cli, command).createBollard({
          bollard: Bollard.fromPartial({
            id: bollardId,
            zoneId: flags.zone,
            name: flags.name,
            location: { latitude: flags.lat, longitude: flags.lon },
            controllerId: flags.controller,
            loopId: flags.loop,
            failMode: flags.failMode,
          }),
        });
        printBollards(cli, command, bollard ? [bollard] : []);
      },
    );

  group
    .command('status')
    .description(
      'the live status of every bollard: state, loop, pending command, emergency, fault, fallback',
    )
    .addOption(zoneFilter())
    .action(async (flags: { zone?: string }, command: Command) => {
      const api = bollardsApi(cli, command);
      const statuses = await allPages(async (pageToken, pageSize) => {
        const { statuses: items, page } = await api.listBollardStatus({
          zoneId: flags.zone ?? '',
          page: { pageSize, pageToken },
        });
        return { items, nextPageToken: page?.nextPageToken ?? '' };
      });
      printStatuses(cli, command, statuses, true);
    });
}

export const bollards: CliCommand = {
  register(program, cli: Cli) {
    const group = program
      .command('bollards')
      .description(
        `retractable bollards: zones, bollards, status, permits, access checks, admissions, emergency, maintenance, audit (at --api, $${BOLLARDS_API.env} or ${BOLLARDS_API.fallback})`,
      );
    registerTopology(group, cli);
    registerAccess(group, cli);
  },
};
