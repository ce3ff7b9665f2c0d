#!/usr/bin/env node
// Builds every Go tool the tests and benchmarks use, at the fixed versions of go-tools.json, once, into
// .cache/<tool>-<version>/ (`npm test` and `npm run bench` run this first; a tool already built is skipped,
// so a second run costs nothing). Test-only: the service needs nothing but Node. Needs Go the first time.
//
//   node test/support/go-tools/install-go-tools.mjs [tool ...]     (no names: every tool)
//
// - ferretdb: not a plain `go install`: the module as published lacks build/version/version.txt (release
//   builds generate it) and a binary built without it panics at start-up, so its source is copied out of
//   the module cache, that one file written, and built.
// - grpcurl, ghz: `go install module@version` into the tool's own directory.
// - grpc-go-noop-server: built from ./grpc-noop-server (go.mod and go.sum pin grpc-go); its directory name
//   carries a hash of those files, so an edit builds it again.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "../../..");
/** The tools, their modules and versions. */
export const GO_TOOLS = JSON.parse(readFileSync(join(here, "go-tools.json"), "utf8"));

function sourceHash(dir) {
  const hash = createHash("sha256");
  for (const name of readdirSync(dir).sort()) hash.update(name).update(readFileSync(join(dir, name)));
  return hash.digest("hex").slice(0, 10);
}

/** Where a tool's binary is (built or not). */
export function toolPath(name) {
  const tool = GO_TOOLS[name];
  if (!tool) throw new Error(`unknown Go tool "${name}" (known: ${Object.keys(GO_TOOLS).join(", ")})`);
  const suffix = tool.source ? `-${sourceHash(join(here, tool.source))}` : "";
  return join(repoRoot, ".cache", `${name}-${tool.version}${suffix}`, tool.binary);
}

function findGo() {
  for (const candidate of ["go", "/usr/local/go/bin/go"]) {
    try {
      execFileSync(candidate, ["version"], { stdio: "ignore" });
      return candidate;
    } catch {
      // next
    }
  }
  throw new Error("Go is needed once to build the tests' tools (FerretDB, grpcurl, ghz, the grpc-go baseline) and was not found. Install Go 1.24+ (running the service needs only Node).");
}

const goEnv = () => ({ ...process.env, GOFLAGS: "-buildvcs=false", CGO_ENABLED: "0" });

function buildFerretDb(go, tool, out) {
  const info = JSON.parse(execFileSync(go, ["mod", "download", "-json", `${tool.module}@${tool.version}`], { env: goEnv(), encoding: "utf8" }));
  const work = mkdtempSync(join(tmpdir(), "ferretdb-src-"));
  try {
    const src = join(work, "src");
    cpSync(info.Dir, src, { recursive: true });
    chmodSync(src, 0o755);
    execFileSync("chmod", ["-R", "u+w", src]);
    writeFileSync(join(src, "build", "version", "version.txt"), `${tool.version}\n`);
    execFileSync(go, ["build", "-trimpath", "-o", out, "./cmd/ferretdb"], { cwd: src, env: goEnv(), stdio: "inherit" });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function build(name) {
  const tool = GO_TOOLS[name];
  const target = toolPath(name);
  if (existsSync(target)) {
    console.log(`[go-tools] ${name} ${tool.version}: cached (${target})`);
    return target;
  }
  const go = findGo();
  console.log(`[go-tools] building ${name} ${tool.version} (once; cached in .cache/) ...`);
  // Built beside the target and renamed into place: an interrupted build never leaves a broken binary.
  mkdirSync(dirname(target), { recursive: true });
  const partial = `${target}.partial`;
  if (name === "ferretdb") {
    buildFerretDb(go, tool, partial);
  } else if (tool.source) {
    execFileSync(go, ["build", "-trimpath", "-o", partial, "."], { cwd: join(here, tool.source), env: goEnv(), stdio: "inherit" });
  } else {
    const gobin = mkdtempSync(join(tmpdir(), `${name}-bin-`));
    try {
      execFileSync(go, ["install", `${tool.module}@${tool.version}`], { env: { ...goEnv(), GOBIN: gobin }, stdio: "inherit" });
      renameSync(join(gobin, tool.binary), partial);
    } finally {
      rmSync(gobin, { recursive: true, force: true });
    }
  }
  renameSync(partial, target);
  console.log(`[go-tools] built ${target}`);
  return target;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const names = process.argv.slice(2);
  for (const name of names.length > 0 ? names : Object.keys(GO_TOOLS)) build(name);
}
