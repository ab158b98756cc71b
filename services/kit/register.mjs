// Preloaded with `node --import @slimstad/kit/register dist/main.js`: registers the ESM
// instrumentation hook before any instrumented module loads, then starts the SDK.
// The SDK is imported by package name so the "source" condition (tests) resolves it too.
import { register } from 'node:module';

register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
const { startTelemetry } = await import('@slimstad/kit/telemetry/sdk');
startTelemetry();
