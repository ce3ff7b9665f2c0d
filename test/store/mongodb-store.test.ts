// The store contract on the MongoDB engine: against the run's FerretDB always, and against a real
// MongoDB as well when the run has MONGODB_URI set (e.g. a replica set or Atlas test cluster).
import { randomBytes } from "node:crypto";
import { createLogger } from "../../service/logger.js";
import { MongoKeyStore } from "../../service/store/mongodb/mongodb-key-store.js";
import { ferretDbUri, realMongoUri } from "../support/database.js";
import { describeKeyStoreConformance } from "./conformance.js";

const open = (uri: () => string) => () =>
  MongoKeyStore.open(
    { uri: uri(), database: `conformance_${randomBytes(4).toString("hex")}`, timeoutMs: 2_000, queryTimeoutMs: 10_000, connectRetries: 0 },
    createLogger("silent"),
  );

describeKeyStoreConformance("mongodb (FerretDB)", open(ferretDbUri));
const real = realMongoUri();
if (real) describeKeyStoreConformance("mongodb (MONGODB_URI)", open(() => real));
