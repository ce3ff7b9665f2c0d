#!/usr/bin/env node
// Builds FerretDB v1.24.2 (with its SQLite backend) once and caches the binary under .cache/: the
// MongoDB-compatible server the tests and benchmarks run the MongoDB engine against. Test-only: the
// service needs nothing but Node. `npm test` runs this first; it needs Go the first time only.
//
// Why not plain `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2`: the module as published
// lacks build/version/version.txt (release builds generate it), and the binary built that way panics at
// start-up. So we copy the module source out of the Go module cache, write that one file, and build.
// Skipped when the cached binary already exists.
import { execFileSync } from "node:child_process";
import { cpSync, chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const FERRETDB_VERSION = "v1.24.2";
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const ferretdbBinary = join(repoRoot, ".cache", `ferretdb-${FERRETDB_VERSION}`, "ferretdb");

function onPath(command) {
  try {
    execFileSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function build() {
  const go = onPath("go") ? "go" : existsSync("/usr/local/go/bin/go") ? "/usr/local/go/bin/go" : null;
  if (!go) {
    throw new Error(
      "Go is needed once to build FerretDB, the MongoDB-compatible server of the tests, and was not found on PATH. " +
        "Install Go 1.22+ (running the service needs only Node).",
    );
  }
  const env = { ...process.env, GOFLAGS: "-buildvcs=false", CGO_ENABLED: "0" };
  console.log(`[install-ferretdb] building FerretDB ${FERRETDB_VERSION} (once; cached in .cache/) ...`);
  const info = JSON.parse(
    execFileSync(go, ["mod", "download", "-json", `github.com/FerretDB/FerretDB@${FERRETDB_VERSION}`], {
      env,
      encoding: "utf8",
    }),
  );
  const work = mkdtempSync(join(tmpdir(), "ferretdb-src-"));
  try {
    const src = join(work, "src");
    cpSync(info.Dir, src, { recursive: true });
    chmodSync(src, 0o755);
    execFileSync("chmod", ["-R", "u+w", src]);
    writeFileSync(join(src, "build", "version", "version.txt"), `${FERRETDB_VERSION}\n`);
    mkdirSync(dirname(ferretdbBinary), { recursive: true });
    execFileSync(go, ["build", "-trimpath", "-o", ferretdbBinary, "./cmd/ferretdb"], {
      cwd: src,
      env,
      stdio: "inherit",
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log(`[install-ferretdb] built ${ferretdbBinary}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (existsSync(ferretdbBinary)) {
    console.log(`[install-ferretdb] cached: ${ferretdbBinary}`);
  } else {
    build();
  }
}
