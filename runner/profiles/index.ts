export { Profile, profileConfigured, resolveProfile } from "./resolve-profile.js";
export type { ProfileInputs, ProfileSource, ResolvedProfile } from "./resolve-profile.js";
