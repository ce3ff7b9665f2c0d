/**
 * The Tokenizer.Estate Zapier app: watch, find, update and revoke API keys of the API Access section, and
 * follow their revocations and rolls. Keys are deliberately never generated or rolled here: the full
 * secret would be stored in Zap history.
 */
import zapier, { defineApp } from "zapier-platform-core";
import authentication from "./authentication.js";
import revokeApiKey from "./creates/revoke-api-key.js";
import updateApiKey from "./creates/update-api-key.js";
import { afters, befores } from "./middleware.js";
import findApiKey from "./searches/find-api-key.js";
import apiKeyChoices from "./triggers/api-key-choices.js";
import apiKeyExpiringSoon from "./triggers/api-key-expiring-soon.js";
import keyRevoked from "./triggers/key-revoked.js";
import keyRolled from "./triggers/key-rolled.js";
import newApiKey from "./triggers/new-api-key.js";

// package.json sits outside rootDir, so it is read at run time (it ships in the Zapier build too).
const { version } = require("../package.json") as { version: string };

const app = defineApp({
  version,
  platformVersion: zapier.version,
  authentication,
  beforeRequest: [...befores],
  afterResponse: [...afters],
  triggers: {
    [newApiKey.key]: newApiKey,
    [apiKeyExpiringSoon.key]: apiKeyExpiringSoon,
    [keyRevoked.key]: keyRevoked,
    [keyRolled.key]: keyRolled,
    [apiKeyChoices.key]: apiKeyChoices,
  },
  searches: {
    [findApiKey.key]: findApiKey,
  },
  creates: {
    [revokeApiKey.key]: revokeApiKey,
    [updateApiKey.key]: updateApiKey,
  },
});

// Zapier's runtime loads a CommonJS app with a plain require(main) and no `.default` unwrapping.
export = app;
