// README's dashboard section names every key the list answers (the help bar's source), so a new key
// cannot reach the dashboard without reaching the README.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LIST_BINDINGS } from "../../../tui/components/key-bindings.js";
import { REPO_ROOT } from "../../support/repo-root.js";

/** How README writes the help bar's compound keys. */
const README_SPELLING: Readonly<Record<string, string>> = {
  "1-6": "`1`–`6`",
  "PgUp/Dn": "`PgUp/PgDn`",
  "Home/End": "`Home`/`End`",
};

describe("README, The dashboard", () => {
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const start = readme.indexOf("## The dashboard");
  const section = readme.slice(start, readme.indexOf("\n## ", start + 3));

  it.each(LIST_BINDINGS.map((binding) => [binding.keys, binding.action]))("names %s (%s)", (keys) => {
    expect(section).toContain(README_SPELLING[keys] ?? `\`${keys}\``);
  });
});
