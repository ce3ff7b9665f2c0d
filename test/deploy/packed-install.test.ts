// A production install, as a host without the development tools gets it: `npm pack` (which compiles
// dist/ and ships the lockfile as npm-shrinkwrap.json), the tarball unpacked into a temporary directory,
// `npm ci --omit=dev` there from the npm registry. Node 24 is the host's (here the repository's own
// `node` package, on PATH; the omitted devDependency `node` is not installed). Then the installed build
// must start with `npm start`, answer every protocol, keep its log on stdout JSON only, run
// `npm run bootstrap`, load the dashboard, and stop cleanly on SIGTERM.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus } from "../../proto/gen/grpc/health/v1/health_pb.js";
import { ServerReflection } from "../../proto/gen/grpc/reflection/v1/reflection_pb.js";
import { ApiKeyService, Status, VerifyCode } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { bearer, connectClient, grpcJsCall, postConnectJson } from "../support/clients.js";
import { grpcJsServiceConstructor } from "../support/grpc-js-proto.js";
import { grpcurl } from "../support/grpcurl.js";
import { KEY_TEXT } from "../support/rejections.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { REPO_ROOT } from "../support/repo-root.js";
import { adminKeyFromNotice, parseLogLine, spawnService, type ServiceProcess } from "../support/service-process.js";

/** Node 24: the repository's `node` package, standing in for the production host's Node. */
const NODE_24_BIN = dirname(realpathSync(join(REPO_ROOT, "node_modules/.bin/node")));
const PACK_TIMEOUT_MS = 120_000;
const INSTALL_TIMEOUT_MS = 300_000;
const COMMAND_TIMEOUT_MS = 60_000;

let work: string;
let installDir: string;
let tarballFiles: string[];
const running: ServiceProcess[] = [];

/**
 * The environment of a production host: this machine's (its network and certificate settings reach the
 * npm registry), with Node 24 first on PATH and no trace of this repository: neither its
 * node_modules/.bin (tsx, tsc) nor the npm_* variables and settings of the `npm test` running us.
 */
function hostEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(npm_|INIT_CWD$|MONGODB_|API_KEY_PEPPER$|DATA_DIR$|LOG_LEVEL$|PORT$|HOST$|METRICS_)/i.test(name)) env[name] = value;
  }
  env.PATH = [NODE_24_BIN, ...(process.env.PATH ?? "/usr/bin:/bin").split(delimiter).filter((dir) => !dir.includes("node_modules"))].join(delimiter);
  return env;
}

/** Runs a command to its end within `timeoutMs`; rejects, with its output, on a timeout or when `check` is set and it fails. */
function run(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; check?: boolean }) {
  const timeoutMs = options.timeoutMs ?? COMMAND_TIMEOUT_MS;
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
    execFile(command, [...args], { cwd: options.cwd, env: options.env ?? hostEnv(), timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      const shown = `\`${command} ${args.join(" ")}\` in ${options.cwd}`;
      if (error?.killed) return reject(new Error(`${shown} did not finish within ${timeoutMs} ms:\n${stdout}\n${stderr}`));
      if (options.check !== false && code !== 0) return reject(new Error(`${shown} exited with ${code}:\n${stdout}\n${stderr}`));
      resolve({ code, stdout, stderr });
    });
  });
}

/** The environment of an installed service on a fresh database of the test server (production mode: MongoDB). */
async function serviceEnv(label: string): Promise<Record<string, string>> {
  const database: TestDatabase = await createTestDatabase(label, "mongodb");
  await database.close();
  return { ...database.env, HOST: "127.0.0.1", PORT: "0", LAST_USED_FLUSH_INTERVAL_MS: "200" };
}

/** `npm start` in the installed package (`--silent`: npm's own header would otherwise go to stdout). */
async function startInstalled(env: Record<string, string>): Promise<ServiceProcess> {
  const service = await spawnService(env, { command: ["npm", "--silent", "start"], cwd: installDir, baseEnv: hostEnv(), timeoutMs: COMMAND_TIMEOUT_MS });
  running.push(service);
  return service;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "api-access-packed-"));
  // `npm pack` runs prepack: a fresh build into dist/ and the lockfile copied to npm-shrinkwrap.json.
  const packed = await run("npm", ["pack", "--silent", "--pack-destination", work], { cwd: REPO_ROOT, timeoutMs: PACK_TIMEOUT_MS });
  const tarball = join(work, packed.stdout.trim().split("\n").pop()!);
  tarballFiles = (await run("tar", ["tzf", tarball], { cwd: work })).stdout.trim().split("\n");
  await run("tar", ["xzf", tarball], { cwd: work });
  installDir = join(work, "package");
  await run("npm", ["ci", "--omit=dev", "--no-audit", "--no-fund"], { cwd: installDir, timeoutMs: INSTALL_TIMEOUT_MS });
}, PACK_TIMEOUT_MS + INSTALL_TIMEOUT_MS + 30_000);

