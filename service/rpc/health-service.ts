/**
 * grpc.health.v1.Health: SERVING while the database answers, NOT_SERVING while it does not.
 * Check reads a status kept fresh by a background ping, so it costs no I/O.
 */
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "../../proto/gen/grpc/health/v1/health_pb.js";
import { ApiKeyService } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { setTimeout as sleep } from "node:timers/promises";

/** Tells whether the service can serve now. */
export interface HealthSource {
  readonly isServing: boolean;
}

const KNOWN_SERVICES = new Set(["", ApiKeyService.typeName]);

function statusOf(service: string, source: HealthSource): ServingStatus {
  if (!KNOWN_SERVICES.has(service)) throw new ConnectError(`unknown service "${service.slice(0, 100)}"`, Code.NotFound);
  return source.isServing ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
}

/** The health service's handlers. */
export function healthServiceImpl(source: HealthSource, watchIntervalMs = 1000): ServiceImpl<typeof Health> {
  return {
    check(req) {
      return { status: statusOf(req.service, source) };
    },
    async *watch(req, ctx) {
      let last: ServingStatus | undefined;
      while (!ctx.signal.aborted) {
        const status = KNOWN_SERVICES.has(req.service) ? statusOf(req.service, source) : ServingStatus.SERVICE_UNKNOWN;
        if (status !== last) yield { status };
        last = status;
        await sleep(watchIntervalMs, undefined, { signal: ctx.signal }).catch(() => undefined);
      }
    },
  };
}
