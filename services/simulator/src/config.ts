// The simulator's environment. It has no database of its own, so it takes only the kit's
// process variables (startProcess, not startRuntime's full set), plus where ingest listens
// and how fast the demo runs; optionally where lighting, bollards, waste and alerting listen (to
// seed the demo lamps, bollards, bins and vehicles, alert rules and sandbag points), the bus its
// simulated lamp and bollard controllers listen on, and the clock they share with those services.
import { baseConfigShape, clockConfigShape, millis, port, processConfigShape } from '@slimstad/kit';
import { z } from 'zod';

const {
  LOG_LEVEL,
  LISTEN_HOST,
  AUTH_JWT_KEY,
  AUTH_JWT_ISSUER,
  AUTH_JWT_AUDIENCE,
  SHUTDOWN_TIMEOUT_MS,
} = processConfigShape;

const { NATS_USER, NATS_PASSWORD, NATS_CREDS_FILE, NATS_INBOX_PREFIX, NATS_NAMESPACE } =
  baseConfigShape;

const TOPIC_PREFIX = /^$|^[^#+\s]*[^/#+\s]$/;

export const simulatorConfigSchema = z.object({
  SERVICE_NAME: z.string().default('simulator'),
  LOG_LEVEL,
  LISTEN_HOST,
  /**
   * grpc.health.v1 only: SERVING once the devices are imported and reports flow (and, with
   * LIGHTING_GRPC_ADDRESS, the lighting layout is seeded).
   */
  GRPC_PORT: port.default(50052),
  /** /metrics, /healthz, /readyz. */
  OPS_PORT: port.default(9465),
  /** The HS256 key the simulator signs its own tokens with (and verifies callers). */
  AUTH_JWT_KEY,
  AUTH_JWT_ISSUER,
  AUTH_JWT_AUDIENCE,
  SHUTDOWN_TIMEOUT_MS,
  /**
   * A ready-made operator token, where tokens come from an identity provider; with
   * LIGHTING_GRPC_ADDRESS it must carry the admin role (it seeds zones, lamps and profiles).
   */
  SIMULATOR_TOKEN: z.string().optional(),

  /** ingest's gRPC API (ImportDevices, PushReadings, health). */
  INGEST_GRPC_ADDRESS: z.string().min(1).default('127.0.0.1:50051'),
  /** How long to wait for ingest to be SERVING before giving up (and being restarted). */
  INGEST_WAIT_TIMEOUT_MS: millis.default(300_000),
  /** The TTS webhook endpoint of ingest's HTTP edge. */
  INGEST_TTS_WEBHOOK_URL: z.url().default('http://127.0.0.1:8080/webhooks/tts'),
  /** The `tts` secret of ingest's WEBHOOK_SECRETS (required when the file has TTS devices). */
  SIMULATOR_TTS_SECRET: z.string().default(''),
  /** The city broker (MQTT 5), for ChirpStack uplinks and plain JSON devices. */
  MQTT_URL: z.string().default('mqtt://127.0.0.1:1883'),
  /** Put before every topic (no wildcards), when ingest subscribes under a prefix. */
  SIMULATOR_MQTT_TOPIC_PREFIX: z
    .string()
    .regex(TOPIC_PREFIX, 'must be topic levels without wildcards or a trailing /')
    .default(''),
  SIMULATOR_MQTT_CLIENT_ID: z.string().optional(),

  /** The device file imported into the registry and played; default: demo/devices.csv. */
  SIMULATOR_DEVICES_FILE: z.string().optional(),
  /** Simulated seconds per real second: at 60 a 15-minute interval takes 15 s. */
  SIMULATOR_SPEEDUP: z.coerce.number().positive().max(1_000_000).default(60),
  /** Shortest real time between two reports of one device. */
  SIMULATOR_MIN_INTERVAL_MS: millis.default(1_000),
  /** Seed of every random choice: the same seed plays the same values. */
  SIMULATOR_SEED: z.coerce.number().int().nonnegative().default(2026),
  /** The town's time zone (rush hours, lamp schedules). */
  SIMULATOR_TIME_ZONE: z
    .string()
    .default('Europe/Brussels')
    .refine((zone) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: zone });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone such as Europe/Brussels'),
  /** How often a summary of the reports sent is logged. */
  SIMULATOR_SUMMARY_INTERVAL_MS: millis.default(60_000),

  /** lighting's gRPC API: set, the lighting layout is seeded into it at start (admin token). */
  LIGHTING_GRPC_ADDRESS: z.string().optional(),
  /** How long to wait for lighting to be SERVING before giving up (and being restarted). */
  LIGHTING_WAIT_TIMEOUT_MS: millis.default(300_000),
  /** The lighting layout seeded and played; default: demo/lighting.json. */
  SIMULATOR_LIGHTING_FILE: z.string().optional(),
  /** The city's NATS: set, the layout's lamp controllers are simulated on it. */
  NATS_URL: z.string().optional(),
  NATS_USER,
  NATS_PASSWORD,
  NATS_CREDS_FILE,
  NATS_INBOX_PREFIX,
  /** Prefix of every subject (tests); the lighting service's own. */
  NATS_NAMESPACE,
  /**
   * bollards' gRPC API: set (with NATS_URL), the bollards file's zones, bollards and permits are
   * seeded into it at start (admin token), and their controllers and traffic are played.
   */
  BOLLARDS_GRPC_ADDRESS: z.string().optional(),
  /** How long to wait for bollards to be SERVING before giving up (and being restarted). */
  BOLLARDS_WAIT_TIMEOUT_MS: millis.default(300_000),
  /** The bollards file seeded and played; default: demo/bollards.json. */
  SIMULATOR_BOLLARDS_FILE: z.string().optional(),
  /**
   * The municipality's identity secret, the bollards service's own: the simulated reader
   * gateway sends only keyed hashes of plates and badges (required with BOLLARDS_GRPC_ADDRESS).
   */
  BOLLARDS_IDENTITY_SECRET: z.string().default(''),
  /**
   * waste's gRPC API: set, the waste file's vehicles and bins are seeded into it at start
   * (admin token). The bins' sensors are devices of the device file and report through ingest.
   */
  WASTE_GRPC_ADDRESS: z.string().optional(),
  /** How long to wait for waste to be SERVING before giving up (and being restarted). */
  WASTE_WAIT_TIMEOUT_MS: millis.default(300_000),
  /** The waste file seeded; default: demo/waste.json. */
  SIMULATOR_WASTE_FILE: z.string().optional(),
  /** Play the bollards file's traffic (vans, residents, strangers, fire engines). */
  SIMULATOR_TRAFFIC: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  /**
   * alerting's gRPC API: set, the alerting file's rules and resource points (sandbag
   * distribution) are seeded into it at start (admin token).
   */
  ALERTING_GRPC_ADDRESS: z.string().optional(),
  /** How long to wait for alerting to be SERVING before giving up (and being restarted). */
  ALERTING_WAIT_TIMEOUT_MS: millis.default(300_000),
  /** The alert rules and resource points seeded; default: demo/alerting.json. */
  SIMULATOR_ALERTING_FILE: z.string().optional(),
  /** Feedback of every simulated lamp every this many clock ms. */
  SIMULATOR_LAMP_FEEDBACK_MS: millis.default(60_000),
  /**
   * The lamp controllers' clock (CLOCK_START, CLOCK_SPEED, CLOCK_ANCHOR_MS; unset: the system
   * clock). Give the same values as to the lighting service: a controller measures its
   * fail-safe delay and its own night schedule by it. Readings keep SIMULATOR_SPEEDUP.
   */
  ...clockConfigShape,
});

export type SimulatorConfig = z.infer<typeof simulatorConfigSchema>;