afterAll(async () => {
  for (const service of running) await service.stop("SIGKILL");
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("the packed build", () => {
  it("holds what production needs and nothing else", () => {
    const allowed = /^package\/(package\.json|README\.md|npm-shrinkwrap\.json|dist\/.+\.js(\.map)?|patches\/[^/]+\.patch)$/;
    expect(tarballFiles.filter((file) => !allowed.test(file))).toEqual([]);
    // Unit tests live beside the modules they test (service/**/*.test.ts): never built, never shipped.
    expect(tarballFiles.filter((file) => /\.test\.[jt]sx?(\.map)?$/.test(file))).toEqual([]);
    for (const entry of ["dist/service/main.js", "dist/service/bootstrap.js", "dist/tui/main.js", "dist/proto/gen/tokenizer/apikeys/v1/api_keys_pb.js", "npm-shrinkwrap.json"]) {
      expect(tarballFiles).toContain(`package/${entry}`);
    }
    for (const patch of readdirSync(join(REPO_ROOT, "patches"))) expect(tarballFiles).toContain(`package/patches/${patch}`);
  });

  it("installs without development tools, with the locked and patched dependencies", () => {
    const modules = join(installDir, "node_modules");
    for (const tool of ["tsx", "typescript", "vitest", "node", "@bufbuild/buf", "@grpc/grpc-js", "zapier-platform-core"]) {
      expect(existsSync(join(modules, tool)), `${tool} is installed`).toBe(false);
    }
    const version = (dir: string) => (JSON.parse(readFileSync(join(dir, "node_modules/mongodb/package.json"), "utf8")) as { version: string }).version;
    expect(version(installDir)).toBe(version(REPO_ROOT)); // the lockfile's version, which the patch is for
    for (const file of ["mongodb/lib/cmap/connection.js", "@connectrpc/connect/dist/esm/protocol/serialization.js", "@bufbuild/protobuf/dist/esm/from-json.js"]) {
      expect(readFileSync(join(modules, file), "utf8"), file).toContain("patched (tokenizer-api-access)");
    }
  });
});

describe("npm start from the installed build", () => {
  it("answers every protocol, logs JSON only on stdout, and exits 0 on SIGTERM", async () => {
    const service = await startInstalled(await serviceEnv("packed"));
    const adminKey = adminKeyFromNotice(service.stderr());
    const { url } = service;

    // gRPC with @grpc/grpc-js, as the platform's internal services call Verify.
    const GrpcJs = grpcJsServiceConstructor();
    const grpcJs = new GrpcJs(url.replace("http://", ""), grpc.credentials.createInsecure());
    try {
      expect(await grpcJsCall<{ code: string }>(grpcJs, "Verify", { key: adminKey })).toMatchObject({ valid: true, code: "VERIFY_CODE_VALID" });
    } finally {
      grpcJs.close();
    }
    // Connect JSON over HTTP/1.1 (curl, Zapier).
    const generated = await postConnectJson(url, "Generate", { name: "Packed build", scopes: ["keys:read"] }, adminKey);
    expect(generated.status, JSON.stringify(generated.body)).toBe(200);
    const { secret, apiKey } = generated.body as { secret: string; apiKey: { id: string } };
    // Connect binary over HTTP/1.1, and binary and JSON over HTTP/2.
    for (const [httpVersion, useBinaryFormat] of [["1.1", true], ["2", true], ["2", false]] as const) {
      const client = createClient(ApiKeyService, createConnectTransport({ baseUrl: url, httpVersion, useBinaryFormat, interceptors: [bearer(adminKey)] }));
      expect((await client.verify({ key: secret })).code, `Connect ${useBinaryFormat ? "binary" : "JSON"} over HTTP/${httpVersion}`).toBe(VerifyCode.VALID);
      expect((await client.list({ idContains: apiKey.id })).apiKeys.map((key) => key.id)).toEqual([apiKey.id]);
    }
    // gRPC-Web over HTTP/1.1.
    const grpcWeb = createClient(ApiKeyService, createGrpcWebTransport({ baseUrl: url, httpVersion: "1.1", interceptors: [bearer(adminKey)] }));
    expect((await grpcWeb.revoke({ id: apiKey.id })).apiKey!.status).toBe(Status.INACTIVE);
    expect((await connectClient(url).verify({ key: secret })).code).toBe(VerifyCode.REVOKED);
    // Health and server reflection over gRPC (HTTP/2).
    const transport = createGrpcTransport({ baseUrl: url });
    expect((await createClient(Health, transport).check({})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    async function* listServices() {
      yield { messageRequest: { case: "listServices" as const, value: "" } };
    }
    const services: string[] = [];
    for await (const answer of createClient(ServerReflection, transport).serverReflectionInfo(listServices())) {
      if (answer.messageResponse.case === "listServicesResponse") services.push(...answer.messageResponse.value.service.map((entry) => entry.name));
    }
    expect(services).toContain(ApiKeyService.typeName);
    // Prometheus metrics on the API port (METRICS_PORT unset).
    const metrics = await fetch(`${url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('apikeys_rpc_duration_seconds_count{procedure="tokenizer.apikeys.v1.ApiKeyService/Generate",code="ok"} 1');

    const exitCode = await service.stop("SIGTERM");
    expect(exitCode).toBe(0);
    const lines = service.stdout().trimEnd().split("\n");
    expect(lines.filter((line) => parseLogLine(line) === null), "stdout lines that are not JSON").toEqual([]);
    expect(lines.map((line) => parseLogLine(line)!.msg)).toEqual(expect.arrayContaining(["listening", "key generated", "key revoked", "shutting down: draining calls and flushing last-use times"]));
    expect(lines.some((line) => parseLogLine(line)!.step === "database"), "the database client was closed").toBe(true);
    expect(service.stdout()).not.toMatch(KEY_TEXT);
  }, 120_000);

  it("is found and described by grpcurl through server reflection", async () => {
    // The pinned grpcurl (npm test builds it first): grpcurl() fails this test, never skips it, when it is missing.
    const service = await startInstalled(await serviceEnv("packed_grpcurl"));
    const address = service.url.replace("http://", "");
    const listed = await grpcurl(["-plaintext", address, "list"]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout.trim().split("\n")).toEqual(expect.arrayContaining([ApiKeyService.typeName, "grpc.health.v1.Health"]));
    const described = await grpcurl(["-plaintext", address, "describe", `${ApiKeyService.typeName}.Verify`]);
    expect(described.code, described.stderr).toBe(0);
    expect(await service.stop("SIGTERM")).toBe(0);
  }, 420_000);

  it("npm run bootstrap creates an admin key that the service then accepts (and no first admin key)", async () => {
    const env = await serviceEnv("packed_bootstrap");
    const bootstrapped = await run("npm", ["--silent", "run", "bootstrap", "--", "--company", "acme", "--name", "Acme admin"], {
      cwd: installDir,
      env: { ...hostEnv(), ...env },
    });
    const key = /^ {4}(tek_[0-9A-Za-z]{36})$/m.exec(bootstrapped.stdout)?.[1];
    expect(key, bootstrapped.stdout).toBeDefined();
    expect(bootstrapped.stdout).toContain('Admin key for company "acme"');

    const service = await startInstalled(env);
    expect(service.stderr()).not.toContain("First admin key");
    const verified = await connectClient(service.url).verify({ key: key! });
    expect(verified).toMatchObject({ valid: true, code: VerifyCode.VALID });
    expect(verified.apiKey).toMatchObject({ name: "Acme admin", companyId: "acme", scopes: ["keys:read", "keys:write"] });
    expect(await service.stop("SIGTERM")).toBe(0);
  }, 120_000);

  it("loads the dashboard (which then asks for a terminal)", async () => {
    const dashboard = await run("npm", ["--silent", "run", "dashboard"], { cwd: installDir, env: { ...hostEnv(), TOKENIZER_URL: "http://127.0.0.1:9" }, check: false });
    expect(dashboard.stderr).toContain("The dashboard needs an interactive terminal");
    expect(dashboard.code).toBe(2);
  });

  it("starts in embedded mode (no MONGODB_URI, nothing but Node), writing the first admin key to DATA_DIR", async () => {
    const dataDir = join(work, "embedded-data");
    const service = await startInstalled({ DATA_DIR: dataDir, HOST: "127.0.0.1", PORT: "0" });
    expect(readFileSync(join(dataDir, "admin.key"), "utf8").trim()).toBe(adminKeyFromNotice(service.stderr()));
    expect(await service.stop("SIGTERM")).toBe(0);
  }, 120_000);
});
