export * from "./alie.js";
export * from "./attack-spec.js";
export * from "./gaussian-attack.js";
export * from "./label-flip.js";
export * from "./malicious-clients.js";
export * from "./poison-updates.js";
export * from "./sign-flip.js";
