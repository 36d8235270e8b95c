export { createSecretStore } from "./secret-store.js";
export type { SecretEntry, SecretStore } from "./secret-store.js";
export { createRedactor, REDACTED, secretValuesOf } from "./redact.js";
export type { Redactor } from "./redact.js";
