/**
 * One real service on its own database plus what most service tests need around it: direct database
 * access (a separate client) and Connect clients for the admin key.
 */
import type { Client } from "@connectrpc/connect";
import type { ApiKeyService } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import type { StartOptions } from "../../service/app.js";
import { connectClient, grpcClient } from "./clients.js";
import { createTestDatabase, withoutUses, type Engine, type SnapshotRow, type TestDatabase } from "./database.js";
import { startTestService, type TestService } from "./service.js";

/** A started service with its database and admin clients. */
export interface Harness {
  readonly service: TestService;
  /** The service's database, read and written directly by the test. */
  readonly db: TestDatabase;
  /** Connect (HTTP/1.1 JSON) client authenticated with the first admin key. */
  readonly admin: Client<typeof ApiKeyService>;
  /** Connect client (JSON over HTTP/1.1) with the given key, or none. */
  connect(key?: string): Client<typeof ApiKeyService>;
  /** gRPC (binary, h2c) client with the given key, or none: sends what JSON cannot encode. */
  grpc(key?: string): Client<typeof ApiKeyService>;
  /**
   * Every stored row without last-use times and usage, after writing pending uses: compare two to prove "nothing
   * written" while the callers' own keys are being used.
   */
  snapshotWithoutUses(): Promise<SnapshotRow[]>;
  stop(): Promise<void>;
}

/** Starts a service on a fresh database named after `label`, on `engine` (the embedded default unless told). */
export async function startHarness(
  label: string,
  options: { env?: Record<string, string>; engine?: Engine } & StartOptions = {},
): Promise<Harness> {
  const db = await createTestDatabase(label, options.engine);
  const service = await startTestService({ ...options, database: db });
  return {
    service,
    db,
    admin: connectClient(service.url, service.adminKey),
    connect: (key) => connectClient(service.url, key),
    grpc: (key) => grpcClient(service.url, key),
    async snapshotWithoutUses() {
      await service.uses.flush();
      return withoutUses(await db.snapshot());
    },
    async stop() {
      await service.stop();
      await db.close();
    },
  };
}
