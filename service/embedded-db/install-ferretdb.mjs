#!/usr/bin/env node
// Builds the embedded database (FerretDB v1.24.2 with its SQLite backend) once and caches the binary
// under .cache/, so that `npm install` then `npm start` work on a fresh machine of this kind.
//
// Why not plain `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2`: the module as published
// lacks build/version/version.txt (release builds generate it), and the binary built that way panics at
// start-up. So we copy the module source out of the Go module cache, write that one file, and build.
// Skipped when `mongod` is on PATH (the service prefers it) or when the cached binary already exists.
import { execFileSync } from "node:child_process";
import { cpSync, chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const FERRETDB_VERSION = "v1.24.2";
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
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
      "Go is needed once to build the embedded database (FerretDB) and was not found on PATH. " +
        "Install Go 1.22+ or set MONGODB_URI to use an external MongoDB.",
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
  if (onPath("mongod")) {
    console.log("[install-ferretdb] mongod is on PATH: the service will use it, skipping FerretDB.");
  } else if (existsSync(ferretdbBinary)) {
    console.log(`[install-ferretdb] cached: ${ferretdbBinary}`);
  } else {
    build();
  }
}
