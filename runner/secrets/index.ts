export { createSecretStore } from "./secret-store.js";
export type { SecretEntry, SecretStore } from "./secret-store.js";
export { createRedactor, REDACTED, secretValuesOf } from "./redact.js";
export type { Redactor } from "./redact.js";
export { createSettingsOverlay, fillSettingsDir, overlayDirOf, removeSettingsOverlay } from "./settings-overlay.js";
export type { SettingsOverlay } from "./settings-overlay.js";
